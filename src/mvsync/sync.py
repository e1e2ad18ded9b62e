"""The orchestrator: probe -> features -> aligner.fit -> frame maps -> :class:`SyncResult`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .align import ALIGNERS, create_aligner
from .errors import ConfigError, InputError
from .features import extract_features
from .io import probe
from .result import SyncResult, VideoTrack
from .types import Features, VideoInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncConfig:
    """Everything :func:`sync` needs besides the paths; written next to the outputs."""

    method: str | None = None  # a registered aligner (mvsync.align.ALIGNERS); None: see default_method
    features: str | None = None  # a registered extractor (mvsync.features.FEATURES); None: the model's, or pose
    model: str | Path | None = None  # a checkpoint from ``mvsync train`` (tpl only); it brings its feature kind
    reference: int | None = None  # the clip whose pace is the timeline (None: the method decides)
    cache_dir: str | None = None  # feature cache (None: the default cache folder)
    skip_bad: bool = False  # drop unusable clips with a warning instead of stopping
    feature_options: dict[str, Any] = field(default_factory=dict)  # extractor Config fields
    method_options: dict[str, Any] = field(default_factory=dict)  # aligner __init__ arguments


def sync(paths: list[str | Path], *, progress: bool = False, **options: Any) -> SyncResult:
    """Synchronize videos of the same action onto one timeline.

    Parameters
    ----------
    paths
        Two or more video files.
    progress
        Show progress bars.
    options
        Fields of :class:`SyncConfig` (``method``, ``features``, ``reference``...).

    >>> result = sync(["a.mp4", "b.mp4", "c.mp4"], features="appearance")  # doctest: +SKIP
    >>> result.save("out/sync.json")  # doctest: +SKIP
    """
    config = resolve_config(SyncConfig(**options))
    paths = [Path(p) for p in paths]
    failures: list[str] | None = [] if config.skip_bad else None
    infos = probe_all(paths, failures)
    features = extract_features(
        [info.path for info in infos],
        kind=config.features,
        cache_dir=config.cache_dir,
        progress=progress,
        failures=failures,
        **config.feature_options,
    )
    _require_two(features, paths, failures)
    aligner = create_aligner(config.method, **_aligner_params(config, paths, features, progress))
    aligner.fit([f.values for f in features], [f.valid for f in features])
    return build_result(features, aligner, config, skipped=failures or [])


def default_method(model: str | Path | None) -> str:
    """``dtw``, the more accurate method on real unseen clips and on Penn Action today (README, "Methods");
    ``tpl`` when a trained model is given, since only tpl uses one."""
    return "tpl" if model is not None else "dtw"


def resolve_config(config: SyncConfig) -> SyncConfig:
    """Fill in the default method and features; a trained model brings its own feature kind, and only tpl takes one."""
    method = default_method(config.model) if config.method is None else config.method
    if config.model is None:
        return replace(config, method=method, features=config.features or "pose")
    from .align.trained_model import load_model

    if method != "tpl" or config.reference is not None:
        wrong = f"method {method}" if config.reference is None else "a reference clip (a dtw option)"
        raise ConfigError(f"model: only the tpl method uses a trained model (got {wrong})")
    trained = load_model(config.model)
    if config.features is not None and config.features != trained.features:
        raise ConfigError(f"model: {config.model} was trained on {trained.features} features, not {config.features}")
    options = {**config.method_options, "model": str(config.model)}
    return replace(config, method=method, features=trained.features, method_options=options)


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


def build_result(features: list[Features], aligner, config: SyncConfig, *, skipped: list[str] = ()) -> SyncResult:
    """Turn the aligner's frame maps into tracks of source frames and times."""
    ref = getattr(aligner, "reference_", None)
    fps = features[ref].fps if ref is not None else float(np.median([f.fps for f in features]))
    tracks = [
        VideoTrack(
            path=str(f.path),
            fps=f.fps,
            num_frames=f.num_frames,
            source_time=frame_to_time(frames, f.times_s),
            source_frame=frames,
        )
        for f, frames in zip(features, aligner.frame_maps_)
    ]
    extra = {"reference": ref, "reference_path": str(features[ref].path) if ref is not None else None}
    if skipped:
        extra["skipped"] = list(skipped)
    return SyncResult(config.method, config.features, fps, len(aligner.frame_maps_[0]), tracks, extra)


def frame_to_time(frames: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Fractional frame indices to seconds through the clip's real timestamps (NaN stays NaN)."""
    out = np.full(len(frames), np.nan)
    finite = np.isfinite(frames)
    out[finite] = np.interp(frames[finite], np.arange(len(times_s)), times_s)
    return out


def _aligner_params(config: SyncConfig, paths: list[Path], features: list[Features], progress: bool) -> dict[str, Any]:
    params = dict(config.method_options)
    if config.reference is not None:
        params["reference"] = _reference_index(config, paths, features)
    params.setdefault("progress", progress)
    return params


def _reference_index(config: SyncConfig, paths: list[Path], features: list[Features]) -> int:
    """``--reference N`` counts the clips as given; map it to the clips that are still there."""
    if not ALIGNERS.get(config.method).uses_reference:
        raise ConfigError(f"reference: --method {config.method} has no reference clip (its timeline is learned)")
    if not 0 <= config.reference < len(paths):
        raise ConfigError(f"reference: {config.reference} is out of range for {len(paths)} videos (0..{len(paths) - 1})")
    kept = [f.path for f in features]
    wanted = paths[config.reference]
    if wanted not in kept:
        raise ConfigError(f"reference: clip {config.reference} ({wanted}) was skipped as unusable; choose another")
    return kept.index(wanted)


def _require_two(features: list[Features], paths: list[Path], failures: list[str] | None) -> None:
    if len(features) >= 2:
        return
    names = ", ".join(str(p) for p in paths)
    detail = f"; skipped: {' | '.join(failures)}" if failures else ""
    raise InputError(f"{names}: need at least 2 usable videos, got {len(features)}{detail}")

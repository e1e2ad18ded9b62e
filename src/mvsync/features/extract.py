"""Extract one kind of per-frame features for a set of videos, through the cache."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..errors import InputError
from ..types import Features
from .base import create_extractor
from ..io import probe
from .cache import FeatureCache
from .parallel import Execution, default_jobs, extract_clips

log = logging.getLogger(__name__)


def extract_features(
    paths: list[str | Path],
    *,
    kind: str = "pose",
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool = False,
    failures: list[str] | None = None,
    execution: Execution | None = None,
    fitted: dict[str, np.ndarray] | None = None,
    **config: Any,
) -> list[Features]:
    """Per-frame features of every video, ``(L_i, C)`` each, with validity masks.

    Parameters
    ----------
    paths
        Video files.
    kind
        A registered extractor: ``pose``, ``appearance``, ``resnet50``, ``dino``, ``clip``...
    cache_dir
        Cache folder (default :func:`~mvsync.features.cache.default_cache_dir`). Each clip is stored the moment it
        is done, so a run that is killed resumes where it stopped: cached clips are not decoded again.
    failures
        When a list is given, a bad video is skipped and its one-line error appended here;
        otherwise the first bad video raises :class:`~mvsync.errors.InputError`.
    execution
        Where the clips that are not cached yet are extracted: this process, a local process pool
        (``Execution(jobs=4)``) or Ray tasks (``Execution(ray=True)`` or ``ray="ADDRESS"``). None (the default):
        a pool of the available cores when there are the extractor's ``pool_min_clips`` clips to extract or more
        (pose: 2 holding 600 frames in all; the others: 8), else this process
        (:func:`~mvsync.features.parallel.default_jobs`). Either way, clips are taken in the order given: the
        first bad clip named is the first given.
    fitted
        The set-level state (e.g. appearance's PCA basis) fitted to an earlier set (:func:`~mvsync.features.base.
        fitted_state` of its features, or a trained model's), applied instead of fitting it to these clips.
    config
        Extractor options (see its ``Config``; every extractor takes ``fps``).

    >>> feats = extract_features(["a.mp4", "b.mp4"], kind="appearance")
    >>> feats[0].values.shape, feats[1].values.shape  # frames x channels
    ((100, 32), (131, 32))
    """
    extractor = create_extractor(kind, **config)
    cache = FeatureCache(cache_dir) if use_cache else None
    paths = [Path(p) for p in paths]
    found: dict[int, Features] = {}
    keys: dict[int, str | None] = {}
    for i, path in enumerate(paths):
        _collect(i, path, failures, found, lambda: _from_cache(extractor, cache, path, keys, i))
    todo = [i for i in range(len(paths)) if i not in found and i in keys]
    if execution is None:
        execution = Execution(jobs=default_jobs(len(todo), kind, frames=lambda: _frames([paths[i] for i in todo])))
    bar = tqdm(total=len(paths), initial=len(found), desc=f"features ({kind})", disable=not progress, unit="video")
    with bar:
        finished: dict[int, Features | InputError] = {}
        next_k = 0
        for k, outcome in extract_clips(extractor, [paths[i] for i in todo], execution, progress=progress):
            finished[k] = outcome
            while next_k in finished:  # in the order given (a pool finishes out of order): the first bad clip
                i, done = todo[next_k], finished.pop(next_k)  # named is the first given, as in one process
                _collect(i, paths[i], failures, found, lambda: _store(extractor, cache, keys[i], done))
                next_k += 1
            bar.update()
    extracted = [found[i] for i in sorted(found)]
    return extractor.finalize(extracted, fitted=fitted) if extracted else []


def _frames(paths: list[Path]) -> int:
    """How many frames the clips hold in all (what decides whether a pool pays for its start); a clip that cannot be
    read counts none (its extraction says why, in order)."""
    total = 0
    for path in paths:
        try:
            total += probe(path).num_frames
        except InputError:
            pass
    return total


def cached_features(paths: list[str | Path], *, kind: str, cache_dir: str | Path | None = None, **config: Any
                    ) -> list[Features | None]:
    """Each clip's features of ``kind`` when the cache already holds them, else None: nothing is decoded (the
    player's skeleton when the sync, or ``auto``, extracted pose). Not finalised: for per-clip features."""
    extractor = create_extractor(kind, **config)
    cache = FeatureCache(cache_dir)
    out: list[Features | None] = []
    for path in map(Path, paths):
        try:
            out.append(cache.get(cache.key(path, extractor.name, extractor.version, extractor.cache_config()), path))
        except OSError:
            out.append(None)
    return out


def _collect(i: int, path: Path, failures: list[str] | None, found: dict[int, Features], step) -> None:
    """Run one clip's ``step``; keep its features, or record its error (raise it when no ``failures`` list)."""
    try:
        features = step()
    except InputError as err:
        if failures is None:
            raise
        log.warning("%s", err)
        failures.append(str(err))
        return
    if features is not None:
        found[i] = features


def _from_cache(extractor, cache: FeatureCache | None, path: Path, keys: dict, i: int) -> Features | None:
    """The clip's cached features (checked), or None after noting its cache key; a missing file raises."""
    if cache is None:
        keys[i] = None
        return None
    try:
        key = cache.key(path, extractor.name, extractor.version, extractor.cache_config())
    except OSError:
        probe(path)  # a missing or unreadable file: raise probe's one-line error
        raise
    if (hit := cache.get(key, path)) is None:
        keys[i] = key
        return None
    log.debug("%s: features from cache", path)
    extractor.check(hit)
    return hit


def _store(extractor, cache: FeatureCache | None, key: str | None, outcome: Features | InputError) -> Features:
    if isinstance(outcome, InputError):
        raise outcome
    if cache is not None:
        cache.put(key, outcome)  # at once: the checkpoint a killed run resumes from
    extractor.check(outcome)
    return outcome

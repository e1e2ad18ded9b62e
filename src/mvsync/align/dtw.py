"""Dynamic time warping to a reference clip (the TCC paper's synchronous playback).

Every clip is aligned to one reference by DTW over per-frame features; the reference's
frames at its own pace are the common timeline. The default reference is the medoid: the
clip with the smallest total DTW cost to all others.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist
from tqdm.auto import tqdm

from ..errors import ConfigError, InputError
from .base import ALIGNERS, VideoAligner
from .standardizer import standardize_set


def dtw_path(cost: np.ndarray) -> tuple[float, np.ndarray]:
    """Classic DTW (steps (1,0), (0,1), (1,1)) over a cost matrix.

    Returns ``(total cost, path (K, 2))`` from (0, 0) to (N-1, M-1). Each row is filled in one
    vectorised pass: with ``m[j] = min(D[i-1, j-1], D[i-1, j])`` the recurrence
    ``D[i, j] = c[i, j] + min(m[j], D[i, j-1])`` unrolls to a prefix minimum of
    ``m[k] - C[k-1]`` plus the row's cumulative cost ``C[j]``.

    >>> total, path = dtw_path(np.array([[0., 1.], [1., 0.]]))
    >>> total, path.tolist()
    (0.0, [[0, 0], [1, 1]])
    """
    n, m = cost.shape
    acc = np.empty((n, m))
    acc[0] = np.cumsum(cost[0])
    for i in range(1, n):
        prev = acc[i - 1]
        best_from_above = np.minimum(prev, np.concatenate([[np.inf], prev[:-1]]))  # (M,)
        row_cum = np.cumsum(cost[i])
        acc[i] = row_cum + np.minimum.accumulate(best_from_above - (row_cum - cost[i]))
    return float(acc[-1, -1]), _backtrack(acc)


def _backtrack(acc: np.ndarray) -> np.ndarray:
    i, j = acc.shape[0] - 1, acc.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            step = np.argmin((acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]))
            i, j = (i - 1, j - 1) if step == 0 else (i - 1, j) if step == 1 else (i, j - 1)
        path.append((i, j))
    return np.array(path[::-1])


def path_to_frame_map(path: np.ndarray, length: int) -> np.ndarray:
    """For each reference frame t, the fractional frame of the other clip it shows.

    Frames matched to the same reference frame give their mean; where several reference
    frames share one frame of the other clip (it is slower there), the map runs linearly
    between the centres of those runs instead of standing still. The result is monotone.
    """
    ref, other = path[:, 0], path[:, 1]
    mean_other = np.bincount(ref, weights=other, minlength=length) / np.bincount(ref, minlength=length)
    change = np.flatnonzero(np.diff(mean_other)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [length]])
    centres = (starts + stops - 1) / 2.0
    frame_map = np.interp(np.arange(length), centres, mean_other[starts])
    return np.maximum.accumulate(frame_map)


def pairwise_cost(a: np.ndarray, b: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray) -> np.ndarray:
    """Euclidean frame distances; pairs with an invalid frame get the median cost (neither attract nor repel)."""
    cost = cdist(a, b)  # (La, Lb)
    invalid = ~mask_a[:, None] | ~mask_b[None, :]
    if invalid.any():
        neutral = np.median(cost[~invalid]) if (~invalid).any() else 1.0
        cost[invalid] = neutral
    return cost


@ALIGNERS.register("dtw")
class DTWAligner(VideoAligner):
    """Align every sequence to a reference by DTW.

    Parameters
    ----------
    reference
        Index of the reference video, or None for the medoid.
    progress
        Show a progress bar while comparing clips.

    >>> aligner = DTWAligner().fit([np.random.rand(50, 4), np.random.rand(60, 4)])
    >>> aligner.frame_maps_[1].shape
    (50,)
    """

    uses_reference = True

    def __init__(self, *, reference: int | None = None, progress: bool = False) -> None:
        self.reference = reference
        self.progress = progress

    def fit(self, seqs: list[np.ndarray], masks: list[np.ndarray] | None = None) -> "DTWAligner":
        masks = masks if masks is not None else [np.ones(len(s), bool) for s in seqs]
        _check_inputs(seqs, masks)
        if self.reference is not None and not 0 <= self.reference < len(seqs):
            raise ConfigError(f"reference: {self.reference} is out of range for {len(seqs)} videos (0..{len(seqs) - 1})")
        data = standardize_set(seqs, masks)
        costs = {}
        if self.reference is None:
            self.reference_, self.medoid_costs_ = self._medoid(data, masks, costs)
        else:
            self.reference_ = self.reference
        r = self.reference_
        self.frame_maps_ = []
        self.costs_ = []
        for i, (seq, mask) in enumerate(zip(data, masks)):
            total, path = costs.get((r, i)) or dtw_path(pairwise_cost(data[r], seq, masks[r], mask))
            self.frame_maps_.append(path_to_frame_map(path, len(data[r])))
            self.costs_.append(total / (len(data[r]) + len(seq)))
        return self

    def _medoid(self, data, masks, cache) -> tuple[int, np.ndarray]:
        n = len(data)
        totals = np.zeros(n)
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        for i, j in tqdm(pairs, desc="dtw medoid", disable=not self.progress, leave=False):
            total, path = dtw_path(pairwise_cost(data[i], data[j], masks[i], masks[j]))
            cache[(i, j)] = (total, path)
            cache[(j, i)] = (total, path[:, ::-1])
            normalized = total / (len(data[i]) + len(data[j]))
            totals[i] += normalized
            totals[j] += normalized
        return int(np.argmin(totals)), totals


def _check_inputs(seqs: list[np.ndarray], masks: list[np.ndarray]) -> None:
    if len(seqs) < 2:
        raise InputError(f"need at least 2 sequences to align, got {len(seqs)}")
    for i, (seq, mask) in enumerate(zip(seqs, masks)):
        if seq.ndim != 2 or len(seq) < 2:
            raise InputError(f"sequence {i}: expected (L>=2, C) features, got shape {seq.shape}")
        if not mask.any():
            raise InputError(f"sequence {i}: no valid frame")
        if not np.isfinite(seq[mask]).all():
            raise InputError(f"sequence {i}: features contain NaN or inf on valid frames")

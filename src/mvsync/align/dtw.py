"""Dynamic time warping to a reference clip (the TCC paper's synchronous playback).

Every clip is aligned to one reference by DTW over per-frame features; the reference's
frames at its own pace are the common timeline. The default reference is the medoid: the
clip with the smallest total DTW cost to all others. That costs a DTW per pair, quadratic in the
number of clips, so past ``exact_medoid_max`` clips the medoid is taken from a shortlist: every clip
against a small k-center sample, then the clips that look most central against every clip, about
``2 * N * sample_size + N`` DTWs (issue 12, section 4).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..errors import ConfigError, InputError
from .banded_dtw import dtw_rows
from .base import ALIGNERS, VideoAligner
from .standardizer import standardize_set


def dtw_path(cost: np.ndarray) -> tuple[float, np.ndarray]:
    """Classic DTW (steps (1,0), (0,1), (1,1)) over a cost matrix.

    Returns ``(total cost, path (K, 2))`` from (0, 0) to (N-1, M-1). Each row is filled in one
    vectorised pass: with ``m[j] = min(D[i-1, j-1], D[i-1, j])`` the recurrence
    ``D[i, j] = c[i, j] + min(m[j], D[i, j-1])`` unrolls to a prefix minimum of
    ``m[k] - C[k-1]`` plus the row's cumulative cost ``C[j]`` (:func:`~.banded_dtw.dtw_rows`, with
    every row's window the whole row).

    >>> total, path = dtw_path(np.array([[0., 1.], [1., 0.]]))
    >>> total, path.tolist()
    (0.0, [[0, 0], [1, 1]])
    """
    n, m = cost.shape
    return dtw_rows(cost, np.zeros(n, int), np.full(n, m - 1))


def path_to_frame_map(path: np.ndarray, length: int) -> np.ndarray:
    """For each reference frame t, the fractional frame of the other clip it shows.

    Frames matched to the same reference frame give their mean; where several reference
    frames share one frame of the other clip (it is slower there), the map runs linearly
    between the centres of those runs instead of standing still. The result is monotone.

    The ends are open: a path must start at both clips' first frames and end at both last ones, so where one clip
    starts earlier (a lead-in, a late start of the other) its extra frames pile up on the other's first frame. Those
    have no counterpart: the first reference frame shows the LAST frame of the other matched to it, the last reference
    frame the FIRST one, and a run at either end is anchored where it meets the rest of the path, not at its centre.

    >>> path_to_frame_map(np.array([[0, 0], [0, 1], [0, 2], [1, 3], [2, 4], [3, 5]]), 4).tolist()  # other: 2 early
    [2.0, 3.0, 4.0, 5.0]
    >>> path_to_frame_map(np.array([[0, 0], [1, 0], [2, 0], [3, 1], [4, 2]]), 5).tolist()  # reference starts 2 early
    [0.0, 0.0, 0.0, 1.0, 2.0]
    """
    ref, other = path[:, 0], path[:, 1]
    counts = np.bincount(ref, minlength=length)
    mean_other = np.bincount(ref, weights=other, minlength=length) / counts
    if length > 2:  # the pace inside: other frames per reference frame (2 for a clip at half speed)
        half = (np.median(counts[1:-1]) - 1) / 2
        first, last = other[ref == 0], other[ref == length - 1]
        mean_other[0] = max(min(first.max() - half, mean_other[1]), first.min())  # inside the frames matched there
        mean_other[-1] = min(max(last.min() + half, mean_other[-2]), last.max())
    change = np.flatnonzero(np.diff(mean_other)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [length]])
    centres = (starts + stops - 1) / 2.0
    if len(starts) > 2:  # the end runs meet the path where it leaves them, less the pace inside (run length)
        half_run = (np.median(stops[1:-1] - starts[1:-1]) - 1) / 2
        centres[0] = max(stops[0] - 1 - half_run, centres[0])
        centres[-1] = min(starts[-1] + half_run, centres[-1])
    frame_map = np.interp(np.arange(length), centres, mean_other[starts])
    return np.maximum.accumulate(frame_map)


def pairwise_cost(a: np.ndarray, b: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray) -> np.ndarray:
    """Euclidean frame distances; pairs with an invalid frame get the median cost (neither attract nor repel).

    Computed as ``|a|^2 + |b|^2 - 2 a.b`` with one matrix product: 10-20x faster than scipy's ``cdist`` on 100-200
    channels, which was half of ``consensus``'s fit. Distances below 1e-5 of the rows' norms read 0 (rounding).
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    norms = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :]
    squared = norms - 2.0 * (a @ b.T)
    squared[squared < 1e-10 * norms] = 0.0  # rounding of equal rows: exactly 0 as cdist gives (ties stay ties)
    cost = np.sqrt(squared)  # (La, Lb)
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
    exact_medoid_max
        Up to this many clips the medoid is exact (a DTW per pair); beyond, it is estimated (see ``sample_size``).
        The default is where the two cost the same: ``N (N - 1) / 2 = 2 N sample_size`` at N = 65.
    sample_size
        For a large set: the size of the random sample every clip is compared with, and of the shortlist of
        clips closest to it, which are compared with every clip; the cheapest of those is the reference.
    seed
        Seed of that sample (the result does not depend on the order of runs).
    progress
        Show a progress bar while comparing clips.

    >>> aligner = DTWAligner().fit([np.random.rand(50, 4), np.random.rand(60, 4)])
    >>> aligner.frame_maps_[1].shape
    (50,)
    """

    uses_reference = True

    def __init__(self, *, reference: int | None = None, exact_medoid_max: int = 64, sample_size: int = 16,
                 seed: int = 0, progress: bool = False) -> None:
        self.reference = reference
        self.exact_medoid_max = exact_medoid_max
        self.sample_size = sample_size
        self.seed = seed
        self.progress = progress

    def check_params(self) -> None:
        """Raise :class:`ConfigError` on the first invalid option (``reference`` is checked against the clips in
        ``fit``)."""
        for name in ("exact_medoid_max", "sample_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name}: expected a positive number of clips, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed: must be an int (got {self.seed!r})")

    def fit(self, seqs: list[np.ndarray], masks: list[np.ndarray] | None = None) -> "DTWAligner":
        masks = masks if masks is not None else [np.ones(len(s), bool) for s in seqs]
        _check_inputs(seqs, masks)
        if self.reference is not None and not 0 <= self.reference < len(seqs):
            raise ConfigError(f"reference: {self.reference} is out of range for {len(seqs)} videos (0..{len(seqs) - 1})")
        self.check_params()
        data = standardize_set(seqs, masks)
        self._cache: dict[tuple[int, int], tuple[float, np.ndarray | None]] = {}
        # Paths are kept for reuse only while they are few: past exact_medoid_max the medoid search takes
        # ~2 N sample_size of them (31k paths, 150 MB at N = 1000, L = 256), and the reference's N are redone.
        self._keep_paths = len(seqs) <= self.exact_medoid_max
        self.dtw_calls_ = 0
        if self.reference is None:
            self.reference_, self.medoid_costs_ = self._medoid(data, masks)
        else:
            self.reference_ = self.reference
        r = self.reference_
        self.frame_maps_ = []
        self.costs_ = []
        for i in range(len(data)):
            total, path = self._dtw(data, masks, r, i, path=True)
            self.frame_maps_.append(path_to_frame_map(path, len(data[r])))
            self.costs_.append(total / (len(data[r]) + len(data[i])))
        del self._cache
        return self

    def _medoid(self, data, masks) -> tuple[int, np.ndarray]:
        """The exact medoid; for a large set, the medoid of a shortlist (see :meth:`_shortlist`).

        Returns the index and every clip's mean normalised DTW cost to the clips it was compared with."""
        n = len(data)
        if n <= self.exact_medoid_max:
            mean = self._mean_costs(data, masks, [(i, j) for i in range(n) for j in range(i + 1, n)], both_ways=True)
            return int(np.argmin(mean)), mean
        mean = self._shortlist(data, masks)
        return int(np.argmin(mean)), mean

    def _shortlist(self, data, masks) -> np.ndarray:
        """Mean costs in two rounds of ``N * sample_size`` DTWs each. First every clip against a k-center sample
        (from a seeded random clip, each next one the clip farthest from those picked, so every kind of take is
        in it: a random sample of 5 of 40 GunPoint series could miss a class, and its pick ranked 18th of 40);
        then the ``sample_size`` clips closest to that sample against every clip, whose exact costs decide."""
        n, k = len(data), min(self.sample_size, len(data))
        centers = [int(np.random.default_rng(self.seed).integers(n))]
        to_centers = np.empty((n, 0))  # (N, centers so far): normalised DTW costs
        while True:
            column = [self._normalized(data, masks, i, centers[-1]) for i in range(n)]
            to_centers = np.column_stack([to_centers, column])
            if len(centers) == k:
                break
            centers.append(int(np.argmax(to_centers.min(axis=1))))
        rough = to_centers.mean(axis=1)
        shortlist = np.argsort(rough, kind="stable")[:k]
        exact = self._mean_costs(data, masks, [(int(c), j) for c in shortlist for j in range(n) if j != c])
        return np.where(np.isin(np.arange(n), shortlist), exact, np.inf)

    def _mean_costs(self, data, masks, pairs: list[tuple[int, int]], *, both_ways: bool = False) -> np.ndarray:
        """Each clip's mean normalised DTW cost over the pairs that start with it (or hold it, ``both_ways``)."""
        totals, counts = np.zeros(len(data)), np.zeros(len(data))
        for i, j in tqdm(pairs, desc="dtw medoid", disable=not self.progress, leave=False):
            normalized = self._normalized(data, masks, i, j)
            totals[i] += normalized
            counts[i] += 1
            if both_ways:
                totals[j] += normalized
                counts[j] += 1
        return np.divide(totals, counts, out=np.full(len(data), np.inf), where=counts > 0)

    def _normalized(self, data, masks, i: int, j: int) -> float:
        """DTW cost per frame of the two clips (comparable across lengths)."""
        return self._dtw(data, masks, i, j)[0] / (len(data[i]) + len(data[j]))

    def _dtw(self, data, masks, i: int, j: int, *, path: bool = False) -> tuple[float, np.ndarray | None]:
        """DTW cost (and with ``path``, the path) of clips i and j, computed once per pair where possible and
        counted (``dtw_calls_``)."""
        hit = self._cache.get((i, j))
        if hit is not None and (hit[1] is not None or not path):
            return hit
        total, found = dtw_path(pairwise_cost(data[i], data[j], masks[i], masks[j]))
        self.dtw_calls_ += 1
        kept = found if self._keep_paths else None
        self._cache[(i, j)] = (total, kept)
        self._cache[(j, i)] = (total, kept[:, ::-1] if kept is not None else None)
        return total, found


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

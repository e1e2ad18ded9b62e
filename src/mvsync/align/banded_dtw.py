"""DTW inside a band: only the cells a window allows are costed and filled.

Why: the prototype refinement (:mod:`~mvsync.align.prototype_refine`) searches each clip's frames within a band
around a map it already has. Filling the whole ``(T, L)`` matrix and pricing the cells outside out of reach costs
``T * L`` cells however narrow the band; here row ``t`` holds only the frames ``lo[t] .. hi[t]``, so a band of ``W``
frames costs ``T * W``. The rows are ragged (each its own offset), filled one at a time by a vectorised recurrence.
:func:`~mvsync.align.dtw.dtw_path` is the same DP with every window the whole row (:func:`dtw_rows`).

Steps (1, 0), (0, 1), (1, 1), from (0, 0) to (T - 1, L - 1). The windows must be non-decreasing, start at frame 0,
end at frame ``L - 1``, and each must reach the previous one (``lo[t] <= hi[t - 1] + 1``), so a path exists.

>>> a = np.array([[0.0], [1.0], [2.0], [3.0]])
>>> b = np.array([[0.0], [0.0], [1.0], [2.0], [3.0]])
>>> ok_a, ok_b = np.ones(4, bool), np.ones(5, bool)
>>> banded_dtw_path(a, b, ok_a, ok_b, np.array([0, 0, 1, 3]), np.array([1, 3, 4, 4])).tolist()
[[0, 0], [0, 1], [1, 2], [2, 3], [3, 4]]
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError


def banded_dtw_path(
    a: np.ndarray, b: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """DTW path ``(K, 2)`` of ``a`` ``(T, C)`` against ``b`` ``(L, C)`` with row ``t`` restricted to ``lo[t]..hi[t]``.

    Costs are Euclidean frame distances; a pair with an invalid frame costs the median of the valid pairs in the
    band (it neither attracts nor repels, as in :func:`~mvsync.align.dtw.pairwise_cost`).
    """
    lo, hi = np.asarray(lo, int), np.asarray(hi, int)
    _check_windows(lo, hi, len(a), len(b))
    rows = [np.linalg.norm(b[lo[t]:hi[t] + 1] - a[t], axis=1) for t in range(len(a))]
    _neutralise_invalid(rows, mask_a, mask_b, lo, hi)
    return dtw_rows(rows, lo, hi)[1]


def dtw_rows(rows, lo: np.ndarray, hi: np.ndarray) -> tuple[float, np.ndarray]:
    """``(total cost, path (K, 2))`` of DTW over cost rows: row ``t`` (an array, or a row of a full matrix) holds the
    costs of frames ``lo[t] .. hi[t]``. Ties go to the diagonal step, then the step from the row above."""
    acc = _fill(rows, lo, hi)
    return float(acc[-1][-1]), _backtrack(acc, lo, hi)


def _check_windows(lo: np.ndarray, hi: np.ndarray, n_rows: int, n_cols: int) -> None:
    if lo.shape != (n_rows,) or hi.shape != (n_rows,):
        raise ConfigError(f"band: expected {n_rows} window bounds, got {lo.shape} and {hi.shape}")
    if lo[0] != 0 or hi[-1] != n_cols - 1 or (lo > hi).any() or (np.diff(lo) < 0).any() or (np.diff(hi) < 0).any() \
            or (lo[1:] > hi[:-1] + 1).any() or hi.max() >= n_cols or lo.min() < 0:
        raise ConfigError("band: windows must be non-decreasing, touch each other and span (0, 0) to the last cell")


def _neutralise_invalid(rows: list[np.ndarray], mask_a, mask_b, lo: np.ndarray, hi: np.ndarray) -> None:
    """Set pairs with an invalid frame to the median valid cost, in place."""
    if np.all(mask_a) and np.all(mask_b):
        return
    invalid = [~mask_b[lo[t]:hi[t] + 1] | (not mask_a[t]) for t in range(len(rows))]
    valid_costs = np.concatenate([r[~bad] for r, bad in zip(rows, invalid)])
    neutral = np.median(valid_costs) if len(valid_costs) else 1.0
    for r, bad in zip(rows, invalid):
        r[bad] = neutral


def _fill(rows, lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    """Accumulated costs, one array per row over its window.

    With ``m[j] = min(D[t-1, j-1], D[t-1, j])`` (inf outside the previous window), ``D[t, j] = c[t, j] + min(m[j],
    D[t, j-1])`` unrolls to the row's cumulative cost plus a prefix minimum, one vectorised pass per row.
    """
    lo, hi = lo.tolist(), hi.tolist()  # plain ints: numpy scalars cost more than the row's arithmetic
    acc = [np.cumsum(rows[0])]
    for t in range(1, len(rows)):
        prev, start, first_col, last_col = acc[-1], lo[t - 1], lo[t], hi[t]
        ext = np.full(last_col - first_col + 2, np.inf)  # previous row at frames lo[t] - 1 .. hi[t]
        first, last = max(first_col - 1, start), min(last_col, hi[t - 1])
        ext[first - first_col + 1:last - first_col + 2] = prev[first - start:last - start + 1]
        best_from_above = np.minimum(ext[:-1], ext[1:])
        cost = rows[t]
        row_cum = np.cumsum(cost)
        acc.append(row_cum + np.minimum.accumulate(best_from_above - (row_cum - cost)))
    return acc


def _backtrack(acc: list[np.ndarray], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo, hi = lo.tolist(), hi.tolist()

    def at(t: int, j: int) -> float:
        return acc[t][j - lo[t]] if lo[t] <= j <= hi[t] else np.inf

    t, j = len(acc) - 1, hi[-1]
    path = [(t, j)]
    while t > 0 or j > 0:
        if t == 0:
            j -= 1
        elif j == 0:
            t -= 1
        else:
            diagonal, above, left = at(t - 1, j - 1), at(t - 1, j), at(t, j - 1)
            if diagonal <= above and diagonal <= left:
                t, j = t - 1, j - 1
            elif above <= left:
                t -= 1
            else:
                j -= 1
        path.append((t, j))
    return np.array(path[::-1])

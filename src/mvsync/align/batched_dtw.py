"""DTW over a batch of cost matrices of one shape, filled and traced back together.

Why: ``consensus`` stretches every clip to one length and runs about ``N * (references + 1) + N^2 / 2`` DTWs of
that one square shape. One DTW row is a handful of numpy calls on a row of a few hundred cells, so a single DTW is
mostly Python overhead; here every call works on the same row of all ``B`` matrices at once, and the trace back
steps all ``B`` paths together. The result is the same as :func:`~mvsync.align.dtw.dtw_path` on each matrix (the
same recurrence, the same sums in the same order, the same tie rule): diagonal step first, then the step from the
row above.

>>> costs = np.array([[[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [5.0, 1.0]]])
>>> totals, paths = dtw_paths(costs)
>>> totals.tolist(), [p.tolist() for p in paths]
([0.0, 1.0], [[[0, 0], [1, 1]], [[0, 0], [1, 1]]])
"""

from __future__ import annotations

import numpy as np


def dtw_paths(costs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(totals (B,), [path (K_b, 2)])`` of classic DTW (steps (1,0), (0,1), (1,1), from (0, 0) to the last cell)
    over ``costs`` ``(B, N, M)``."""
    costs = np.asarray(costs, np.float64)
    acc = _fill(costs)
    return acc[:, -1, -1].copy(), _backtrack(acc)


def _fill(costs: np.ndarray) -> np.ndarray:
    """Accumulated costs ``(B, N, M)``: with ``m[j] = min(D[t-1, j-1], D[t-1, j])``, ``D[t, j] = c[t, j] +
    min(m[j], D[t, j-1])`` is the row's cumulative cost plus a prefix minimum, one vectorised pass per row."""
    batch, rows, cols = costs.shape
    acc = np.empty_like(costs)
    acc[:, 0] = np.cumsum(costs[:, 0], axis=1)
    ext = np.full((batch, cols + 1), np.inf)  # the row above, shifted one right, inf before frame 0
    for t in range(1, rows):
        ext[:, 1:] = acc[:, t - 1]
        best_from_above = np.minimum(ext[:, :-1], ext[:, 1:])
        cost = costs[:, t]
        row_cum = np.cumsum(cost, axis=1)
        acc[:, t] = row_cum + np.minimum.accumulate(best_from_above - (row_cum - cost), axis=1)
    return acc


def _backtrack(acc: np.ndarray) -> list[np.ndarray]:
    """Every matrix's path from its last cell back to (0, 0), all stepped together (a finished path stays put)."""
    batch, rows, cols = acc.shape
    index = np.arange(batch)
    t, j = np.full(batch, rows - 1), np.full(batch, cols - 1)
    trail_t, trail_j = [t.copy()], [j.copy()]
    while (t > 0).any() or (j > 0).any():
        up, back = np.maximum(t - 1, 0), np.maximum(j - 1, 0)  # row / column -1 read as inf below
        diagonal = np.where((t > 0) & (j > 0), acc[index, up, back], np.inf)
        above = np.where(t > 0, acc[index, up, j], np.inf)
        left = np.where(j > 0, acc[index, t, back], np.inf)
        take_diagonal = (diagonal <= above) & (diagonal <= left)
        take_above = ~take_diagonal & (above <= left)
        at_top, at_left = t == 0, j == 0
        step_t = ~at_top & (at_left | take_diagonal | take_above)
        step_j = ~at_left & (at_top | take_diagonal | ~take_above)
        t, j = t - step_t, j - step_j
        trail_t.append(t.copy())
        trail_j.append(j.copy())
    trail = np.stack([np.array(trail_t), np.array(trail_j)], axis=-1)[::-1]  # (K_max, B, 2), from (0, 0)
    paths = []
    for b in range(batch):
        steps = trail[:, b]
        first = int(np.flatnonzero((steps[:, 0] == 0) & (steps[:, 1] == 0)).max())  # repeats of (0, 0) dropped
        paths.append(steps[first:].copy())
    return paths

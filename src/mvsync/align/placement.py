"""Clips that cover only part of another: a rep cut from a long recording, a take that starts late or stops early.

Every aligner maps each clip end to end onto the timeline. A 5 s excerpt synced with the 60 s recording it was cut
from was stretched over the whole 60 s. So before aligning, each clip much shorter (in seconds) than the longest one
is searched for inside it, by DTW with a free start and a free end in the long clip (subsequence DTW, on both clips
resampled to one rate so that their frame rates do not matter). The clip is *placed* there when that match is much
closer than the end-to-end match (``CLOSER``) and covers clearly less of the long clip (``COVERS``): its map is then
the long clip's map carried through the match, and NaN (no content) on the rest of the timeline.

A complete repetition by a faster performer is also shorter, but its end-to-end match is about as close as its
best partial one, so it stays with the aligner (``benchmarks/bench_partial.py`` measures both).

>>> t = np.linspace(0, 6 * np.pi, 600)
>>> long = np.stack([np.sin(t), np.cos(t / 3)], axis=1)
>>> found = find_inside(long[200:300], long, np.arange(100) / 10, np.arange(600) / 10)
>>> found.start, found.end  # rows of the long clip
(200.0, 299.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtw import dtw_path, pairwise_cost

RATE = 10.0  # samples per second both clips are resampled to for the search
LONGER = 1.5  # a clip is searched for inside the longest one when that one lasts at least this many times longer
CLOSER = 0.6  # placed when its best partial match costs at most this fraction of its end-to-end match's
COVERS = 0.8  # and that match spans at most this fraction of the long clip


@dataclass(frozen=True)
class Placement:
    """Where a short clip lies inside a long one: rows ``start``..``end`` of the long clip, and the match frame by
    frame (``long_rows`` to ``short_rows``, both increasing)."""

    host: int  # index of the long clip
    start: float
    end: float
    long_rows: np.ndarray
    short_rows: np.ndarray
    closeness: float  # partial match cost / end-to-end match cost (lower: more clearly a part)
    coverage: float  # fraction of the long clip the match spans

    def rows_at(self, host_rows: np.ndarray) -> np.ndarray:
        """The short clip's row shown where the long clip shows ``host_rows`` (NaN outside the match)."""
        host_rows = np.asarray(host_rows, float)
        out = np.interp(host_rows, self.long_rows, self.short_rows)
        out[~((host_rows >= self.start) & (host_rows <= self.end))] = np.nan
        return out


def find_inside(short: np.ndarray, long: np.ndarray, short_times: np.ndarray, long_times: np.ndarray,
                short_mask: np.ndarray | None = None, long_mask: np.ndarray | None = None, *, host: int = 0,
                centred: bool = False) -> Placement:
    """The best match of ``short (Ls, C)`` inside ``long (Ll, C)`` (features at presentation times in seconds), with
    its closeness and coverage: a placement whether or not it is convincing (see :func:`place_partial_clips`).
    ``centred``: the features are centred per clip (``FeatureExtractor.centred_per_clip``)."""
    short_mask = np.ones(len(short), bool) if short_mask is None else short_mask
    long_mask = np.ones(len(long), bool) if long_mask is None else long_mask
    s_rows, l_rows = _grid(short_times), _grid(long_times)
    s_at, l_at = _rows_at(short_times, s_rows), _rows_at(long_times, l_rows)
    cost = pairwise_cost(short[s_at], long[l_at], short_mask[s_at], long_mask[l_at])  # (S, L)
    inner = subsequence_path(cost)
    partial = float(cost[inner[:, 0], inner[:, 1]].mean())
    _, whole = dtw_path(cost)
    end_to_end = float(cost[whole[:, 0], whole[:, 1]].mean())
    # Features centred per clip (appearance's mean frame) differ by a constant between a clip and a part cut from
    # it: measured again with the long clip centred on the stretch found, the closer of the two matches counts.
    # Only then: across performers, centring takes out the difference in body and camera, and every pair looks
    # like a part (pose on RepCount: 55% of complete cuts placed).
    found = l_at[inner[:, 1]]
    if centred and long_mask[found].any() and short_mask.any():
        shifted = long - long[found][long_mask[found]].mean(axis=0) + short[short_mask].mean(axis=0)
        recost = pairwise_cost(short[s_at], shifted[l_at], short_mask[s_at], long_mask[l_at])
        again = subsequence_path(recost)
        if (centred_cost := float(recost[again[:, 0], again[:, 1]].mean())) < partial:
            partial, inner = centred_cost, again
    start, end = int(l_at[inner[0, 1]]), int(l_at[inner[-1, 1]])
    if 0.5 <= (end - start + 1) / len(short) <= 2.0:  # frame for frame within the slope limit: refine at full rate
        long_at, short_at = _refine(short, long, short_mask, long_mask, start, end)
    else:  # frame rates (times the pace) more than 2x apart: the match found at RATE
        long_at, short_at = _monotone(l_at[inner[:, 1]].astype(float), s_at[inner[:, 0]].astype(float))
    span = (long_times[int(long_at[-1])] - long_times[int(long_at[0])]) / max(long_times[-1] - long_times[0], 1e-9)
    closeness = partial / end_to_end if end_to_end > 1e-9 else 1.0  # identical or still clips: no evidence of a part
    return Placement(host, float(long_at[0]), float(long_at[-1]), long_at, short_at, closeness, float(span))


def _refine(short: np.ndarray, long: np.ndarray, short_mask: np.ndarray, long_mask: np.ndarray, start: int,
            end: int) -> tuple[np.ndarray, np.ndarray]:
    """The match at every frame, in the long clip's rows ``start``..``end`` found at ``RATE`` and a margin of half
    that span around them, both sides centred on the matched stretch (where the match is already decided, centring
    only takes out a constant: appearance's mean frame, or a performer's mean pose)."""
    margin = (end - start) // 2 + 2
    lo, hi = max(0, start - margin), min(len(long), end + margin + 1)
    seen = long[start:end + 1][long_mask[start:end + 1]]
    window = long[lo:hi] - seen.mean(axis=0) if len(seen) else long[lo:hi]
    own = short - short[short_mask].mean(axis=0) if short_mask.any() else short
    path = subsequence_path(pairwise_cost(own, window, short_mask, long_mask[lo:hi]))
    return _monotone(path[:, 1].astype(float) + lo, path[:, 0].astype(float))


def place_partial_clips(values: list[np.ndarray], masks: list[np.ndarray], times: list[np.ndarray], *,
                        centred: bool = False) -> dict[int, Placement]:
    """``{clip: placement}`` for every clip that lies inside the longest clip (see the module's rules); the
    longest clip and every clip not convincingly a part of it are absent."""
    durations = np.array([t[-1] - t[0] if len(t) > 1 else 0.0 for t in times])
    host = int(np.argmax(durations))
    placed = {}
    for i in range(len(values)):
        if i == host or durations[i] <= 0 or durations[host] < LONGER * durations[i]:
            continue
        found = find_inside(values[i], values[host], times[i], times[host], masks[i], masks[host], host=host,
                            centred=centred)
        if found.closeness <= CLOSER and found.coverage <= COVERS:
            placed[i] = found
    return placed


def subsequence_path(cost: np.ndarray) -> np.ndarray:
    """The cheapest path ``(K, 2)`` through all rows of ``cost (S, L)`` from any column to any later one, with a
    slope between 1/2 and 2 (steps (1, 1), (1, 2), (2, 1)): the short clip may play at half to twice the pace of its
    part of the long one, and cannot collapse onto a few frames of it, as plain DTW's vertical steps let it.
    Cheapest by mean cost per cell: a path through more cells is not penalised for its length.

    >>> subsequence_path(np.array([[5., 0., 5., 5.], [5., 5., 0., 5.], [5., 5., 5., 0.]])).tolist()
    [[0, 1], [1, 2], [2, 3]]
    """
    s, n = cost.shape
    total = np.full((s, n), np.inf)
    cells = np.ones((s, n))
    step = np.zeros((s, n), np.int8)  # 0: from (i-1, j-1); 1: from (i-1, j-2) through (i, j-1); 2: from (i-2, j-1)
    total[0] = cost[0]  # a free start in any column
    for i in range(1, s):
        options = np.full((3, n), np.inf)
        counts = np.zeros((3, n))
        options[0, 1:] = total[i - 1, :-1] + cost[i, 1:]
        counts[0, 1:] = cells[i - 1, :-1] + 1
        options[1, 2:] = total[i - 1, :-2] + cost[i, 1:-1] + cost[i, 2:]
        counts[1, 2:] = cells[i - 1, :-2] + 2
        if i >= 2:
            options[2, 1:] = total[i - 2, :-1] + cost[i - 1, 1:] + cost[i, 1:]
            counts[2, 1:] = cells[i - 2, :-1] + 2
        with np.errstate(invalid="ignore"):
            best = np.argmin(options / counts, axis=0)
        cols = np.arange(n)
        total[i], cells[i], step[i] = options[best, cols], counts[best, cols], best
    if not np.isfinite(total[-1]).any():
        raise ValueError(f"no path through {s} rows within {n} columns at a slope of 1/2 to 2")
    with np.errstate(invalid="ignore"):
        j = int(np.nanargmin(np.where(np.isfinite(total[-1]), total[-1] / cells[-1], np.nan)))
    path, i = [(s - 1, j)], s - 1
    while i > 0:
        if step[i, j] == 0:
            i, j = i - 1, j - 1
        elif step[i, j] == 1:
            path.append((i, j - 1))
            i, j = i - 1, j - 2
        else:
            path.append((i - 1, j))
            i, j = i - 2, j - 1
        path.append((i, j))
    return np.array(path[::-1])


def _grid(times: np.ndarray) -> np.ndarray:
    """Sample times at ``RATE`` per second over a clip's span."""
    return np.arange(times[0], times[-1] + 0.5 / RATE, 1.0 / RATE)


def _rows_at(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The row shown at each grid time (the last at or before it)."""
    return np.clip(np.searchsorted(times, grid + 1e-9, side="right") - 1, 0, len(times) - 1)


def _monotone(long_rows: np.ndarray, short_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One short row per distinct long row (their mean), increasing."""
    keys, inverse = np.unique(long_rows, return_inverse=True)
    means = np.bincount(inverse, weights=short_rows) / np.bincount(inverse)
    return keys, np.maximum.accumulate(means)

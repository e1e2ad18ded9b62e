"""Clips that overlap another clip at one end only: two cameras on one performance, one started later than the
other, or stopped earlier (A covers 0-8 s of it, B 3-10 s).

Every aligner maps clips end to end: B's first frame was put on A's first, 2.8 s apart (bikes, 187 steps all
off by 69 frames, and no warning). :mod:`.placement` finds a clip that lies INSIDE the longest one; here a clip is
*staggered* when it begins inside another clip (the host: ``sync`` tries the longest clips that are not placed
themselves) and runs past its end (it started late), or begins before it and ends inside it (it started early).
Found, as a placement is, at ``RATE`` samples per second:

1. the clip's first samples (``HEAD`` of the shorter clip) are searched for inside the host (subsequence DTW):
   where the clip begins in the host, at least ``MIN_SHIFT_S`` after the host's start;
2. the host from there on is searched for inside the clip: it must begin at the clip's start (within
   ``START_SLACK`` samples) and end at least ``MIN_SHIFT_S`` before the clip's end, and that match must be much closer
   than the end-to-end match (``CLOSER``, as for placements) over at least ``MIN_OVERLAP`` of the shorter clip;
3. the overlap, matched frame by frame, must keep to one straight line in time at the pace of 1 (``PACE``,
   ``LOCKED_S``): two recordings of one performance run in step, while a match between unrelated clips wanders.

An early clip is the same search with the two clips' roles swapped. The overlap is then mapped at every frame:
the clip's first frames found inside the host (its exact start), the host's last frames inside the clip (its exact
end), plain DTW between the two overlapping stretches, and the straight line in time through that match.
:func:`extend_timeline` gives the clip's frames outside the overlap timeline steps of their own, where no other clip
has content.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtw import dtw_path, pairwise_cost, path_to_frame_map
from .placement import CLOSER, RATE, _grid, _monotone, _rows_at, subsequence_path

MIN_SHIFT_S = 0.5  # a staggered clip starts (or ends) at least this long after (before) the host
PICTURE_SHIFT_S = 0.15  # the same, found on the clips' pictures (cuts of one recording: they match exactly)
MIN_OVERLAP = 0.3  # the overlap spans at least this fraction of the shorter clip's samples
HEAD = 0.2  # fraction of the shorter clip's samples searched for first (the later clip's first ones)
START_SLACK = 2  # samples: the host's stretch found inside the clip must begin this close to the clip's start
EDGE_S = 1.0  # seconds of frames at each end of the overlap refined at full rate
MAX_CELLS = 16_000_000  # searched only while the clips' samples make a cost matrix this small (two 6.7-minute clips)
PACE = 0.05  # the overlap's two stretches run at the same pace (slope of time against time) within this
LOCKED_S = 0.1  # and 90% of its frame-by-frame match lies within this many seconds of that straight line


@dataclass(frozen=True)
class Overlap:
    """A clip that overlaps the host at one end: host rows ``host_rows`` show the clip's ``clip_rows`` (both
    increasing); ``late``: the clip starts inside the host and runs past its end (else it starts before it)."""

    host: int
    late: bool
    host_rows: np.ndarray
    clip_rows: np.ndarray
    closeness: float  # the overlap's match cost / the end-to-end match's (lower: more clearly staggered)

    @property
    def start(self) -> float:
        return float(self.host_rows[0])

    @property
    def end(self) -> float:
        return float(self.host_rows[-1])

    def rows_at(self, host_rows: np.ndarray) -> np.ndarray:
        """The clip's row shown where the host shows ``host_rows`` (NaN outside the overlap)."""
        host_rows = np.asarray(host_rows, float)
        out = np.interp(host_rows, self.host_rows, self.clip_rows)
        out[~((host_rows >= self.start - 1e-9) & (host_rows <= self.end + 1e-9))] = np.nan
        return out


def find_overlap(clip: np.ndarray, host: np.ndarray, clip_times: np.ndarray, host_times: np.ndarray,
                 clip_mask: np.ndarray | None = None, host_mask: np.ndarray | None = None, *, host_index: int = 0,
                 centred: bool = False, min_shift_s: float = MIN_SHIFT_S, copy_ratio: float | None = None
                 ) -> Overlap | None:
    """The clip's overlap with the host when it is staggered (started late or early, by at least ``min_shift_s``),
    else None (module rules). With ``copy_ratio`` (pictures), an overlap whose frames, matched one by one at full
    rate, lie less than that fraction of the median frame distance from the other's (a copy's:
    :mod:`.picture_copies`) counts however close the end-to-end match is: two cuts of one recording 8 frames apart
    matched end to end at almost the cost of their overlap (0.57x)."""
    clip_mask = np.ones(len(clip), bool) if clip_mask is None else clip_mask
    host_mask = np.ones(len(host), bool) if host_mask is None else host_mask
    found = []
    if len(_grid(clip_times)) * len(_grid(host_times)) > MAX_CELLS:
        return None  # two long clips: the search's matrix would not fit (see MAX_CELLS)
    for late in (True, False):
        first, second = ((host, host_times, host_mask), (clip, clip_times, clip_mask))[:: 1 if late else -1]
        try:
            match = _later_start(*zip(first, second), centred=centred, min_shift_s=min_shift_s,
                                 copy_ratio=copy_ratio)
        except ValueError:  # no path within the slope limits (clips too short for the search): not staggered
            match = None
        if match is not None:
            found.append((match[2], late, match))
    if not found:
        return None
    _, late, (first_rows, second_rows, closeness) = min(found, key=lambda f: f[0])
    host_rows, clip_rows = (first_rows, second_rows) if late else (second_rows, first_rows)
    host_rows, clip_rows = _monotone(host_rows, clip_rows)
    return Overlap(host_index, late, host_rows, clip_rows, closeness)


def _later_start(values, times, masks, *, centred: bool, min_shift_s: float, copy_ratio: float | None
                 ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Whether the second clip begins inside the first and runs past its end: ``(first rows, second rows, closeness)``
    of the overlap at every frame (rows of the two clips, the first's increasing), or None."""
    (first, second), (first_times, second_times), (first_mask, second_mask) = values, times, masks
    f_at = _rows_at(first_times, _grid(first_times))
    s_at = _rows_at(second_times, _grid(second_times))
    cost = pairwise_cost(first[f_at], second[s_at], first_mask[f_at], second_mask[s_at])  # (F, S)
    n_first, n_second = cost.shape
    shorter, shift = min(n_first, n_second), max(1, int(round(min_shift_s * RATE)))
    head = max(3, int(round(HEAD * shorter)))
    if head >= n_second or n_first < 2 * shift:
        return None
    start = int(subsequence_path(cost[:, :head].T)[0, 1])  # the first's sample where the second begins
    if start < shift or n_first - start < MIN_OVERLAP * shorter or n_first - start > 2 * n_second - 1:
        return None  # too early to be staggered, too little in common, or more than the second can show
    _, whole = dtw_path(cost)
    end_to_end = float(cost[whole[:, 0], whole[:, 1]].mean())
    best = None
    for shifted in ([False, True] if centred else [False]):
        # Features centred per clip (appearance's mean frame) differ by a constant between two clips that cover
        # different stretches: measured again with both centred on the stretch found, the closer match counts.
        here = _centred_cost(first, second, first_mask, second_mask, f_at, s_at, start) if shifted else cost
        tail = subsequence_path(here[start:])  # the first from `start` on, inside the second
        if tail[0, 1] > START_SLACK or n_second - 1 - tail[-1, 1] < shift:
            continue  # the second does not begin there, or it ends with the first (inside it: a placement)
        partial = float(here[start + tail[:, 0], tail[:, 1]].mean())
        if best is None or partial < best[0]:
            best = (partial, int(s_at[tail[-1, 1]]))
    if best is None or end_to_end <= 1e-9:
        return None
    closeness = best[0] / end_to_end
    if closeness > CLOSER and copy_ratio is None:
        return None
    first_rows, second_rows = _refine(first, second, first_mask, second_mask, int(f_at[start]), best[1],
                                      first_times, centred)
    locked = _time_locked(first_rows, second_rows, first_times, second_times)
    if locked is None:
        return None
    if closeness > CLOSER:  # only a copy's match counts then: every frame of the overlap as the other's
        shown = np.round(locked).astype(int)
        distance = np.linalg.norm(first[first_rows.astype(int)] - second[shown], axis=1).mean()
        if distance >= copy_ratio * max(float(np.median(cost)), 1e-12):
            return None
    return first_rows, locked, closeness


def _time_locked(first_rows: np.ndarray, second_rows: np.ndarray, first_times: np.ndarray, second_times: np.ndarray
                 ) -> np.ndarray | None:
    """The second's rows on the straight line in time through the overlap's frame-by-frame match, when the match
    keeps to one (two recordings of one performance run at the same pace: slope within ``PACE`` of 1, 90% of the
    frames within ``LOCKED_S`` of it), else None. Unrelated clips, or different performers, are matched by a path
    that wanders: bikes and carphone (appearance) had a common part at 0.47x the end-to-end cost."""
    t1 = np.interp(first_rows, np.arange(len(first_times)), first_times)
    t2 = np.interp(second_rows, np.arange(len(second_times)), second_times)
    if len(t1) < 3 or np.ptp(t1) <= 0:
        return None
    slope, offset = np.polyfit(t1, t2, 1)
    line = slope * t1 + offset
    if abs(slope - 1.0) > PACE or np.percentile(np.abs(t2 - line), 90) > LOCKED_S:
        return None
    return np.clip(np.interp(line, second_times, np.arange(len(second_times), dtype=float)), 0, len(second_times) - 1)


def _centred_cost(first, second, first_mask, second_mask, f_at, s_at, start) -> np.ndarray:
    """The sampled cost with both clips centred on the overlap guessed: the first from sample ``start`` on, the
    second over as many seconds from its start."""
    overlap_first = np.arange(f_at[start], len(first))
    span = len(f_at) - start
    overlap_second = np.arange(0, s_at[min(span, len(s_at) - 1)] + 1)
    a = first - _mean(first, first_mask, overlap_first)
    b = second - _mean(second, second_mask, overlap_second)
    return pairwise_cost(a[f_at], b[s_at], first_mask[f_at], second_mask[s_at])


def _mean(values: np.ndarray, mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
    seen = values[rows][mask[rows]]
    return seen.mean(axis=0) if len(seen) else np.zeros(values.shape[1])


def _refine(first, second, first_mask, second_mask, start: int, end: int, first_times: np.ndarray,
            centred: bool) -> tuple[np.ndarray, np.ndarray]:
    """The overlap at every frame, from its guess at ``RATE`` (the first's row ``start`` shows the second's first
    frame, the second's row ``end`` the first's last): the second's first ``EDGE_S`` seconds found inside the first
    around ``start``, the first's last ones inside the second around ``end``, then plain DTW between the two."""
    edge = max(3, int(round(EDGE_S * len(first_times) / max(first_times[-1] - first_times[0], 1e-9))))
    margin = 2 * int(np.ceil(len(first_times) / max(first_times[-1] - first_times[0], 1e-9) / RATE)) + 2
    if centred:  # both centred on the overlap guessed (a constant between two stretches of one scene)
        first = first - _mean(first, first_mask, np.arange(start, len(first)))
        second = second - _mean(second, second_mask, np.arange(0, end + 1))
    lo, hi = max(0, start - margin), min(len(first), start + 2 * edge + margin)
    head = subsequence_path(pairwise_cost(second[:edge], first[lo:hi], second_mask[:edge], first_mask[lo:hi]))
    start = lo + int(head[0, 1])  # the first's row showing the second's first frame
    lo, hi = max(0, end - 2 * edge - margin), min(len(second), end + margin + 1)
    tail = subsequence_path(pairwise_cost(first[-edge:], second[lo:hi], first_mask[-edge:], second_mask[lo:hi]))
    end = lo + int(tail[-1, 1])  # the second's row showing the first's last frame
    cost = pairwise_cost(first[start:], second[: end + 1], first_mask[start:], second_mask[: end + 1])
    shown = path_to_frame_map(dtw_path(cost)[1], len(first) - start)  # the second's row at each first row
    return np.arange(start, len(first), dtype=float), np.maximum.accumulate(shown)


def extend_timeline(maps: dict[int, np.ndarray], overlaps: dict[int, Overlap], lengths: list[int],
                    rates: list[float], timeline_rate: float) -> dict[int, np.ndarray]:
    """Every clip's map (rows at each timeline step, NaN where it has no content) with steps added before the
    timeline for the frames of early clips before their overlap, and after it for late clips' frames after theirs,
    each clip played there at its own pace (``rates``: its rows per second; ``timeline_rate``: steps per second).
    The other clips have no content on the added steps."""
    before = after = 0
    for i, found in overlaps.items():
        pace = timeline_rate / rates[i]  # steps per row of clip i
        if found.late:
            after = max(after, int(np.ceil((lengths[i] - 1 - found.clip_rows[-1]) * pace - 1e-6)))
        else:
            before = max(before, int(np.ceil(found.clip_rows[0] * pace - 1e-6)))
    out = {}
    for i, rows in maps.items():
        rows = np.concatenate([np.full(before, np.nan), np.asarray(rows, float), np.full(after, np.nan)])
        if i in overlaps:
            found, step = overlaps[i], rates[i] / timeline_rate  # rows per step
            mapped = np.flatnonzero(np.isfinite(rows))
            if found.late and after:
                last = mapped[-1]
                ahead = rows[last] + step * np.arange(1, len(rows) - last)
                rows[last + 1:] = np.where(ahead <= lengths[i] - 1 + 1e-6, np.minimum(ahead, lengths[i] - 1), np.nan)
            if not found.late and before:
                first = mapped[0]
                back = rows[first] - step * np.arange(first, 0, -1)
                rows[:first] = np.where(back >= -1e-6, np.maximum(back, 0.0), np.nan)
        out[i] = rows
    return out

"""Key-event synchronization error: after sync, do the videos show each key event at the same moment?

This is the number a multi-video synchronization is judged by. Each video comes with the
frame indices of a few annotated key events (e.g. start, ball contact, end). A perfect
synchronization puts a given event of every video at the same step of the common timeline;
the error is how far the videos spread around their consensus (the median step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..result import SyncResult


@dataclass(frozen=True, eq=False)
class EventSyncError:
    """Spread of each key event across videos on the common timeline, in timeline frames.

    ``*_pct`` values are in % of the timeline length; ``*_s`` in seconds at the timeline fps.
    """

    positions: np.ndarray  # (N, E) timeline step (fractional) where video i shows event k; NaN: missing or outside
    median: np.ndarray  # (E,) consensus step of each event (median over the videos that show it)
    mean_abs_dev: np.ndarray  # (E,) mean |position - median| over those videos
    max_abs_dev: np.ndarray  # (E,) largest |position - median|
    n_videos: np.ndarray  # (E,) videos whose event lands on the timeline (per-event values are NaN below 2)
    overall_mean_abs_dev: float  # mean of |position - median| pooled over every placed (video, event)
    overall_max_abs_dev: float  # largest |position - median| over every placed (video, event)
    n_outside: int  # annotated events that fall outside their video's synchronized content (left out)
    length: int  # timeline length in frames (the % denominator)
    fps: float  # timeline frame rate

    @property
    def overall_mean_pct(self) -> float:
        return 100.0 * self.overall_mean_abs_dev / self.length

    @property
    def overall_max_pct(self) -> float:
        return 100.0 * self.overall_max_abs_dev / self.length

    @property
    def mean_abs_dev_pct(self) -> np.ndarray:
        return 100.0 * self.mean_abs_dev / self.length

    @property
    def max_abs_dev_pct(self) -> np.ndarray:
        return 100.0 * self.max_abs_dev / self.length

    @property
    def overall_mean_s(self) -> float:
        return self.overall_mean_abs_dev / self.fps


def key_event_sync_error(sync_result: SyncResult, events: Sequence[Sequence[float | None]]) -> EventSyncError:
    """How far apart the videos show each annotated key event after synchronization.

    1. ``events[i][k]`` is the (possibly fractional) frame of video i where key event k happens,
       in the video's own frames; every video lists the same E events in the same order
       (None or NaN where an event is not annotated).
    2. Each event frame is carried onto the common timeline by inverting the video's monotone
       map ``sync_result.videos[i].source_frame`` (timeline step -> source frame), with linear
       interpolation between steps. Where the video holds the event frame over several steps
       (a freeze), the event lands in the middle of that stretch. An event outside the
       video's synchronized content (before its first or after its last mapped frame) cannot be
       placed: it is counted in ``n_outside`` and left out.
    3. For each event, the consensus is the median of the placed positions; the error of
       video i is ``|position - median|`` in timeline frames. Per event we report the mean and
       the max over videos; overall, the mean and the max over every placed (video, event).
       Divide by ``length`` (``*_pct`` properties) for a fraction of the timeline.

    A perfect sync gives 0. With 2 videos the mean deviation is half their gap.

    Parameters
    ----------
    sync_result : the synchronization of N videos.
    events : N sequences of E event frames (E >= 1), in source frames of each video.

    Examples
    --------
    >>> from mvsync.result import VideoTrack
    >>> track = lambda frames: VideoTrack("v.mp4", 25.0, 10, frames / 25.0, frames)
    >>> result = SyncResult("dtw", "pose", 25.0, 5, [track(np.arange(5.0)), track(np.arange(5.0) + 2)])
    >>> key_event_sync_error(result, [[2], [5]]).overall_mean_abs_dev  # steps 2 and 3: 0.5 from 2.5
    0.5
    """
    table = _event_table(sync_result, events)  # (N, E)
    positions = np.full(table.shape, np.nan)
    for i, track in enumerate(sync_result.videos):
        for k in np.flatnonzero(np.isfinite(table[i])):
            positions[i, k] = timeline_position(track.source_frame, table[i, k])
    n_outside = int((np.isfinite(table) & np.isnan(positions)).sum())
    return _spread(positions, n_outside, sync_result)


def timeline_position(source_frame: np.ndarray, frame: float) -> float:
    """The fractional timeline step where a monotone ``source_frame`` track reaches ``frame`` (NaN if never).

    >>> timeline_position(np.array([np.nan, 0.0, 1.0, 1.0, 1.0, 2.0]), 1.0)  # held over steps 2..4
    3.0
    >>> timeline_position(np.array([0.0, 2.0, 4.0]), 3.0)
    1.5
    """
    steps = np.flatnonzero(np.isfinite(source_frame))
    values = source_frame[steps]
    if len(values) == 0 or not values[0] <= frame <= values[-1]:
        return float("nan")
    at = steps[values == frame]
    if len(at):
        return float(at[0] + at[-1]) / 2.0
    after = int(np.searchsorted(values, frame))  # first value above frame (values[0] < frame < values[-1])
    lo, hi = steps[after - 1], steps[after]  # the last step before and the first step after the crossing
    return float(lo + (frame - values[after - 1]) / (values[after] - values[after - 1]) * (hi - lo))


def _event_table(sync_result: SyncResult, events: Sequence[Sequence[float | None]]) -> np.ndarray:
    if len(events) != len(sync_result.videos):
        raise InputError(f"events: {len(events)} event lists for {len(sync_result.videos)} synchronized videos")
    if len(events) < 2:
        raise InputError(f"events: needs at least 2 videos, got {len(events)}")
    rows = [[np.nan if e is None else float(e) for e in row] for row in events]
    if len({len(row) for row in rows}) != 1 or len(rows[0]) == 0:
        raise InputError(f"events: every video must list the same number (>= 1) of events, got {[len(r) for r in rows]}")
    table = np.array(rows)
    for i, track in enumerate(sync_result.videos):
        _check_track(track.source_frame, i)
        bad = np.flatnonzero(np.isfinite(table[i]) & ((table[i] < 0) | (table[i] > track.num_frames - 1)))
        if len(bad):
            k = int(bad[0])
            raise InputError(f"events[{i}][{k}]: frame {table[i, k]:g} outside {track.path} (0..{track.num_frames - 1})")
    return table


def _check_track(source_frame: np.ndarray, i: int) -> None:
    finite = source_frame[np.isfinite(source_frame)]
    if (np.diff(finite) < 0).any():
        raise InputError(f"sync_result.videos[{i}].source_frame: not monotone; cannot invert the frame map")


def _spread(positions: np.ndarray, n_outside: int, sync_result: SyncResult) -> EventSyncError:
    placed = np.isfinite(positions)
    n_videos = placed.sum(axis=0)
    usable = n_videos >= 2
    if not usable.any():
        raise InputError("events: no key event lands on the timeline in at least 2 videos; nothing to compare")
    median = np.full(positions.shape[1], np.nan)
    median[usable] = np.nanmedian(positions[:, usable], axis=0)
    dev = np.abs(positions - median)  # (N, E); NaN where not placed or not usable
    mean_dev = np.full_like(median, np.nan)
    max_dev = np.full_like(median, np.nan)
    mean_dev[usable] = np.nanmean(dev[:, usable], axis=0)
    max_dev[usable] = np.nanmax(dev[:, usable], axis=0)
    pooled = dev[:, usable][np.isfinite(dev[:, usable])]
    return EventSyncError(
        positions, median, mean_dev, max_dev, n_videos, float(pooled.mean()), float(pooled.max()),
        n_outside, sync_result.length, sync_result.fps,
    )

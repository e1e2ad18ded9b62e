"""Different performers on one timeline: cuts with annotated moments, random retimings, and the spread score.

The protocol of the multi-performer benchmark (``benchmarks/bench_performers.py``):

1. From each annotated video, a cut of several repetitions (or one action) with up to half a repetition of
   real motion before and after it, chosen at random.
2. The cut is replayed through a random retiming (:func:`random_retiming`): a held first frame (lead-in), a held
   last frame (tail), and a tempo that wanders between 0.6x and 1.4x inside the clip, read at the nearest frame as
   a video would be. The annotated moments move with it, so their frames in the cut are known.
3. All cuts of one exercise are synchronised together; each annotated moment of each cut lands on some step of
   the common timeline. The score (:func:`event_spread`) is how far they land from each other: the mean absolute
   deviation from their median step, in % of the timeline's length, averaged over the moments.

Two reference rows come with every method: **no warping** (:func:`linear_maps`: every cut stretched linearly to
the common length) and the **oracle** (:func:`oracle_spread`: each moment placed by a map through the OTHER
annotated moments, linear between them; perfect timing at the anchors, so what remains is how differently people
move between two marked moments).

>>> events = np.array([[10.0, 20.0], [20.0, 40.0]])  # (N, E): clip 1 is clip 0 at half speed
>>> maps = linear_maps([31, 61])
>>> float(event_spread(maps, events).mean())  # a linear stretch is exact here
0.0
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .metrics_events import timeline_position

TEMPO_RANGE = (0.6, 1.4)  # the tempo inside a retimed cut wanders within this range (source frames per frame)
HOLD_RANGE = (0.0, 0.15)  # lead-in and tail holds, as a fraction of the cut's length
TEMPO_KNOTS = 5  # tempo values drawn along the cut, interpolated between (a smooth, wandering pace)


@dataclass(frozen=True, eq=False)
class PerformerCut:
    """One clip of the protocol: per-frame features and where its annotated moments are."""

    name: str  # the source video, e.g. "stu10_1"
    group: str  # the exercise or action; cuts of one group are synchronised together
    values: np.ndarray  # (L, C) per-frame features
    valid: np.ndarray  # (L,) bool
    events: np.ndarray  # (E,) fractional frames of the annotated moments in this cut


def random_retiming(num_source: int, rng: np.random.Generator, *, tempo: tuple[float, float] = TEMPO_RANGE,
                    hold: tuple[float, float] = HOLD_RANGE) -> np.ndarray:
    """The fractional source frame shown at each output frame: a lead-in hold, a wandering tempo, a tail hold.

    >>> content = random_retiming(100, np.random.default_rng(0))
    >>> bool(content[0] == 0 and content[-1] == 99 and (np.diff(content) >= 0).all())
    True
    """
    knots = rng.uniform(*tempo, size=TEMPO_KNOTS)
    mean_tempo = float(np.mean(knots))
    n_motion = max(2, int(round((num_source - 1) / mean_tempo)) + 1)
    speed = np.interp(np.linspace(0, 1, n_motion), np.linspace(0, 1, TEMPO_KNOTS), knots)
    position = np.concatenate([[0.0], np.cumsum(speed[1:])])
    motion = position / position[-1] * (num_source - 1)
    lead, tail = (int(round(rng.uniform(*hold) * num_source)) for _ in range(2))
    return np.concatenate([np.zeros(lead), motion, np.full(tail, num_source - 1.0)])


def retime_cut(values: np.ndarray, valid: np.ndarray, events: np.ndarray, content: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cut replayed through ``content`` (the source frame shown at each output frame, from
    :func:`random_retiming`), read at the nearest frame as a video is; the events' frames in the output."""
    nearest = np.clip(np.rint(content).astype(int), 0, len(values) - 1)
    moved = np.array([_first_reach(content, e) for e in events])
    return values[nearest], valid[nearest], moved


def _first_reach(content: np.ndarray, frame: float) -> float:
    """The fractional output frame where a monotone ``content`` first reaches ``frame``."""
    after = int(np.searchsorted(content, frame, side="left"))
    if after == 0:
        return 0.0
    if after >= len(content):
        return float(len(content) - 1)
    lo, hi = content[after - 1], content[after]
    return float(after - 1 + (frame - lo) / (hi - lo)) if hi > lo else float(after)


def linear_maps(lengths: list[int], length: int | None = None) -> list[np.ndarray]:
    """No warping: every clip stretched linearly onto a common timeline of ``length`` steps (default: the median
    clip length); ``maps[i][t]`` is clip i's fractional frame at step t."""
    steps = int(length if length is not None else np.median(lengths))
    return [np.linspace(0.0, n - 1.0, steps) for n in lengths]


def event_spread(frame_maps: list[np.ndarray], events: np.ndarray) -> np.ndarray:
    """``(E,)`` for each annotated moment, the mean absolute deviation of its timeline step across clips from the
    median step, in % of the timeline's length. ``events`` ``(N, E)`` are the moments' frames in each clip; a
    moment a clip's map never reaches (no content there) is left out of that moment's spread."""
    length = len(frame_maps[0])
    positions = np.array([[timeline_position(np.asarray(m, float), e) for e in row]
                          for m, row in zip(frame_maps, events)])  # (N, E)
    return _spread_pct(positions, length)


def oracle_spread(events: np.ndarray, lengths: list[int]) -> np.ndarray:
    """``(E,)`` the spread of each moment when every clip is mapped linearly between its OTHER annotated moments
    (leave one out; outside them, the nearest segment's pace extended). Needs at least 3 moments per clip; the
    common timeline places each anchor at its mean no-warping step."""
    n_clips, n_events = events.shape
    length = int(np.median(lengths))
    if n_events < 3:
        return np.full(n_events, np.nan)
    linear = events / (np.asarray(lengths, float)[:, None] - 1) * (length - 1)  # (N, E) no-warping steps
    common = linear.mean(axis=0)  # (E,)
    positions = np.empty_like(events)
    for k in range(n_events):
        anchors = [j for j in range(n_events) if j != k]
        for i in range(n_clips):
            positions[i, k] = _extrapolate(events[i, k], events[i, anchors], common[anchors])
    return _spread_pct(positions, length)


def _extrapolate(x: float, xs: np.ndarray, ys: np.ndarray) -> float:
    """Piecewise-linear through (xs, ys), continued past the ends with the end segments' slopes."""
    if x <= xs[0]:
        return float(ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / max(xs[1] - xs[0], 1e-9))
    if x >= xs[-1]:
        return float(ys[-1] + (x - xs[-1]) * (ys[-1] - ys[-2]) / max(xs[-1] - xs[-2], 1e-9))
    return float(np.interp(x, xs, ys))


def _spread_pct(positions: np.ndarray, length: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a moment no clip reaches: NaN
        dev = np.abs(positions - np.nanmedian(positions, axis=0))
        return 100.0 * np.nanmean(dev, axis=0) / length


def oracle_maps(events: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    """Maps through EVERY annotated moment: clip i's frames ``events[i]`` sit at the moments' mean no-warping steps,
    linear between them and the clip's ends. Its spread is 0 by construction (a check of the scoring); the
    informative oracle is :func:`oracle_spread`, which leaves the scored moment out."""
    length = int(np.median(lengths))
    linear = events / (np.asarray(lengths, float)[:, None] - 1) * (length - 1)
    common = np.concatenate([[0.0], linear.mean(axis=0), [length - 1.0]])
    steps = np.arange(length, dtype=float)
    return [np.interp(steps, common, np.concatenate([[0.0], row, [n - 1.0]])) for row, n in zip(events, lengths)]

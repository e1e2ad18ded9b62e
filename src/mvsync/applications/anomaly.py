"""Anomaly map (issue 11, section 6; TCC's application): where does a clip stop looking like the others?

Once clips are synchronised, every timeline step shows the same moment of the action in each clip. The
prototype of clip ``i`` at a step is the median of the OTHER clips' (z-scored) features there (leave-one-out, so
a clip's own anomaly cannot pull its reference towards it; :mod:`mvsync.align.sync_confidence` scores whole clips
the same way). Each frame's anomaly score is the RMS distance per channel of its features from the prototype at
the step where the frame sits on the timeline (0 is a perfect match, about 1.4 two unrelated frames), after
removing the clip's steady offset from the prototype (the median residual over the clip: a difference that lasts the
whole clip is not an anomaly at any moment).

A frame is flagged when its score exceeds a robust threshold over all frames of all clips: the median plus ``k``
times the scaled median absolute deviation (``1.4826 * MAD``, the standard deviation for normal scores), which a
few anomalous frames cannot inflate as they would a mean and standard deviation, and at least ``min_score``: in a
set that matches almost perfectly (retimed copies of one clip) the spread is near 0 and the robust threshold alone
would flag every frame a tempo change blurs. Flagged runs shorter than ``min_frames`` are dropped (a frame or two off
is alignment jitter where a fast clip skips frames, not an event).

>>> from mvsync import load_features
>>> result = SyncResult.load("out/sync.json")
>>> features = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz", "feats/ride/c.npz")]
>>> amap = anomaly_map(result, features)
>>> amap.spans(0)  # flagged runs of clip 0: none, the copies match
[]
>>> [len(amap.spans(i)) for i in range(3)], amap.threshold  # copies match well: the threshold is min_score's floor
([0, 0, 0], 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..align.standardizer import Standardizer
from ..align.sync_confidence import consensus_of_others, frames_shown, rms_distance
from ..errors import ConfigError, InputError
from ..evaluate.protocol import frame_positions
from ..result import SyncResult
from ..types import Features

ROBUST_K = 5.0  # flag beyond median + k * 1.4826 * MAD of every frame's score...
MIN_SCORE = 0.5  # ...and beyond this (z-scored units; unrelated frames score about 1.4)
MIN_FRAMES = 3  # shorter flagged runs are dropped


@dataclass(frozen=True)
class AnomalyMap:
    """Per-frame anomaly scores of synchronised clips and the frames flagged."""

    scores: list[np.ndarray]  # per clip (L_i,) distance to the others' prototype; NaN: invalid frame or no prototype
    timeline_scores: np.ndarray  # (N, T) each clip's score at each timeline step (NaN: no content there)
    timeline_flagged: np.ndarray  # (N, T) bool: the frame a clip shows at that step is flagged
    flagged: list[np.ndarray]  # per clip (L_i,) bool
    threshold: float  # the robust threshold on the scores
    times_s: list[np.ndarray]  # per clip (L_i,) frame times, for spans in seconds

    def spans(self, clip: int) -> list[dict]:
        """Flagged runs of clip ``clip``: ``[{start_frame, end_frame (inclusive), start_s, end_s, peak}]``."""
        flags, scores, times = self.flagged[clip], self.scores[clip], self.times_s[clip]
        return [{"start_frame": int(s), "end_frame": int(e), "start_s": round(float(times[s]), 4),
                 "end_s": round(float(times[e]), 4), "peak": round(float(np.nanmax(scores[s : e + 1])), 4)}
                for s, e in runs(flags)]


@dataclass(frozen=True)
class Residuals:
    """Each clip's z-scored features minus the prototype of the other clips at the same moment, its steady offset
    removed (see the module notes)."""

    frames: list[np.ndarray]  # per clip (L_i, C), at each of its frames
    timeline: list[np.ndarray]  # per clip (T, C), at each timeline step (NaN where it has no content)


def prototype_residuals(result: SyncResult, features: list[Features]) -> Residuals:
    """:class:`Residuals` of synchronised clips (``features`` in the order of ``result.videos``)."""
    data = Standardizer.fit_features(features).transform
    values = [np.asarray(data(f.values.astype(float))) for f in features]
    maps = [track.source_frame for track in result.videos]
    shown = np.stack([frames_shown(v, f.valid, m) for v, f, m in zip(values, features, maps)])  # (N, T, C)
    frames, timeline = [], []
    for i, (v, f, m) in enumerate(zip(values, features, maps)):
        consensus = consensus_of_others(shown, i)  # (T, C)
        steps = np.rint(frame_positions(m, f.num_frames)[:, 0] * (result.length - 1)).astype(int)  # (L_i,)
        residual = v - consensus[steps]  # (L_i, C)
        offset = _steady_offset(residual[f.valid])  # (C,)
        frames.append(residual - offset)
        timeline.append(shown[i] - consensus - offset)
    return Residuals(frames, timeline)


def anomaly_map(result: SyncResult, features: list[Features], *, k: float = ROBUST_K, min_score: float = MIN_SCORE,
                min_frames: int = MIN_FRAMES) -> AnomalyMap:
    """Score every frame of every clip against the others' prototype and flag the outliers (module notes).

    ``features`` are the clips' per-frame features, in the order of ``result.videos`` (those it was made with).
    """
    _check(result, features)
    residuals = prototype_residuals(result, features)
    scores = [np.where(f.valid, rms_distance(r, 0.0), np.nan) for r, f in zip(residuals.frames, features)]
    timeline = [rms_distance(r, 0.0) for r in residuals.timeline]  # (T,) each
    threshold = max(robust_threshold(np.concatenate(scores), k), min_score)
    flagged = [drop_short_runs(np.nan_to_num(s, nan=-np.inf) > threshold, min_frames) for s in scores]
    timeline_flagged = np.stack([_shown_flags(flags, t.source_frame) for flags, t in zip(flagged, result.videos)])
    return AnomalyMap(scores, np.stack(timeline), timeline_flagged, flagged, threshold, [f.times_s for f in features])


def anomaly_record(amap: AnomalyMap, result: SyncResult) -> dict:
    """The flagged spans as JSON-ready data: per clip, each span in its own frames and seconds and on the timeline.

    ``{"threshold": 0.5, "timeline": {"fps": 25.0, "length": 150}, "clips": [{"path": "c.mp4", "num_frames": 182,
    "flagged_frames": 30, "spans": [{"start_frame": 70, "end_frame": 99, "start_s": 2.8, "end_s": 3.96,
    "peak": 1.52, "timeline_start_s": 2.8, "timeline_end_s": 3.6}]}]}``
    """
    clips = []
    for i, track in enumerate(result.videos):
        spans = [{**span, "timeline_start_s": round(result.timeline_time(span["start_s"], i), 4),
                  "timeline_end_s": round(result.timeline_time(span["end_s"], i), 4)} for span in amap.spans(i)]
        clips.append({"path": track.path, "num_frames": track.num_frames,
                      "flagged_frames": int(amap.flagged[i].sum()), "spans": spans})
    return {"threshold": round(amap.threshold, 4), "timeline": {"fps": result.fps, "length": result.length},
            "clips": clips}


def _steady_offset(residuals: np.ndarray) -> np.ndarray:
    """``(C,)`` the per-channel median of a clip's residuals ``(L, C)`` from the prototype: a difference that lasts
    the whole clip (another background or light, or the per-clip centring of appearance features, which a replaced
    segment shifts) is not an anomaly at any one moment."""
    finite = np.isfinite(residuals).all(axis=1)
    return np.median(residuals[finite], axis=0) if finite.any() else np.zeros(residuals.shape[1])


def check_thresholds(*, k: float | None = None, min_score: float | None = None) -> dict[str, float]:
    """The threshold options of :func:`anomaly_map` that are given, checked (finite, ``k > 0``, ``min_score >= 0``)."""
    given = {name: value for name, value in (("k", k), ("min_score", min_score)) if value is not None}
    for name, value in given.items():
        if not np.isfinite(value) or value < 0 or (name == "k" and value == 0):
            raise ConfigError(f"{name}: {value!r} must be a finite number {'> 0' if name == 'k' else '>= 0'}")
    return given


def robust_threshold(scores: np.ndarray, k: float) -> float:
    """``median + k * 1.4826 * MAD`` of the finite ``scores``.

    >>> round(robust_threshold(np.array([1.0, 1.1, 0.9, 1.0, 9.0]), 3.0), 3)  # the 9.0 hardly moves it
    1.445
    """
    finite = scores[np.isfinite(scores)]
    if not len(finite):
        raise InputError("anomaly map: no frame could be compared with the other clips (no valid features)")
    median = float(np.median(finite))
    return median + k * 1.4826 * float(np.median(np.abs(finite - median)))


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` (inclusive) of every run of True.

    >>> runs(np.array([0, 1, 1, 0, 1], bool))
    [(1, 2), (4, 4)]
    """
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def drop_short_runs(flags: np.ndarray, min_frames: int) -> np.ndarray:
    """``flags`` without its runs of True shorter than ``min_frames``."""
    out = flags.copy()
    for start, end in runs(flags):
        if end - start + 1 < min_frames:
            out[start : end + 1] = False
    return out


def _shown_flags(flags: np.ndarray, source_frame: np.ndarray) -> np.ndarray:
    """``(T,)`` whether the frame shown at each timeline step (the nearest one) is flagged; False where none is."""
    finite = np.isfinite(source_frame)
    out = np.zeros(len(source_frame), bool)
    out[finite] = flags[np.clip(np.rint(source_frame[finite]).astype(int), 0, len(flags) - 1)]
    return out


def check_clip_count(clips: list) -> None:
    """At least 3 clips: each is compared with the median of the others, which needs two to mean anything."""
    if len(clips) < 3:
        raise InputError(f"{', '.join(map(str, clips))}: the anomaly map needs at least 3 clips (each is compared "
                         f"with the median of the others), got {len(clips)}")


def _check(result: SyncResult, features: list[Features]) -> None:
    if len(features) != len(result.videos):
        raise InputError(f"anomaly map: {len(features)} feature sets for {len(result.videos)} synchronised clips")
    check_clip_count([track.path for track in result.videos])
    for f, track in zip(features, result.videos):
        if f.num_frames != track.num_frames:
            raise InputError(f"{track.path}: {f.num_frames} feature frames, sync.json says {track.num_frames}")

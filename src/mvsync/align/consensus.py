"""DTW from the linear stretch, fused over several central clips: the default for clips of different performers.

Why: across performers, per-frame features carry little timing evidence, and plain DTW against one reference clip
fits its noise. On human-annotated repetitions (RepCount) and Penn Action with random retimings, plain ``dtw``
placed the annotated moments worse than no warping at all (1.3-1.6x its spread). Three changes, each measured on
those sets (``benchmarks/bench_performers.py``, ``docs/benchmarks.md``):

1. Every clip is first stretched linearly to the common length ``T`` (the median clip length), so that the DTW
   runs in the space where "no warping" is the diagonal, and the features are smoothed over ``smooth`` steps.
2. The central clips are found by their distance under that linear stretch (cheap: no DTW), not by DTW cost.
3. Every clip is aligned to each of the ``references`` most central clips, each map is carried onto the most
   central clip's time, and the maps' median is kept. Where the references disagree, one reference's noise does
   not decide the map, and the disagreement itself says how much evidence the clip's map has.

Fitted ``summary_`` (saved in ``sync.json`` as ``extra.aligner``): per clip, ``warp_pct``, how far its map departs
from the linear stretch (mean, % of the timeline), and ``disagreement_pct``, how far the references' maps for it
spread (mean inter-quartile range, % of the timeline): a clip whose warp is smaller than its disagreement was
warped on weak evidence.

>>> rng = np.random.default_rng(0)
>>> base = np.cumsum(rng.normal(size=(60, 3)), axis=0)
>>> aligner = ConsensusAligner().fit([base, base[::2], np.repeat(base, 2, axis=0)])
>>> [len(m) for m in aligner.frame_maps_], float(np.round(aligner.frame_maps_[2][30]))  # frames 60, 61 show base[30]
([60, 60, 60], 61.0)
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..errors import ConfigError
from .base import ALIGNERS, VideoAligner
from .dtw import _check_inputs, dtw_path, pairwise_cost, path_to_frame_map
from .standardizer import standardize_set


@ALIGNERS.register("consensus")
class ConsensusAligner(VideoAligner):
    """Align linearly stretched clips by DTW to several central clips and keep the median map.

    Parameters
    ----------
    references
        How many of the most central clips every clip is aligned to (at most the number of clips).
    smooth
        Gaussian smoothing of the stretched features over time, sigma in timeline steps (0: off).
    length
        Timeline steps (None: the median clip length).
    progress
        Unused (the fit takes ``N * references`` DTWs); accepted like every aligner's.
    """

    def __init__(self, *, references: int = 5, smooth: float = 1.0, length: int | None = None,
                 progress: bool = False) -> None:
        self.references = references
        self.smooth = smooth
        self.length = length
        self.progress = progress

    def check_params(self) -> None:
        """Raise :class:`ConfigError` on the first invalid option."""
        if isinstance(self.references, bool) or not isinstance(self.references, (int, np.integer)) \
                or self.references < 1:
            raise ConfigError(f"references: expected a positive number of clips, got {self.references!r}")
        if isinstance(self.smooth, bool) or not isinstance(self.smooth, (int, float)) or not 0 <= self.smooth <= 20:
            raise ConfigError(f"smooth: expected a sigma in steps from 0 to 20, got {self.smooth!r}")
        if self.length is not None and (isinstance(self.length, bool) or not isinstance(self.length, (int, np.integer))
                                        or self.length < 2):
            raise ConfigError(f"length: expected at least 2 timeline steps or None, got {self.length!r}")

    def fit(self, seqs: list[np.ndarray], masks: list[np.ndarray] | None = None) -> "ConsensusAligner":
        masks = masks if masks is not None else [np.ones(len(s), bool) for s in seqs]
        _check_inputs(seqs, masks)
        self.check_params()
        lengths = [len(s) for s in seqs]
        steps = int(self.length if self.length is not None else np.median(lengths))
        data = standardize_set(seqs, masks)
        stretched = [stretch(x, steps) for x in data]  # (T, C) each
        stretched_masks = [stretch(m[:, None].astype(float), steps)[:, 0] > 0.5 for m in masks]
        if self.smooth:
            stretched = [gaussian_filter1d(x, self.smooth, axis=0, mode="nearest") for x in stretched]
        order = central_order(stretched, stretched_masks)
        refs = order[: min(self.references, len(seqs))]
        maps = self._maps_through(refs, stretched, stretched_masks)  # (K, N, T) in stretched frames
        fused = np.median(maps, axis=0)  # (N, T)
        scale = (np.asarray(lengths, float) - 1) / (steps - 1)  # stretched frame -> source frame
        self.frame_maps_ = [np.clip(np.maximum.accumulate(m) * s, 0, n - 1) for m, s, n in zip(fused, scale, lengths)]
        self.reference_ = None
        self.central_ = [int(r) for r in refs]
        self.summary_ = evidence_summary(fused, maps, steps)
        return self

    def _maps_through(self, refs: np.ndarray, stretched: list[np.ndarray], masks: list[np.ndarray]) -> np.ndarray:
        """``(K, N, T)``: each clip's stretched frame at every step of the first reference's time, through each
        reference in turn (clip -> reference k by DTW, reference k -> reference 0 by DTW)."""
        steps = len(stretched[0])
        first = refs[0]
        out = np.empty((len(refs), len(stretched), steps))
        for k, r in enumerate(refs):
            to_first = np.arange(steps, dtype=float) if r == first else _dtw_map(stretched, masks, first, r)
            for i in range(len(stretched)):
                own = np.arange(steps, dtype=float) if i == r else _dtw_map(stretched, masks, r, i)
                out[k, i] = np.interp(to_first, np.arange(steps), own)
        return out


def stretch(values: np.ndarray, steps: int) -> np.ndarray:
    """``(L, C)`` values stretched linearly to ``(steps, C)`` (linear interpolation between frames)."""
    at = np.linspace(0.0, len(values) - 1.0, steps)
    lower = np.floor(at).astype(int)
    upper = np.minimum(lower + 1, len(values) - 1)
    frac = (at - lower)[:, None]
    return (1 - frac) * values[lower] + frac * values[upper]


def central_order(stretched: list[np.ndarray], masks: list[np.ndarray]) -> np.ndarray:
    """Clip indices from the most central: smallest mean frame distance to the other clips, linearly stretched."""
    n = len(stretched)
    total = np.zeros(n)
    for i in range(n):
        for j in range(i + 1, n):
            both = masks[i] & masks[j]
            d = float(np.linalg.norm(stretched[i] - stretched[j], axis=1)[both].mean()) if both.any() else np.inf
            total[i] += d
            total[j] += d
    return np.argsort(total, kind="stable")


def _dtw_map(stretched: list[np.ndarray], masks: list[np.ndarray], ref: int, i: int) -> np.ndarray:
    """Clip i's stretched frame at each stretched frame of clip ``ref`` (DTW path, then a monotone map)."""
    cost = pairwise_cost(stretched[ref], stretched[i], masks[ref], masks[i])
    return path_to_frame_map(dtw_path(cost)[1], len(stretched[ref]))


def evidence_summary(fused: np.ndarray, maps: np.ndarray, steps: int) -> dict:
    """Per clip: ``warp_pct`` (mean |map - linear stretch|) and ``disagreement_pct`` (mean inter-quartile range of
    the references' maps), both in % of the timeline."""
    diagonal = np.arange(steps, dtype=float)
    warp = 100.0 * np.abs(fused - diagonal).mean(axis=1) / steps
    spread = np.percentile(maps, 75, axis=0) - np.percentile(maps, 25, axis=0)  # (N, T)
    disagreement = 100.0 * spread.mean(axis=1) / steps
    return {"warp_pct": [round(float(w), 2) for w in warp],
            "disagreement_pct": [round(float(d), 2) for d in disagreement]}

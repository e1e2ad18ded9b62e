"""DTW from the linear stretch, fused over several central clips: the default for clips of different performers.

Why: across performers, per-frame features carry little timing evidence, and plain DTW against one reference clip
fits its noise. On human-annotated repetitions (RepCount) and Penn Action with random retimings, plain ``dtw``
placed the annotated moments worse than no warping at all (1.3-1.6x its spread). Three changes, each measured on
those sets (``benchmarks/bench_performers.py``, ``docs/benchmarks.md``):

1. Every clip is stretched linearly to one length, so that the DTW runs in the space where "no warping" is the
   diagonal; the central clips are those closest to the others along these DTW paths.
   The timeline is the most central clip's own frames (as ``dtw``'s reference), every clip stretched to its length.
2. Frame distances are put on one scale per pair with a fixed penalty per step off the stretch
   (:func:`relative_cost`), where the pair's evidence is weak.
3. Every clip is aligned to each of the ``references`` most central clips (features smoothed over ``smooth``
   steps), each map carried onto the most central clip's time, and the maps' median kept: one reference's noise
   does not decide a map, and the references' disagreement says how much evidence the clip's map has.
4. A clip that matches the central clip frame for frame (a retimed copy: evidence ratio below ``GATE[0]``) keeps
   its own unsmoothed DTW map to it instead, the precise one, over its own frames (stretching a longer clip first
   would lose part of a frame); between the gate's ends the two maps are blended.

Fitted ``summary_`` (saved in ``sync.json`` as ``extra.aligner``): per clip, ``warp_pct``, how far its map departs
from the linear stretch (mean, % of the timeline), and ``disagreement_pct``, how far the references' maps for it
spread (mean inter-quartile range, % of the timeline): a clip whose warp is smaller than its disagreement was
warped on weak evidence.

>>> rng = np.random.default_rng(0)
>>> base = np.cumsum(rng.normal(size=(60, 3)), axis=0)
>>> aligner = ConsensusAligner().fit([base, base[::2], np.repeat(base, 2, axis=0)])
>>> aligner.reference_, [len(m) for m in aligner.frame_maps_]  # the timeline: clip 0's 60 frames
(0, [60, 60, 60])
>>> [round(float(m[30]), 2) for m in aligner.frame_maps_]  # base[30]: frame 15 of clip 1, frames 60 and 61 of clip 2
[30.0, 14.75, 60.5]
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..errors import ConfigError
from .base import ALIGNERS, VideoAligner
from .batched_dtw import dtw_paths
from .dtw import _check_inputs, dtw_path, pairwise_cost, path_to_frame_map
from .standardizer import merge_repeated_channels, standardize_set


@ALIGNERS.register("consensus")
class ConsensusAligner(VideoAligner):
    """Align linearly stretched clips by DTW to several central clips and keep the median map.

    Parameters
    ----------
    references
        How many of the most central clips every clip is aligned to (at most the number of clips).
    smooth
        Gaussian smoothing of the stretched features over time, sigma in timeline steps (0: off).
    penalty
        What a step off the linear stretch costs, in units of a typical frame distance of the pair (see
        :func:`relative_cost`): 0 lets DTW follow any difference; larger keeps maps closer to the linear stretch.
    length
        Timeline steps (None: the median clip length).
    progress
        Unused (the fit takes ``N * references`` DTWs); accepted like every aligner's.
    """

    def __init__(self, *, references: int = 5, smooth: float = 1.0, penalty: float = 1.0, length: int | None = None,
                 progress: bool = False) -> None:
        self.references = references
        self.smooth = smooth
        self.penalty = penalty
        self.length = length
        self.progress = progress

    def check_params(self) -> None:
        """Raise :class:`ConfigError` on the first invalid option."""
        if isinstance(self.references, bool) or not isinstance(self.references, (int, np.integer)) \
                or self.references < 1:
            raise ConfigError(f"references: expected a positive number of clips, got {self.references!r}")
        if isinstance(self.smooth, bool) or not isinstance(self.smooth, (int, float)) or not 0 <= self.smooth <= 20:
            raise ConfigError(f"smooth: expected a sigma in steps from 0 to 20, got {self.smooth!r}")
        if isinstance(self.penalty, bool) or not isinstance(self.penalty, (int, float)) or not 0 <= self.penalty <= 100:
            raise ConfigError(f"penalty: expected a number from 0 to 100, got {self.penalty!r}")
        if self.length is not None and (isinstance(self.length, bool) or not isinstance(self.length, (int, np.integer))
                                        or self.length < 2):
            raise ConfigError(f"length: expected at least 2 timeline steps or None, got {self.length!r}")

    def fit(self, seqs: list[np.ndarray], masks: list[np.ndarray] | None = None) -> "ConsensusAligner":
        masks = masks if masks is not None else [np.ones(len(s), bool) for s in seqs]
        _check_inputs(seqs, masks)
        self.check_params()
        lengths = [len(s) for s in seqs]
        data = merge_repeated_channels(standardize_set(seqs, masks))
        order = central_order(*self._stretch(data, masks, int(np.median(lengths)), smooth=True), self.penalty)
        first = int(order[0])  # the most central clip: its own pace is the timeline, as dtw's reference
        steps = int(self.length if self.length is not None else lengths[first])
        exact, stretched_masks = self._stretch(data, masks, steps, smooth=False)
        smoothed = self._stretch(data, masks, steps, smooth=True)[0]
        refs = order[: min(self.references, len(seqs))]
        maps = self._maps_through(refs, smoothed, stretched_masks)  # (K, N, T) stretched frames
        ratios = np.array([0.0 if i == first else evidence_ratio(exact, stretched_masks, first, i, self.penalty)
                           for i in range(len(seqs))])
        weight = evidence_gate(ratios)[:, None]  # (N, 1): 0 where a clip matches the central one closely
        scale = (np.asarray(lengths, float) - 1) / (steps - 1)  # stretched frame -> source frame
        direct = [np.arange(steps, dtype=float) for _ in seqs]  # used only where weight < 1
        for i in range(len(seqs)):
            if i != first and weight[i, 0] < 1:  # close to the central clip: its own frames, not stretched ones
                own = _source_map(exact[first], stretched_masks[first], data[i], masks[i], self.penalty)
                direct[i] = own / scale[i]
        fused = (1 - weight) * np.array(direct) + weight * np.median(maps, axis=0)  # (N, T)
        self.frame_maps_ = [np.clip(np.maximum.accumulate(m) * s, 0, n - 1) for m, s, n in zip(fused, scale, lengths)]
        self.reference_ = first if self.length is None else None
        self.central_ = [int(r) for r in refs]
        self.summary_ = evidence_summary(fused, maps, steps)
        self.summary_["evidence_ratio"] = [round(float(r), 3) for r in ratios]
        return self

    def _stretch(self, data: list[np.ndarray], masks: list[np.ndarray], steps: int, *, smooth: bool
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every clip's features and valid frames stretched linearly to ``steps`` (features smoothed by
        ``self.smooth`` if ``smooth``)."""
        stretched = [stretch(x, steps) for x in data]  # (T, C) each
        if smooth and self.smooth:
            stretched = [gaussian_filter1d(x, self.smooth, axis=0, mode="nearest") for x in stretched]
        return stretched, [stretch(m[:, None].astype(float), steps)[:, 0] > 0.5 for m in masks]

    def _maps_through(self, refs: np.ndarray, stretched: list[np.ndarray], masks: list[np.ndarray]) -> np.ndarray:
        """``(K, N, T)``: each clip's stretched frame at every step of the first reference's time, through each
        reference in turn (clip -> reference k by DTW, reference k -> reference 0 by DTW)."""
        steps = len(stretched[0])
        first = refs[0]
        pairs = [(int(r), i) for r in refs for i in range(len(stretched)) if i != r]  # reference r -> clip i
        found = dict(zip(pairs, _dtw_maps(stretched, masks, pairs, self.penalty)))
        out = np.empty((len(refs), len(stretched), steps))
        identity = np.arange(steps, dtype=float)
        for k, r in enumerate(refs):
            to_first = identity if r == first else found[(int(first), int(r))][0]
            for i in range(len(stretched)):
                own = identity if i == r else found[(int(r), i)][0]
                out[k, i] = np.interp(to_first, identity, own)
        return out


def stretch(values: np.ndarray, steps: int) -> np.ndarray:
    """``(L, C)`` values stretched linearly to ``(steps, C)`` (linear interpolation between frames)."""
    at = np.linspace(0.0, len(values) - 1.0, steps)
    lower = np.floor(at).astype(int)
    upper = np.minimum(lower + 1, len(values) - 1)
    frac = (at - lower)[:, None]
    return (1 - frac) * values[lower] + frac * values[upper]


EXACT_CENTRAL_MAX = 64  # up to this many clips the central ones are ranked by DTW; beyond, by the linear stretch


def central_order(stretched: list[np.ndarray], masks: list[np.ndarray], penalty: float) -> np.ndarray:
    """Clip indices from the most central: the smallest mean distance to the other clips, frame against frame
    along each pair's DTW path (:func:`relative_cost`), or, past ``EXACT_CENTRAL_MAX`` clips, along the linear
    stretch (no DTW). Along the linear stretch alone, a still clip of other content looked more central than four
    retimed copies of a moving one, whose frames only meet once aligned."""
    n = len(stretched)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    if n <= EXACT_CENTRAL_MAX:
        distances = [along for _, _, along in _dtw_pairs(stretched, masks, pairs, penalty)]
    else:
        distances = []
        for i, j in pairs:
            both = masks[i] & masks[j]
            distances.append(float(np.linalg.norm(stretched[i] - stretched[j], axis=1)[both].mean())
                             if both.any() else np.inf)
    total = np.zeros(n)
    for (i, j), d in zip(pairs, distances):
        total[i] += d
        total[j] += d
    return np.argsort(np.round(total, 9), kind="stable")  # ties (equal clips, up to rounding): the first given


BATCH_BYTES = 64 * 2**20  # DTWs filled together: at most this much of cost matrices (and as much accumulated)


def _dtw_pairs(stretched: list[np.ndarray], masks: list[np.ndarray], pairs: list[tuple[int, int]], penalty: float
               ) -> list[tuple[np.ndarray, float, float]]:
    """For each pair ``(a, b)`` of equally long stretched clips: ``(DTW path over relative_cost, evidence ratio,
    mean frame distance along the path)``, the DTWs filled in batches (:func:`~.batched_dtw.dtw_paths`)."""
    steps = len(stretched[0])
    per_batch = max(1, BATCH_BYTES // (8 * steps * steps))
    out = []
    for start in range(0, len(pairs), per_batch):
        chunk = pairs[start:start + per_batch]
        raw = [pairwise_cost(stretched[a], stretched[b], masks[a], masks[b]) for a, b in chunk]
        scaled, ratios = zip(*[relative_cost(cost, penalty) for cost in raw])
        paths = dtw_paths(np.stack(scaled))[1]
        out += [(path, ratio, float(cost[path[:, 0], path[:, 1]].mean()))
                for path, ratio, cost in zip(paths, ratios, raw)]
    return out


def _dtw_maps(stretched: list[np.ndarray], masks: list[np.ndarray], pairs: list[tuple[int, int]], penalty: float
              ) -> list[tuple[np.ndarray, float]]:
    """For each pair ``(ref, i)``: clip i's stretched frame at each stretched frame of clip ``ref`` (DTW path, then
    a monotone map) and the pair's evidence ratio (:func:`relative_cost`)."""
    steps = len(stretched[0])
    return [(path_to_frame_map(path, steps), ratio) for path, ratio, _ in _dtw_pairs(stretched, masks, pairs, penalty)]


def _source_map(timeline: np.ndarray, timeline_mask: np.ndarray, clip: np.ndarray, clip_mask: np.ndarray,
                penalty: float) -> np.ndarray:
    """The clip's own frame at each timeline step, by DTW of its frames as they are (not stretched) against the
    timeline's: a retimed copy keeps plain DTW's precision (stretching a longer clip first loses up to a frame)."""
    cost = relative_cost(pairwise_cost(timeline, clip, timeline_mask, clip_mask), penalty)[0]
    return path_to_frame_map(dtw_path(cost)[1], len(timeline))


def evidence_ratio(stretched: list[np.ndarray], masks: list[np.ndarray], ref: int, i: int, penalty: float) -> float:
    """The evidence ratio of clip i against clip ``ref`` (:func:`relative_cost`), with no DTW."""
    return relative_cost(pairwise_cost(stretched[ref], stretched[i], masks[ref], masks[i]), penalty)[1]


GATE = (0.25, 0.5)  # evidence ratio (see relative_cost) where the penalty starts, and where it is whole


def evidence_gate(ratios: np.ndarray) -> np.ndarray:
    """0 where the evidence ratio is below ``GATE[0]`` (the clips match frame for frame), 1 above ``GATE[1]``,
    linear between."""
    return np.clip((np.asarray(ratios, float) - GATE[0]) / (GATE[1] - GATE[0]), 0.0, 1.0)


def relative_cost(cost: np.ndarray, penalty: float) -> tuple[np.ndarray, float]:
    """The pair's frame distances on one scale, with a penalty per step off the linear stretch that grows as the
    evidence for a warp shrinks; returns ``(cost, evidence ratio)``.

    The evidence ratio is the mean over the first clip's frames of the distance to its closest frame of the other
    clip, over the pair's median distance: about 0.03-0.3 for retimed copies of one clip (every frame has an exact
    match), 0.4-1 for two different performers. Across performers every distance carries a large constant (body,
    camera) that acts as a step penalty of its own, different for every pair: some pairs never leave the diagonal,
    others follow noise. So the constant (the mean closest distance) is taken out, the rest measured in units of
    the median distance above it, and a fixed ``penalty`` put in,
    scaled by ``gate``: 0 below ``GATE[0]`` (copies keep plain DTW's precision), whole above ``GATE[1]``. A DTW
    path over a square matrix has one cell per step plus one per step off the diagonal, so a constant per cell is a
    penalty per step.

    >>> cost, ratio = relative_cost(np.array([[5.0, 9.0], [9.0, 5.0]]), 1.0)
    >>> cost.round(2).tolist(), round(ratio, 2)  # closest 5, median 7: ratio 0.71, the whole penalty of 1
    ([[1.0, 3.0], [3.0, 1.0]], 0.71)
    """
    median = max(float(np.median(cost)), 1e-12)
    closest = float(cost.min(axis=1).mean())
    ratio = closest / median
    gate = float(evidence_gate(np.array([ratio]))[0])
    floor = gate * closest
    return np.maximum(cost - floor, 0.0) / max(median - floor, 1e-12) + gate * penalty, ratio


def evidence_summary(fused: np.ndarray, maps: np.ndarray, steps: int) -> dict:
    """Per clip: ``warp_pct`` (mean |map - linear stretch|) and ``disagreement_pct`` (mean inter-quartile range of
    the references' maps), both in % of the timeline."""
    diagonal = np.arange(steps, dtype=float)
    warp = 100.0 * np.abs(fused - diagonal).mean(axis=1) / steps
    spread = np.percentile(maps, 75, axis=0) - np.percentile(maps, 25, axis=0)  # (N, T)
    disagreement = 100.0 * spread.mean(axis=1) / steps
    return {"warp_pct": [round(float(w), 2) for w in warp],
            "disagreement_pct": [round(float(d), 2) for d in disagreement]}

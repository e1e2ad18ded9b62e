"""Clips that are copies of the timeline's clip by their pictures: the same footage retimed, resized, brightened or
re-encoded (an edit slowed down for a replay, a clip exported again at another frame rate). Such a clip is mapped
frame for frame on its pictures, whatever features the set was aligned on.

Why: every frame of a copy has an exact match in the original, and the pictures find it; a pose model does not,
on a small or re-encoded copy. On real clips retimed into copies (``benchmarks/bench_precision.py``, carphone at 25
fps and 0.75x size, 132x108 pixels) the pose features synced the copy with a median error of 1 source frame and its
sound with a p95 of 2.65; its pictures, 16x16 thumbnails, map it within 1 frame everywhere (median 0).

A copy is told by the evidence ratio of its pictures against the timeline clip's (the mean distance of each frame to
its closest match over the median distance, :func:`~mvsync.align.consensus.relative_cost`): 0.05-0.11 on the nine
retimed copies of that benchmark, 0.4-1 for different performers; below ``COPY_RATIO`` a clip is a copy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..features.appearance import AppearanceExtractor
from ..types import Features
from .consensus import relative_cost
from .dtw import dtw_path, pairwise_cost, path_to_frame_map

COPY_RATIO = 0.15  # a clip whose pictures' evidence ratio against the timeline clip's is below this is a copy of it


def picture_values(pictures: list[np.ndarray]) -> list[np.ndarray]:
    """Each clip's pictures ``(L_i, side * side * 3)`` uint8 as the appearance features see them: every frame
    z-scored (brightness and contrast do not count), the clip's mean frame removed, one PCA basis for the set."""
    side = int(round(np.sqrt(pictures[0].shape[1] / 3)))
    clips = [Features(p, np.ones(len(p), bool), np.arange(len(p), dtype=float), "appearance", Path(f"clip{i}"), 1.0)
             for i, p in enumerate(pictures)]
    return [f.values for f in AppearanceExtractor(size=side).finalize(clips)]


def picture_copy_maps(values: list[np.ndarray], reference: int, clips: list[int], *, maps: bool = True
                      ) -> dict[int, tuple[np.ndarray | None, float]]:
    """``{clip: (map, evidence ratio)}`` for each of ``clips`` that is a copy of clip ``reference`` by its pictures'
    ``values`` (:func:`picture_values`, or the ``appearance`` features): ``map`` is the clip's fractional frame at
    each frame of the reference (plain DTW on the pictures, as ``dtw`` maps a clip), None unless ``maps``."""
    timeline = values[reference]
    found = {}
    for i in clips:
        if i == reference:
            continue
        every = np.ones(len(timeline), bool), np.ones(len(values[i]), bool)
        cost, ratio = relative_cost(pairwise_cost(timeline, values[i], *every), 0.0)
        if ratio < COPY_RATIO:
            found[i] = (path_to_frame_map(dtw_path(cost)[1], len(timeline)) if maps else None, ratio)
    return found

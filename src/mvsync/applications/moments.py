"""Five moments of every clip, before and after sync (issue 11, section 4; TPL supp. figures): which clips show the
same thing at the same moment?

Columns are ``n`` equally spaced moments (the centres of ``n`` equal parts). Before sync each clip is cut at those
fractions of its OWN length; after sync every clip shows what the sync map puts at those fractions of the common
timeline. A cell agrees with its column when:

- phase labels are given (one ``(L_i,)`` array per clip): its frame's label is the column's most common label;
- otherwise, from the features: its frame (z-scored over the set) is nearer to its own column's prototype than
  to any other column's. A column's prototype is its medoid, the frame with the smallest total distance to the
  column's other frames. This asks "which of the n moments does this frame look like?" and needs no threshold.

>>> from mvsync import load_features
>>> result = SyncResult.load("out/sync.json")
>>> features = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz", "feats/ride/c.npz")]
>>> grid = moment_grid(result, features)
>>> grid.after.shape, round(float(grid.agree_before.mean()), 2), float(grid.agree_after.mean())  # (clips, moments)
((3, 5), 0.87, 1.0)
>>> grid.rule
"features: a cell agrees when it is nearest its own column's prototype (medoid)"
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..align.standardizer import Standardizer
from ..errors import InputError
from ..result import SyncResult
from ..types import Features

N_MOMENTS = 5
LABEL_RULE = "phase labels: a cell agrees when its label is its column's most common"
FEATURE_RULE = "features: a cell agrees when it is nearest its own column's prototype (medoid)"


@dataclass(frozen=True)
class MomentGrid:
    """The frame each clip shows at ``n`` moments, before and after sync, and whether it agrees with its column."""

    before: np.ndarray  # (N, n) frame index shown in each cell before sync
    after: np.ndarray  # (N, n) frame index after sync; -1 where the clip has no content at that moment
    agree_before: np.ndarray  # (N, n) bool
    agree_after: np.ndarray  # (N, n) bool (False where there is no content)
    rule: str  # how agreement was decided, for the caption


def moment_grid(result: SyncResult, features: list[Features], *, labels: list[np.ndarray] | None = None,
                n: int = N_MOMENTS) -> MomentGrid:
    """The cells of the frames figure (see the module notes); ``labels`` per clip, or None to use the features."""
    fractions = (np.arange(n) + 0.5) / n
    before = np.stack([np.rint(fractions * (t.num_frames - 1)).astype(int) for t in result.videos])  # (N, n)
    steps = np.rint(fractions * (result.length - 1)).astype(int)
    shown = np.stack([t.source_frame[steps] for t in result.videos])  # (N, n) fractional, NaN: no content
    after = np.where(np.isfinite(shown), np.rint(np.nan_to_num(shown, nan=-1)), -1).astype(int)
    if labels is not None:
        _check_labels(labels, result)
        judge, rule = (lambda cells: _agree_by_label(cells, labels)), LABEL_RULE
    else:
        data = Standardizer.fit_features(features)
        values = [np.where(f.valid[:, None], data.transform(f.values.astype(float)), np.nan) for f in features]
        judge, rule = (lambda cells: _agree_by_features(cells, values)), FEATURE_RULE
    return MomentGrid(before, after, judge(before), judge(after), rule)


def _agree_by_label(cells: np.ndarray, labels: list[np.ndarray]) -> np.ndarray:
    agree = np.zeros(cells.shape, bool)
    for col in range(cells.shape[1]):
        shown = [(i, labels[i][f]) for i, f in enumerate(cells[:, col]) if f >= 0]
        values, counts = np.unique([v for _, v in shown], return_counts=True)
        majority = values[np.argmax(counts)]
        for i, value in shown:
            agree[i, col] = value == majority
    return agree


def _agree_by_features(cells: np.ndarray, values: list[np.ndarray]) -> np.ndarray:
    n_clips, n = cells.shape
    frames = np.full((n_clips, n, values[0].shape[1]), np.nan)  # (N, n, C)
    for i, j in zip(*np.nonzero(cells >= 0)):
        frames[i, j] = values[i][cells[i, j]]
    prototypes = np.stack([_medoid(frames[:, j]) for j in range(n)])  # (n, C)
    distance = np.linalg.norm(frames[:, :, None, :] - prototypes[None, None], axis=-1)  # (N, n, n)
    nearest = np.argmin(np.where(np.isfinite(distance), distance, np.inf), axis=-1)  # (N, n)
    return (nearest == np.arange(n)[None]) & np.isfinite(frames).all(axis=-1)


def _medoid(frames: np.ndarray) -> np.ndarray:
    """``(C,)`` the frame of ``frames`` ``(N, C)`` with the smallest total distance to the others (NaN rows, cells
    without content, left out; all NaN if none has content). A real frame, unlike a per-channel median, which
    with a few clips lies near everything."""
    known = frames[np.isfinite(frames).all(axis=1)]
    if not len(known):
        return np.full(frames.shape[1], np.nan)
    total = np.linalg.norm(known[:, None] - known[None], axis=-1).sum(axis=1)
    return known[np.argmin(total)]


def _check_labels(labels: list[np.ndarray], result: SyncResult) -> None:
    if len(labels) != len(result.videos):
        raise InputError(f"labels: given for {len(labels)} clips, the result has {len(result.videos)}; give every "
                         "clip's labels or none")
    for lab, track in zip(labels, result.videos):
        if len(lab) != track.num_frames:
            raise InputError(f"{track.path}: {len(lab)} labels for {track.num_frames} frames")

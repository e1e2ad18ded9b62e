"""Per-channel z-scoring with statistics pooled over the valid frames of a set of clips.

The aligners standardise the clips they synchronise with it (:func:`standardize_set`), and a trained model stores
the one fitted on its training clips (the ``mean`` and ``std`` of its checkpoint) to prepare new clips alike.

>>> import numpy as np
>>> seqs = [np.array([[0.0, 5.0], [2.0, 5.0]]), np.array([[4.0, 5.0], [9.0, 5.0]])]  # (L, C) each
>>> masks = [np.array([True, True]), np.array([True, False])]
>>> s = Standardizer.fit(seqs, masks)
>>> s.mean.tolist(), s.std.tolist()  # the constant channel keeps std 1
([2.0, 5.0], [1.632993161855452, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..types import Features


@dataclass(frozen=True)
class Standardizer:
    """Per-channel z-scoring fitted on the valid frames of a set of sequences."""

    mean: np.ndarray  # (C,)
    std: np.ndarray  # (C,)

    @classmethod
    def fit(cls, seqs: list[np.ndarray], masks: list[np.ndarray]) -> "Standardizer":
        """Mean and std of every channel over the frames where ``masks`` (``(L_i,)`` bool) is True; a channel
        with std below 1e-8 keeps std 1 (constant channels stay constant instead of dividing by zero)."""
        pooled = np.concatenate([s[m] for s, m in zip(seqs, masks)])  # (sum valid L, C)
        std = pooled.std(axis=0)
        return cls(pooled.mean(axis=0), np.where(std < 1e-8, 1.0, std))

    @classmethod
    def fit_features(cls, features: list[Features]) -> "Standardizer":
        """:meth:`fit` on the valid frames of extracted features."""
        return cls.fit([f.values for f in features], [f.valid for f in features])

    @classmethod
    def from_extra(cls, extra: dict) -> "Standardizer | None":
        """The standardisation stored in a checkpoint's ``extra`` (``mean``, ``std``) by
        :meth:`~mvsync.align.trained_model.TrainedModel.save`, if any."""
        return cls(extra["mean"].numpy(), extra["std"].numpy()) if "mean" in extra else None

    def transform(self, values: np.ndarray) -> np.ndarray:
        """``(L, C)`` values z-scored with the fitted statistics."""
        return (values - self.mean) / self.std

    def apply(self, features: Features) -> np.ndarray:
        """``(C, L)`` standardised values, NaN on invalid frames (the aligners mask them)."""
        if features.num_channels != len(self.mean):
            raise InputError(f"{features.path}: {features.num_channels} channels, the model expects {len(self.mean)}")
        values = self.transform(features.values)
        return np.where(features.valid[:, None], values, np.nan).T


def standardize_set(seqs: list[np.ndarray], masks: list[np.ndarray]) -> list[np.ndarray]:
    """Z-score every channel with statistics pooled over the valid frames of all videos (float64 ``(L_i, C)``)."""
    standardizer = Standardizer.fit(seqs, masks)
    return [standardizer.transform(s).astype(np.float64) for s in seqs]


def merge_repeated_channels(seqs: list[np.ndarray]) -> list[np.ndarray]:
    """The same clips with every channel that repeats another one in every frame kept once, scaled by the square
    root of its count: each Euclidean frame distance stays what it was, on fewer channels.

    The ``pose`` features repeat their joint angles to weigh them (212 channels, 80 of them repeats); a DTW's frame
    distances cost a matrix product over the channels, so merging the repeats makes it about 1.5x cheaper.

    >>> a = np.array([[1.0, 1.0, 2.0], [3.0, 3.0, 4.0]])
    >>> merged = merge_repeated_channels([a])[0]
    >>> merged.shape, bool(np.isclose(np.linalg.norm(merged[0] - merged[1]), np.linalg.norm(a[0] - a[1])))
    ((2, 2), True)
    """
    pooled = np.concatenate(seqs)  # (sum L, C)
    columns = np.ascontiguousarray(pooled.T)
    seen: dict[bytes, int] = {}
    first = np.array([seen.setdefault(column.tobytes(), c) for c, column in enumerate(columns)])  # bitwise equal
    if len(np.unique(first)) == pooled.shape[1]:
        return seqs
    keep, counts = np.unique(first, return_counts=True)  # in their first order
    return [s[:, keep] * np.sqrt(counts) for s in seqs]

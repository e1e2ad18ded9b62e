"""The contract every video aligner follows, and the ``ALIGNERS`` registry.

An aligner sees one per-frame feature sequence per video and learns a common timeline.
After ``fit`` it exposes, for every video, which (fractional) source frame is shown at each
step of that timeline.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..errors import NotFittedError
from ..registry import Registry

ALIGNERS: Registry[type["VideoAligner"]] = Registry("method")


class VideoAligner:
    """Base class (scikit-learn style: hyper-parameters in ``__init__``, fitted state ends in ``_``).

    Fitted attributes
    -----------------
    frame_maps_ : list of (T,) float arrays
        ``frame_maps_[i][t]`` is the fractional frame of video i at timeline step t (NaN where
        the video has no content); monotone non-decreasing where finite.
    reference_ : int or None
        The video whose frames define the timeline, if the method uses one.
    summary_ : dict, optional
        Plain values the method reports about its fit (e.g. whether ``tpl`` kept its refinement); ``sync`` saves
        them in ``sync.json`` as ``extra.aligner``.
    """

    uses_reference: ClassVar[bool] = False  # True when the timeline is one clip's own (``reference`` option)

    def fit(self, seqs: list[np.ndarray], masks: list[np.ndarray] | None = None) -> "VideoAligner":
        raise NotImplementedError

    def check_params(self) -> None:
        """Raise :class:`~mvsync.errors.ConfigError` on the first invalid hyper-parameter value. ``sync`` calls it
        before anything is decoded; an aligner with values to check overrides it (and calls it from ``fit``)."""

    def check_fitted(self) -> None:
        if not hasattr(self, "frame_maps_"):
            raise NotFittedError(f"{type(self).__name__}: call fit() first")


def create_aligner(method: str, **params: Any) -> VideoAligner:
    """Build a registered aligner by name, e.g. ``create_aligner("dtw", reference=0)``."""
    return ALIGNERS.get(method)(**params)


"""Stage 3: alignment methods. Each module registers itself in ``ALIGNERS``."""

from . import dtw  # noqa: F401  (registration)
from .base import ALIGNERS, VideoAligner, create_aligner

__all__ = ["ALIGNERS", "VideoAligner", "create_aligner"]

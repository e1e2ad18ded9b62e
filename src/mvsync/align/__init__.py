"""Stage 3: alignment methods. Each video aligner registers itself in ``ALIGNERS``."""

from . import dtw, tpl_aligner  # noqa: F401  (registration)
from .base import ALIGNERS, VideoAligner, create_aligner
from .cpab import CPAB
from .estimators import DTAN, TPL

__all__ = ["ALIGNERS", "CPAB", "DTAN", "TPL", "VideoAligner", "create_aligner"]

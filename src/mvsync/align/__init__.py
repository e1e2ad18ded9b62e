"""Stage 3: alignment methods. Each video aligner registers itself in ``ALIGNERS``; the DTAN/TPL engine behind
``tpl`` lives in :mod:`.engine`, the TCC family of frame embedders in :mod:`.tcc`."""

from . import consensus, dtw, tpl_aligner  # noqa: F401  (registration)
from .base import ALIGNERS, VideoAligner, create_aligner
from .engine import CPAB, DTAN, TPL

__all__ = ["ALIGNERS", "CPAB", "DTAN", "TPL", "VideoAligner", "create_aligner"]

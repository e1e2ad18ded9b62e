"""The joint-alignment engine behind the ``tpl`` aligner: CPAB warps, the DTAN and TPL nets, their fitting loop and
checkpoint files. It aligns any batch of time series and knows nothing of videos; the aligners in ``align/`` use it.

>>> import numpy as np
>>> X = [np.random.default_rng(i).normal(size=(2, 30)).cumsum(1) for i in range(4)]  # (C, L) each
>>> TPL(epochs=2, widths=(8,), loc_filters=4, loc_depth=1).fit(X).warps(X, n_points=5).shape
(4, 5)
"""

from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from .cpab import CPAB
from .estimators import DTAN, TPL
from .fitting import FitConfig, Trainer
from .joint import JointAligner

__all__ = [
    "CHECKPOINT_FORMAT", "CPAB", "DTAN", "FitConfig", "JointAligner", "TPL", "Trainer", "load_checkpoint",
    "save_checkpoint",
]

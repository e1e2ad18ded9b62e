"""A trained alignment model and the checkpoint that carries it (written by ``mvsync train``).

Besides the algorithm's own state a checkpoint records the feature kind the model expects, what the feature
extractor fitted to the training set (appearance's PCA basis), the per-channel standardisation fitted on the
training set and the action names, so that ``mvsync sync --model`` and
``mvsync eval --model`` prepare new clips exactly as the training clips were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import InputError
from ..types import FRAMES, Features
from .engine import CHECKPOINT_FORMAT as JOINT_FORMAT
from .engine import DTAN, TPL, load_checkpoint
from .standardizer import Standardizer
from .tcc import embed, save_embedder
from .tcc.embedder import CHECKPOINT_FORMAT as TCC_FORMAT
from .tcc.embedder import embedder_from_payload

JOINT = {"tpl": TPL, "dtan": DTAN}  # joint-alignment estimators; every other algo is a TCC-family embedder


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A trained alignment model with what it needs to read new clips."""

    algo: str
    features: str  # feature kind of the training clips, e.g. "pose" or "keypoints"
    standardizer: Standardizer
    actions: list[str]
    model: Any  # a fitted TPL / DTAN estimator or a TCCEmbedder
    # What the feature extractor fitted to the training set (appearance: its PCA basis; see
    # mvsync.features.base.fitted_state), applied to new clips instead of a basis fitted to them; None: nothing
    feature_state: dict[str, np.ndarray] | None = None

    def embed(self, features: Features) -> np.ndarray:
        """Per-frame embedding ``(L, D)``.

        TCC family: the learned 128-d embedding. TPL/DTAN: the frame's position on the learned common
        timeline (``D = 1``, in [0, 1]): what these methods learn is where each frame sits on the prototype.
        A frame encoder reads the pixels of a :data:`~mvsync.types.FRAMES` stand-in from its ``path``.
        """
        if (features.kind == FRAMES) != (self.features == FRAMES):
            raise InputError(f"{features.path}: the model was trained on {self.features}, got {features.kind}")
        if features.kind == FRAMES:
            return embed(self.model, features.path)
        x = self.standardizer.apply(features)  # (C, L)
        if self.algo in JOINT:
            return self.model.warps([x], inverse=True)[0][:, None]  # (L, 1)
        return embed(self.model, np.nan_to_num(x.T))

    def save(self, path: str | Path) -> Path:
        extra = {"algo": self.algo, "features": self.features, "actions": list(self.actions),
                 "mean": torch.from_numpy(self.standardizer.mean), "std": torch.from_numpy(self.standardizer.std)}
        if self.feature_state is not None:
            extra["feature_state"] = {k: torch.from_numpy(np.asarray(v)) for k, v in self.feature_state.items()}
        if self.algo in JOINT:
            self.model.save(path, extra=extra)
        else:
            save_embedder(self.model, path, extra=extra)
        return Path(path)


def load_model(path: str | Path, *, device: str = "cpu") -> TrainedModel:
    """Read a checkpoint written by :meth:`TrainedModel.save` (``mvsync train``)."""
    payload = load_checkpoint(path, format=(JOINT_FORMAT, TCC_FORMAT), what="model (mvsync train)")
    extra = payload.get("extra", {})
    if "algo" not in extra:
        raise InputError(f"{path}: not a checkpoint written by mvsync train (no algorithm recorded)")
    if extra["algo"] in JOINT:
        model = JOINT[extra["algo"]].from_payload(payload, source=str(path), device=device)
    else:
        model = embedder_from_payload(payload, device=device)
    standardizer = Standardizer.from_extra(extra)
    state = extra.get("feature_state")  # absent from checkpoints written before it was stored
    state = {k: v.numpy() for k, v in state.items()} if state else None
    return TrainedModel(extra["algo"], extra["features"], standardizer, list(extra["actions"]), model, state)

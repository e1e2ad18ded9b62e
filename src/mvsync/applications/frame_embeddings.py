"""Per-frame embeddings of synchronised clips, from any method (issue 11): what the figures plot.

- ``raw``: the clips' features z-scored per channel over the set (:mod:`mvsync.align.standardizer`), ``(L, C)``;
- ``tpl``: each frame's position on a TPL timeline fitted on the clips (as ``mvsync sync --method tpl`` fits it),
  ``(L, 1)`` in [0, 1];
- a checkpoint of ``mvsync train`` (``model``): its learned embedding (TCC family, ``(L, 128)``) or, for TPL/DTAN,
  each frame's position on its learned timeline (:meth:`~mvsync.align.trained_model.TrainedModel.embed`).

>>> from mvsync import load_features
>>> features = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz")]  # appearance, 32 channels
>>> embs = frame_embeddings(features, kind="raw")
>>> [e.shape for e in embs]
[(100, 32), (131, 32)]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..align.standardizer import Standardizer
from ..errors import ConfigError
from ..evaluate.protocol import frame_positions
from ..types import Features

if TYPE_CHECKING:
    from ..align.trained_model import TrainedModel

EMBEDDING_NAMES = ("raw", "tpl")  # without a model; a checkpoint brings its own


def frame_embeddings(features: list[Features], *, kind: str = "raw", model: "str | Path | TrainedModel | None" = None,
                     seed: int = 0, progress: bool = False) -> list[np.ndarray]:
    """Per-frame embeddings ``(L_i, D)`` of every clip (see the module notes); ``model`` (a checkpoint's path, or
    one already loaded) overrides ``kind``."""
    if model is not None:
        from ..align.trained_model import load_model

        trained = load_model(model) if isinstance(model, (str, Path)) else model
        return [np.nan_to_num(np.asarray(trained.embed(f), float)) for f in features]
    if kind == "raw":
        standardizer = Standardizer.fit_features(features)
        return [np.nan_to_num(standardizer.apply(f).T) for f in features]
    if kind == "tpl":
        from ..align.tpl_aligner import TPLAligner

        aligner = TPLAligner(seed=seed, progress=progress).fit([f.values for f in features], [f.valid for f in features])
        return [frame_positions(m, f.num_frames) for m, f in zip(aligner.frame_maps_, features)]
    raise ConfigError(f"embedding: unknown {kind!r}; choose one of {', '.join(EMBEDDING_NAMES)} (or give a model)")


def check_embedding(kind: str, model: str | Path | None) -> None:
    """A known embedding name, or a checkpoint that exists (read when the embeddings are made)."""
    if model is not None and not Path(model).is_file():
        raise ConfigError(f"model: {model}: no such file")
    if kind not in EMBEDDING_NAMES:
        raise ConfigError(f"embedding: unknown {kind!r}; choose one of {', '.join(EMBEDDING_NAMES)} (or give a model)")


def feature_kind(model: str | Path | None, default: str) -> str:
    """The features to embed: the ones a checkpoint was trained on, else ``default`` (the sync result's)."""
    if model is None:
        return default
    from ..align.trained_model import load_model

    return load_model(model).features

"""Training on labelled sequences: TPL/DTAN (joint alignment) and the TCC family (per-frame embedders).

The result is a :class:`~mvsync.align.trained.TrainedModel`; its ``save`` writes the checkpoint.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .align.joint import JointAligner
from .align.tcc import ALGORITHMS as TCC_ALGORITHMS
from .align.tcc import fit_embedder
from .align.trained import JOINT, Standardizer, TrainedModel
from .datasets.collection import LabeledSequence
from .errors import ConfigError, InputError
from .registry import Registry

TRAINERS: Registry[Callable] = Registry("algo")


def train(
    seqs: list[LabeledSequence],
    *,
    algo: str = "tpl",
    epochs: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = False,
    **params: Any,
) -> TrainedModel:
    """Train ``algo`` on labelled sequences of one feature kind (all actions jointly for TPL/DTAN,
    as in the TPL paper; TCC-family embedders learn one embedding over all given clips).

    ``params`` go to the algorithm (``TPL(...)``/``DTAN(...)`` arguments, or ``fit_embedder`` options).

    >>> model = train(load_collection("feats/"), algo="tpl", epochs=50)  # doctest: +SKIP
    >>> model.save("tpl.pt")  # doctest: +SKIP
    """
    if len(seqs) < 2:
        raise InputError(f"training data: {len(seqs)} clip(s); need at least 2")
    kinds = {s.features.kind for s in seqs}
    if len(kinds) != 1:
        raise InputError(f"training data: mixes feature kinds {sorted(kinds)}")
    standardizer = Standardizer.fit([s.features for s in seqs])
    X = [standardizer.apply(s.features) for s in seqs]  # (C, L_i) each
    actions = sorted({s.action for s in seqs})
    trainer = TRAINERS.get(algo)
    model = trainer(X, [s.action for s in seqs], algo=algo, epochs=epochs, seed=seed, device=device,
                    progress=progress, **params)
    return TrainedModel(algo, kinds.pop(), standardizer, actions, model)


def _train_joint(X, y, *, algo, epochs, seed, device, progress, **params) -> JointAligner:
    options = {**params, **({"epochs": epochs} if epochs is not None else {})}
    try:
        estimator = JOINT[algo](seed=seed, device=device, progress=progress, **options)
    except TypeError as err:
        raise ConfigError(f"{algo}: {err}") from None
    return estimator.fit(X, y=y)


def _train_embedder(X, y, *, algo, epochs, seed, device, progress, **params):
    del y  # self-supervised: the action labels are not used
    sequences = [np.nan_to_num(x.T) for x in X]  # (L, C) each; invalid frames at the training mean
    options = {**params, **({"epochs": epochs} if epochs is not None else {})}
    return fit_embedder(sequences, algo=algo, seed=seed, device=device, progress=progress, **options)


for _name in JOINT:
    TRAINERS.register(_name)(_train_joint)
for _name in TCC_ALGORITHMS:
    TRAINERS.register(_name)(_train_embedder)

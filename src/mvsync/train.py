"""Training on labelled sequences: TPL/DTAN (joint alignment) and the TCC family (per-frame embedders).

The result is a :class:`~mvsync.align.trained.TrainedModel`; its ``save`` writes the checkpoint.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .align.joint import JointAligner
from .align.tcc import ALGORITHMS as TCC_ALGORITHMS
from .align.tcc import EncoderConfig, LossConfig, fit_embedder
from .align.trained import JOINT, Standardizer, TrainedModel
from .datasets.collection import LabeledSequence
from .errors import ConfigError, InputError
from .registry import Registry
from .types import FRAMES

TRAINERS: Registry[Callable] = Registry("algo")
STILL_WARP = 0.01  # mean |g(s) - s| below 1% of the length: the warps have not left the identity (TPL with the
# seed's lr 1e-4 for 300 steps on 6 retimed clips moved 0.004; DTAN there 0.12; the true retimings are ~0.04)
log = logging.getLogger(__name__)


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

    ``params`` go to the algorithm (``TPL(...)``/``DTAN(...)`` arguments, or ``fit_embedder`` options and
    ``EncoderConfig``/``LossConfig`` fields such as ``base="vggm"``, ``image_size=112``, ``temperature=0.1``). Sequences of kind ``"frames"``
    (``load_collection(..., features="frames")``) train a TCC-family frame encoder on the pixels.

    >>> model = train(load_collection("feats/"), algo="tpl", epochs=50)  # doctest: +SKIP
    >>> model.save("tpl.pt")  # doctest: +SKIP
    """
    if len(seqs) < 2:
        raise InputError(f"training data: {len(seqs)} clip(s); need at least 2")
    kinds = {s.features.kind for s in seqs}
    if len(kinds) != 1:
        raise InputError(f"training data: mixes feature kinds {sorted(kinds)}")
    trainer = TRAINERS.get(algo)
    if FRAMES in kinds and trainer is not _train_embedder:
        raise ConfigError(f"{algo}: aligns per-frame feature sequences, not raw frames; pass features (keypoints, "
                          "pose, appearance, resnet50...) or train a frame encoder (tcc, tcn, sal...)")
    standardizer = Standardizer.fit([s.features for s in seqs])  # no channels (identity) for raw frames
    X = [s.features.path if s.features.kind == FRAMES else standardizer.apply(s.features) for s in seqs]
    actions = sorted({s.action for s in seqs})
    model = trainer(X, [s.action for s in seqs], algo=algo, epochs=epochs, seed=seed, device=device,
                    progress=progress, **params)
    return TrainedModel(algo, kinds.pop(), standardizer, actions, model)


def _train_joint(X, y, *, algo, epochs, seed, device, progress, **params) -> JointAligner:
    options = {**params, **({"epochs": epochs} if epochs is not None else {})}
    try:
        estimator = JOINT[algo](seed=seed, device=device, progress=progress, **options)
    except TypeError as err:
        raise ConfigError(f"{algo}: {err}") from None
    estimator.fit(X, y=y)
    moved = warp_displacement(estimator, X)
    if moved < STILL_WARP:
        steps = estimator.epochs * -(-len(X) // estimator.batch_size)
        log.warning("%s: after %d optimizer steps the warps are still near the identity (mean |g(s) - s| = %.4f of the "
                    "sequence length); unless the clips are already aligned, train longer (--epochs) or raise the "
                    "learning rate (--set lr=1e-3)", algo, steps, moved)
    return estimator


def warp_displacement(estimator: JointAligner, X) -> float:
    """How far the learned warps moved from the identity: mean ``|g(s) - s|`` over the sequences and 100 times."""
    s = np.linspace(0.0, 1.0, 100)
    return float(np.mean(np.abs(estimator.warps(X, n_points=100) - s)))


def _train_embedder(X, y, *, algo, epochs, seed, device, progress, **params):
    """``X``: standardised ``(C, L)`` features (the ``mlp`` base) or frame paths (a frame base, ``resnet50`` unless
    ``base="vggm"``). ``params``: :func:`fit_embedder` options plus :class:`EncoderConfig` fields by name."""
    del y  # self-supervised: the action labels are not used
    frames = isinstance(X[0], Path)
    sequences = X if frames else [np.nan_to_num(x.T) for x in X]  # (L, C) each; invalid frames at the training mean
    encoder, loss = _fields_of(EncoderConfig, params), _fields_of(LossConfig, params)  # by name, e.g. --set base=vggm
    if encoder or "encoder" not in params:
        params["encoder"] = EncoderConfig(**({} if frames else {"base": "mlp"}), **encoder)
    if loss:
        params["loss"] = LossConfig(**{**loss, **({"sal_hidden": tuple(loss["sal_hidden"])} if "sal_hidden" in loss else {})})
    unknown = sorted(set(params) - set(inspect.signature(fit_embedder).parameters))
    if unknown:
        raise ConfigError(f"{algo}: unknown option(s) {', '.join(unknown)} "
                          "(see fit_embedder, EncoderConfig and LossConfig)")
    options = {**params, **({"epochs": epochs} if epochs is not None else {})}
    return fit_embedder(sequences, algo=algo, seed=seed, device=device, progress=progress, **options)


def _fields_of(config_cls, params: dict) -> dict:
    """Pop the entries of ``params`` that name fields of the dataclass ``config_cls``."""
    names = {f.name for f in dataclasses.fields(config_cls)}
    return {k: params.pop(k) for k in list(params) if k in names}


for _name in JOINT:
    TRAINERS.register(_name)(_train_joint)
for _name in TCC_ALGORITHMS:
    TRAINERS.register(_name)(_train_embedder)

"""Training on labelled sequences: TPL/DTAN (joint alignment) and the TCC family (per-frame embedders).

The result is a :class:`~mvsync.align.trained_model.TrainedModel`; its ``save`` writes the checkpoint.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .align.engine import JointAligner
from .align.engine.distributed import close_process_group, init_process_group, is_main_process, launched_by_torchrun
from .align.tcc import ALGORITHMS as TCC_ALGORITHMS
from .align.tcc import EncoderConfig, LossConfig, fit_embedder
from .align.standardizer import Standardizer
from .align.trained_model import JOINT, TrainedModel
from .datasets.collection import LabeledSequence
from .errors import ConfigError, InputError
from .features.base import fitted_state
from .registry import Registry
from .threads import check_threads, torch_threads
from .types import FRAMES

TRAINERS: Registry[Callable] = Registry("algo")
STILL_WARP = 0.01  # mean |g(s) - s| below 1% of the length: the warps have not left the identity (TPL with the
# seed's lr 1e-4 for 300 steps on 6 retimed clips moved 0.004; DTAN there 0.12; the true retimings are ~0.04)
FLAT_LATENT = 0.25  # TPL latent: variance within clips below this share of its total variance means the latent
# codes which clip (or action) it is rather than where in the motion a frame is (measured on Penn Action, 4 actions
# jointly with a batch norm on the latent: 9%; per-clip standardisation makes it 100% by construction)
log = logging.getLogger(__name__)


def train(
    seqs: list[LabeledSequence],
    *,
    algo: str = "tpl",
    epochs: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = False,
    resume: str | Path | None = None,
    threads: int | None = None,
    **params: Any,
) -> TrainedModel:
    """Train ``algo`` on labelled sequences of one feature kind (all actions jointly for TPL/DTAN,
    as in the TPL paper; TCC-family embedders learn one embedding over all given clips).

    ``params`` go to the algorithm (``TPL(...)``/``DTAN(...)`` arguments, or ``fit_embedder`` options and
    ``EncoderConfig``/``LossConfig`` fields such as ``base="vggm"``, ``image_size=112``, ``temperature=0.1``). Sequences of kind ``"frames"``
    (``load_collection(..., features="frames")``) train a TCC-family frame encoder on the pixels.

    ``threads`` sets torch's CPU threads while training (default: torch's, capped at the cores this process may
    use; ``OMP_NUM_THREADS`` when set, as ``torchrun`` does; see :mod:`mvsync.threads`). ``resume`` (TPL/DTAN)
    continues a checkpoint written by :meth:`TrainedModel.save` up to ``epochs``, on the same path as an
    uninterrupted run. Started by ``torchrun --nproc-per-node N``, every process trains its share of each batch
    (TPL/DTAN: of the clips; the TCC family: of the videos of a step) with DistributedDataParallel (gloo on CPU, nccl
    on CUDA, one GPU per process); the loss is the global batch's, as in one process (see
    :mod:`~mvsync.align.engine.distributed`). Save the result on rank 0 only
    (:func:`~mvsync.align.engine.distributed.is_main_process`).

    >>> from mvsync.datasets.collection import load_collection
    >>> model = train(load_collection("feats/"), algo="tpl", epochs=2)
    >>> model.algo, model.actions
    ('tpl', ['pedal', 'ride'])
    >>> model.save("tpl.pt")
    PosixPath('tpl.pt')
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
    standardizer = Standardizer.fit_features([s.features for s in seqs])  # no channels (identity) for raw frames
    X = [s.features.path if s.features.kind == FRAMES else standardizer.apply(s.features) for s in seqs]
    actions = sorted({s.action for s in seqs})
    joint = trainer is _train_joint
    if not joint and resume is not None:
        raise ConfigError(f"{algo}: resume is for tpl and dtan; train {algo} from the start")
    check_threads(threads)
    if launched_by_torchrun():
        _, device = init_process_group(device)
    try:
        with torch_threads(threads):
            model = trainer(X, [s.action for s in seqs], algo=algo, epochs=epochs, seed=seed, device=device,
                            progress=progress, **params, **({"resume": resume} if joint else {}))
    finally:
        close_process_group()
    if joint and is_main_process():
        _check_joint(model, X, seqs, algo)
    trained = TrainedModel(algo, kinds.pop(), standardizer, actions, model, training_feature_state(seqs))
    if is_main_process():
        against_no_warping(trained, seqs)
    return trained


def against_no_warping(model: TrainedModel, seqs: list[LabeledSequence]) -> tuple[float, float] | None:
    """``(model, no warping)``: the key-event error ``mvsync eval`` reports (% of the timeline, after DTW on the
    embeddings), on the clips the model was trained on, with a warning when the model's is the larger; None when
    the clips have no key events (or are raw frames, which would be decoded again)."""
    if not any(s.events for s in seqs) or model.features == FRAMES:
        return None
    from .evaluate.protocol import evaluate, identity_embedder, model_embedder

    try:
        mine = evaluate(seqs, embedder=model_embedder(model), method=model.algo).macro.get("event_err_pct")
        none = evaluate(seqs, embedder=identity_embedder(), method="no warping").macro.get("event_err_pct")
    except InputError:  # no action with 2 clips: nothing to compare
        return None
    if mine is None or none is None:
        return None
    if mine > none:
        log.warning("%s: worse than no warping on its own training clips: key events %.2f%% of the timeline apart "
                    "against %.2f%% with every clip stretched linearly (mvsync eval's event_err_pct); train longer, "
                    "with other options, or sync without the model", model.algo, mine, none)
    return mine, none


def training_feature_state(seqs: list[LabeledSequence]) -> dict[str, np.ndarray] | None:
    """What the extractor fitted to the training clips (appearance's PCA basis), for the checkpoint, so that new
    clips are read in the same basis. Clips extracted in several sets (several bases) have none to store: a warning
    says so."""
    states = [fitted_state([s.features]) for s in seqs]
    first = states[0]
    same = all(s is not None and s.keys() == first.keys() and all(np.array_equal(s[k], first[k]) for k in first)
               for s in states) if first is not None else all(s is None for s in states)
    if not same:
        log.warning("training data: the %s features were fitted to several sets of clips (e.g. one mvsync features "
                    "run per action), each with its own basis; the model stores none, so new clips get yet another "
                    "(extract every training clip in one run to avoid this)", seqs[0].features.kind)
        return None
    return first


def _train_joint(X, y, *, algo, epochs, seed, device, progress, resume=None, **params) -> JointAligner:
    options = {**params, **({"epochs": epochs} if epochs is not None else {})}
    try:
        estimator = JOINT[algo](seed=seed, device=device, progress=progress, **options)
    except TypeError as err:
        raise ConfigError(f"{algo}: {err}") from None
    return estimator.fit(X, y=y, resume=resume)


def _check_joint(estimator: JointAligner, X, seqs: list[LabeledSequence], algo: str) -> None:
    """Warn when a TPL/DTAN fit is visibly broken: warps that never moved, a latent that stopped varying within
    clips, or warps that put the training clips' key events further apart than no warping does."""
    moved = warp_displacement(estimator, X)
    if moved < STILL_WARP:
        steps = estimator.epochs * -(-len(X) // estimator.batch_size)
        log.warning("%s: after %d optimizer steps the warps are still near the identity (mean |g(s) - s| = %.4f of the "
                    "sequence length); unless the clips are already aligned, train longer (more epochs) or raise the "
                    "learning rate (lr=1e-3)", algo, steps, moved)
    if hasattr(estimator, "encode"):
        share = within_clip_share(estimator.encode(X))
        if share < FLAT_LATENT:
            log.warning("%s: the latent collapsed into a clip code: only %.0f%% of its variance is within clips, so it "
                        "barely follows the motion; try latent_norm='clip'", algo, 100 * share)
    learned, identity = event_spread(estimator, X, seqs)
    if learned > identity:
        log.warning("%s: the learned warps spread the training clips' key events more than no warping does (mean "
                    "deviation %.3f against %.3f of the timeline): the alignment is worse than doing nothing",
                    algo, learned, identity)


def warp_displacement(estimator: JointAligner, X) -> float:
    """How far the learned warps moved from the identity: mean ``|g(s) - s|`` over the sequences and 100 times."""
    s = np.linspace(0.0, 1.0, 100)
    return float(np.mean(np.abs(estimator.warps(X, n_points=100) - s)))


def within_clip_share(latents: np.ndarray) -> float:
    """Share of a latent's variance that lies within clips (``latents`` ``(N, L)``, NaN past each length):
    1 when every clip varies around the same mean, near 0 when clips differ only by their level.

    >>> levels, motion = np.array([[0.0, 1.0], [10.0, 11.0]]), np.array([[0.0, 1.0], [0.0, 1.0]])
    >>> within_clip_share(levels) < 0.01 < 0.99 < within_clip_share(motion)
    True
    """
    pooled = np.nanvar(latents)
    return float(np.nanmean(np.nanvar(latents, axis=1)) / pooled) if pooled > 0 else 0.0


def event_spread(estimator: JointAligner, X, seqs: list[LabeledSequence]) -> tuple[float, float]:
    """Mean ``|position - median|`` of each key event on the common timeline (in [0, 1]), over the clips of each
    action that have it, averaged over actions and events: with the learned warps, and with none (each clip's
    normalised time). ``(nan, nan)`` when no clip has events.

    Joint alignment is defined only up to a warp shared by all clips, and a shared warp that squeezes the common
    time around an event shrinks its spread without aligning anything. So the learned positions are read through
    the inverse of each action's mean warp: a warp common to every clip then scores exactly as no warping."""
    inverse = estimator.warps(X, inverse=True)  # (N, L) common time at each own sample
    grid = np.linspace(0.0, 1.0, 101)  # normalised own time, where the clips' warps are averaged
    own: dict[str, list[np.ndarray]] = {}
    positions: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for seq, common in zip(seqs, inverse):
        last = seq.features.num_frames - 1
        own.setdefault(seq.action, []).append(np.interp(grid * last, np.arange(last + 1), common[: last + 1]))
        for name, frame in seq.events.items():
            if frame is not None and np.isfinite(frame):
                learned = float(np.interp(frame, np.arange(last + 1), common[: last + 1]))
                positions.setdefault((seq.action, name), []).append((learned, frame / max(last, 1)))
    shared = {action: np.maximum.accumulate(np.mean(curves, axis=0)) for action, curves in own.items()}
    spreads = []
    for (action, _), pairs in positions.items():
        if len(pairs) > 1:
            p = np.array(pairs)  # (n, 2) learned, identity
            p[:, 0] = np.interp(p[:, 0], shared[action], grid)  # the shared warp undone
            spreads.append(np.abs(p - np.median(p, axis=0)).mean(axis=0))
    return tuple(np.mean(spreads, axis=0)) if spreads else (float("nan"), float("nan"))


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

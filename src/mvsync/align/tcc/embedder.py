"""Train a TCC-family embedder (nanoGPT-like: one readable loop), embed every frame, save and load checkpoints.

>>> videos = [np.random.default_rng(i).normal(size=(40, 8)) for i in range(3)]
>>> model = fit_embedder(videos, algo="tcc", epochs=2, num_frames=8)
>>> embed(model, videos[0]).shape
(40, 128)
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ...errors import ConfigError, InputError
from ..engine.checkpoint import load_checkpoint, save_checkpoint
from ..engine.distributed import Ranks, current, data_parallel, gather_rows
from ..engine.global_batchnorm import use_global_batchnorm
from .encoders import EncoderConfig, TCCEncoder, encoder_config_for
from .inputs import Input, is_frames, iter_items, load_videos
from .objectives import ALGORITHMS, LossConfig, Objective, build_objective
from .sampling import Video, make_batch, video_batches

log = logging.getLogger(__name__)
CHECKPOINT_FORMAT = "mvsync-tcc/1"


@dataclass(frozen=True)
class TCCTrainConfig:
    """Optimisation settings (defaults: seed Table 2)."""

    algo: str = "tcc"  # a name in ALGORITHMS: tcc, tcn, sal, tcc+tcn, tcc+sal
    epochs: int = 100  # passes over the videos; one step per batch of videos
    batch_videos: int = 4  # videos per step (seed: 4)
    num_frames: int = 20  # frames sampled per video per step (seed: 20)
    lr: float = 1e-4  # Adam learning rate (seed: 1e-4)
    weight_decay: float = 1e-5  # Adam's L2 penalty (seed: 1e-5; TCC's code regularises the weights by L2)
    augment: bool = True  # the seed's augmentation (see augment.py)
    seed: int = 0  # weight init, frame sampling, augmentation, dropout and SaL triplets
    device: str = "cpu"  # "cpu", "cuda", "cuda:1"...

    def check(self) -> None:
        """Raise :class:`ConfigError` on the first invalid field."""
        ALGORITHMS.get(self.algo)
        for name in ("epochs", "batch_videos", "num_frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name}: must be a positive int, got {value!r}")
        if not (self.lr > 0 and self.weight_decay >= 0):
            raise ConfigError(f"lr, weight_decay: must be > 0 and >= 0, got {self.lr!r}, {self.weight_decay!r}")
        if str(self.device).startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"device: {self.device!r} requested but CUDA is not available; use device='cpu'")


@dataclass(frozen=True)
class TCCConfig:
    """Everything needed to rebuild a trained embedder; written into every checkpoint."""

    encoder: EncoderConfig
    loss: LossConfig
    train: TCCTrainConfig

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TCCConfig:
        loss = {**data["loss"], "sal_hidden": tuple(data["loss"]["sal_hidden"])}
        return cls(EncoderConfig(**data["encoder"]), LossConfig(**loss), TCCTrainConfig(**data["train"]))


class TCCEmbedder(nn.Module):
    """A trained (or untrained) encoder with its training objective and the config that rebuilds both.

    Calling it runs the encoder: ``(B, T, k, ...) -> (B, T, E)``; use :func:`embed` for whole videos.
    """

    def __init__(self, config: TCCConfig, *, pretrained: bool = True) -> None:
        super().__init__()
        self.config = config
        self.encoder = TCCEncoder(config.encoder, pretrained=pretrained)
        self.objective: Objective = build_objective(config.train.algo, config.loss, config.encoder.embedding_size)
        self.history: list[dict[str, float]] = []  # per-epoch mean losses
        self.extra: dict = {}  # what the caller stored with the checkpoint (see save_embedder)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


def fit_embedder(
    data: Sequence[Input],
    *,
    algo: str = "tcc",
    epochs: int = 100,
    batch_videos: int = 4,
    num_frames: int = 20,
    lr: float = 1e-4,
    weight_decay: float = 1e-5,
    augment: bool = True,
    seed: int = 0,
    device: str = "cpu",
    encoder: EncoderConfig | None = None,
    loss: LossConfig | None = None,
    progress: bool = False,
) -> TCCEmbedder:
    """Train a TCC-family embedder on unlabelled videos of one action.

    Parameters
    ----------
    data
        At least 2 videos: :class:`~mvsync.types.Features` or ``(L, C)`` arrays (the ``mlp`` base), or video
        paths or ``(L, H, W, 3)`` uint8 arrays (a frame base; ``resnet50`` unless ``encoder`` says ``vggm``).
    algo
        ``tcc``, ``tcn``, ``sal``, ``tcc+tcn`` or ``tcc+sal`` (see ``ALGORITHMS``).
    epochs, batch_videos, num_frames, lr, weight_decay, augment, seed, device
        See :class:`TCCTrainConfig`.
    encoder, loss
        Architecture and loss options (defaults: the seed's); ``in_channels`` of the ``mlp`` base is set from
        the data.

    Returns
    -------
    The trained :class:`TCCEmbedder`, in eval mode. On CPU the same inputs and seed give the same weights.

    >>> from mvsync import load_features
    >>> feats = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz", "feats/ride/c.npz")]
    >>> model = fit_embedder(feats, algo="tcc", epochs=1)  # one epoch to show the call; a real run trains ~300
    >>> embed(model, feats[0]).shape
    (100, 128)
    """
    train = TCCTrainConfig(algo, epochs, batch_videos, num_frames, lr, weight_decay, augment, seed, device)
    train.check()
    loss = loss or LossConfig()
    image_size = (encoder or EncoderConfig()).image_size
    videos, kind = load_videos(data, image_size=image_size)
    encoder = encoder_config_for(encoder, frames=kind is None, channels=videos[0].data.shape[-1], kind=kind or "")
    if len(videos) < 2:
        raise InputError(f"data: {len(videos)} video(s); training compares videos, give at least 2")
    with torch.random.fork_rng(devices=[]):  # seeded init and dropout; the caller's global RNG is left as it was
        torch.manual_seed(seed)
        model = TCCEmbedder(TCCConfig(encoder, loss, train)).to(device)
        _check_frames(model, train)
        train_loop(model, videos, progress=progress)
    return model.eval()


def train_loop(model: TCCEmbedder, videos: list[Video], *, progress: bool = False) -> None:
    """Adam over random batches of videos for ``config.train.epochs`` epochs; appends to ``model.history``.

    Under ``torchrun`` every rank draws the same batches (same seed); each embeds its contiguous share of the
    batch's videos, the embeddings are gathered (autograd-aware) and every rank computes the loss of the whole
    batch, with batch-norm statistics over the whole batch too (:mod:`~mvsync.align.engine.global_batchnorm`):
    the loss curve is the single-process one, and ``DistributedDataParallel`` averages the gradients (see
    :mod:`~mvsync.align.engine.distributed`)."""
    cfg, enc = model.config.train, model.config.encoder
    ranks = current()
    net: nn.Module = model.encoder
    if ranks is not None:
        size = min(cfg.batch_videos, len(videos))  # videos per step (see video_batches)
        last = Ranks(ranks.world_size - 1, ranks.world_size, 0).rows(size)
        if last.start >= last.stop:  # some process would get no video (e.g. 4 videos, 3 processes: 2 + 2 + 0)
            raise ConfigError(f"batch_videos: {size} videos per step cannot be shared by {ranks.world_size} "
                              f"processes so that each gets one; use a multiple of {ranks.world_size}")
        use_global_batchnorm(model.encoder)
        net = data_parallel(model.encoder, cfg.device)
    rng = np.random.default_rng(cfg.seed)  # frame sampling and augmentation
    generator = torch.Generator().manual_seed(cfg.seed)  # objective draws (SaL triplets, pair halves)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    kind = enc.feature_kind if not enc.takes_frames else None
    main = ranks is None or ranks.rank == 0
    bar = tqdm(range(cfg.epochs), desc=f"train {cfg.algo}", disable=not (progress and main), leave=False)
    for epoch in bar:
        model.train()
        logs = []
        for chosen in video_batches(len(videos), cfg.batch_videos, rng):
            batch = make_batch(videos, chosen, num_frames=cfg.num_frames, offsets=enc.context_offsets,
                               pairs=model.objective.pairs, positive_window=model.config.loss.positive_window,
                               feature_kind=kind, augment=cfg.augment, rng=rng)
            x = batch.x if ranks is None else batch.x[ranks.rows(len(batch.x))]  # this rank's videos
            embs = gather_rows(net(x.to(cfg.device)), len(batch.x))  # (B, T', E), every rank's rows
            loss, parts = model.objective(embs, batch.steps.to(cfg.device), batch.lengths.to(cfg.device), generator)
            if not torch.isfinite(loss):
                raise InputError(f"training: loss became {loss.item()} at epoch {epoch}; lower lr or check the inputs")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            logs.append({"loss": loss.item(), **parts})
        model.history.append({k: float(np.mean([d[k] for d in logs])) for k in logs[0]})
        bar.set_postfix(loss=f"{model.history[-1]['loss']:.4g}")
        log.debug("epoch %d: %s", epoch, model.history[-1])


@torch.inference_mode()
def embed(model: TCCEmbedder | TCCEncoder, item: Input, *, batch_size: int = 64) -> np.ndarray:
    """Embed every frame of one video: ``(L, E)`` float32.

    Frame t is embedded with its context frames ``t - offset`` (clamped at frame 0), exactly as in training,
    and never with its index. Video files are decoded frame by frame (only the context window is held), and the
    base network runs once per frame: its outputs are what the context stacks share.

    Parameters
    ----------
    model
        A :class:`TCCEmbedder` (from :func:`fit_embedder` or :func:`load_embedder`) or its encoder.
    item
        Features, an ``(L, C)`` array, a video path or ``(L, H, W, 3)`` uint8 frames, like the training data.
    batch_size
        Frames per forward pass.
    """
    encoder = model.encoder if isinstance(model, TCCEmbedder) else model
    config = encoder.config
    _check_item(item, config)
    was_training = encoder.training
    encoder.eval()
    try:
        bases = _base_outputs(encoder, iter_items(item, image_size=config.image_size), batch_size)
        stacks = context_stream(bases, config.context_offsets, stack=torch.stack)  # (k, C, h, w) each
        out = [_embed_stacks(encoder, chunk) for chunk in _chunks(stacks, batch_size)]
    finally:
        encoder.train(was_training)
    if not out:
        raise InputError("input: no frames to embed")
    return np.concatenate(out)


def context_stream(items: Iterable, offsets: tuple[int, ...], *, stack=np.stack) -> Iterator:
    """For each item t of an iterable, the stack ``[items[max(0, t - o)] for o in offsets]`` ``(k, ...)``.

    >>> [s.tolist() for s in context_stream(iter(np.arange(4)), (2, 0))]
    [[0, 0], [0, 1], [0, 2], [1, 3]]
    """
    past: list[np.ndarray] = []
    keep = max(offsets) + 1
    first = None
    for item in items:
        first = item if first is None else first
        past = (past + [item])[-keep:]
        yield stack([past[-1 - o] if o < len(past) else first for o in offsets])


def save_embedder(model: TCCEmbedder, path: str | Path, *, extra: dict | None = None) -> Path:
    """Write the config, the encoder's and objective's weights and the loss history to ``path`` atomically.

    ``extra`` (plain values, lists and tensors) is stored as-is and comes back as ``model.extra``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, {
        "config": model.config.to_dict(),
        "encoder": model.encoder.state_dict(),
        "objective": model.objective.state_dict(),
        "history": model.history,
        "extra": extra or {},
    }, format=CHECKPOINT_FORMAT)
    return path


def load_embedder(path: str | Path, *, device: str = "cpu") -> TCCEmbedder:
    """Rebuild a :class:`TCCEmbedder` from a :func:`save_embedder` file (safe loading: no pickled code)."""
    return embedder_from_payload(load_checkpoint(path, format=CHECKPOINT_FORMAT, what="TCC"), device=device)


def embedder_from_payload(payload: dict[str, Any], *, device: str = "cpu") -> TCCEmbedder:
    """:func:`load_embedder` for a checkpoint already read with :func:`~mvsync.align.engine.load_checkpoint`."""
    model = TCCEmbedder(TCCConfig.from_dict(payload["config"]), pretrained=False)
    model.encoder.load_state_dict(payload["encoder"])
    model.objective.load_state_dict(payload["objective"])
    model.history = list(payload["history"])
    model.extra = payload.get("extra", {})
    return model.to(device).eval()


def _chunks(stacks: Iterator[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    chunk = []
    for stack in stacks:
        chunk.append(stack)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _base_outputs(encoder: TCCEncoder, items: Iterator[np.ndarray], batch_size: int) -> Iterator[torch.Tensor]:
    """The base network's output ``(C, h, w)`` for every frame (or feature vector), computed in batches."""
    device = next(encoder.parameters()).device
    for chunk in _chunks(items, batch_size):
        x = torch.from_numpy(np.stack(chunk)).float()  # (N, C) or (N, H, W, 3)
        if encoder.config.takes_frames:
            x = x.permute(0, 3, 1, 2)  # (N, 3, H, W)
        yield from encoder.base(x.to(device))  # (N, C, h, w) -> one per frame


def _embed_stacks(encoder: TCCEncoder, chunk: list[torch.Tensor]) -> np.ndarray:
    feats = torch.stack(chunk).transpose(1, 2)  # (N, C, k, h, w), as TCCEncoder.forward feeds its embedder
    return encoder.embedder(feats).float().cpu().numpy()  # (N, E)


def _check_frames(model: TCCEmbedder, train: TCCTrainConfig) -> None:
    if train.num_frames < model.objective.min_frames:
        need = model.objective.min_frames
        raise ConfigError(f"num_frames: {train.algo} needs at least {need}, got {train.num_frames}")


def _check_item(item: Input, config: EncoderConfig) -> None:
    if is_frames(item) != config.takes_frames:
        wanted, got = ("frames", "features") if config.takes_frames else ("features", "frames")
        raise InputError(f"input: the model embeds {wanted}, got {got}")
    if not config.takes_frames:
        values = item.values if hasattr(item, "values") else np.asarray(item)
        if values.ndim != 2 or values.shape[1] != config.in_channels:
            raise InputError(f"input: expected (L, {config.in_channels}) features, got shape {values.shape}")
        kind = getattr(item, "kind", "")
        if kind and config.feature_kind and kind != config.feature_kind:
            raise InputError(f"input: {kind} features, but the model was trained on {config.feature_kind} features")

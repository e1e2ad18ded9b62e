"""The optimisation loop that fits DTAN and TPL (nanoGPT-like: one readable loop).

A :class:`Trainer` owns the model, the AdamW optimizer (:mod:`.adamw`: torch's update without ``torch.optim``),
one ``torch.Generator`` for every random draw of training (batch order and VAE noise, drawn on CPU so runs match
across devices) and the epoch counter. Its state saves and loads, so a run that stops and resumes follows the same
path as an uninterrupted one.

Under ``torchrun`` (a process group is initialised, see :mod:`.distributed`) the model is wrapped in
``DistributedDataParallel``; every rank draws the same global batches, and the objective runs the net on its own
rows (:func:`~.distributed.local_rows`) and gathers what the loss needs. Only rank 0 shows progress and calls
``on_epoch_end`` (checkpoints).

Example
-------
>>> import torch
>>> model = torch.nn.Linear(3, 1)
>>> def objective(model, batch, epoch, generator):
...     loss = ((model(batch["x"]) - batch["y"]) ** 2).mean()
...     return loss, {"mse": loss.item()}
>>> data = {"x": torch.randn(10, 3), "y": torch.randn(10, 1)}
>>> trainer = Trainer(model, objective, FitConfig(epochs=2, batch_size=4, lr=1e-2))
>>> history = trainer.fit(data)
>>> len(history), trainer.epoch
(2, 2)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ...errors import ConfigError, InputError
from .adamw import AdamW
from .distributed import current, data_parallel

log = logging.getLogger(__name__)

# (model, batch, epoch, generator) -> (loss, logged floats); under torchrun ``model`` is the DDP wrapper (call it for
# the forward pass; other methods are on the ``model`` the estimator holds) and ``batch`` the global batch
Objective = Callable[[nn.Module, dict[str, Tensor], int, torch.Generator], tuple[Tensor, dict[str, float]]]


@dataclass(frozen=True)
class FitConfig:
    """Optimisation settings (defaults: the seed's training details)."""

    epochs: int = 300  # passes over the training set (seed: 300)
    batch_size: int = 64  # sequences per step (seed: 64)
    lr: float = 1e-4  # AdamW learning rate (seed: 1e-4)
    weight_decay: float = 1e-4  # AdamW weight decay (seed: 1e-4)
    seed: int = 0  # seeds weight init, batch order and noise
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...
    grad_clip: float | None = None  # max global gradient norm, or None
    compile: bool = False  # torch.compile the model, batches padded to one length (one graph): fewer kernel
    # launches for a small model on a GPU; the first steps pay the compilation

    def check(self) -> None:
        """Raise :class:`ConfigError` on the first invalid field."""
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name}: must be a positive int (got {value!r})")
        for name in ("lr", "weight_decay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ConfigError(f"{name}: must be a number >= 0 (got {value!r})")
        if not isinstance(self.compile, bool):
            raise ConfigError(f"compile: must be True or False (got {self.compile!r})")
        clip = self.grad_clip
        if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float)) or not clip > 0):
            raise ConfigError(f"grad_clip: must be a number > 0 or None (got {clip!r})")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed: must be an int (got {self.seed!r})")
        if not isinstance(self.device, str):
            raise ConfigError(f"device: must be a string such as 'cpu' or 'cuda' (got {self.device!r})")
        if str(self.device).startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"device: {self.device!r} requested but CUDA is not available; use device='cpu'")


class Trainer:
    """Mini-batch AdamW over a dict of tensors whose first axis is the sequence index."""

    def __init__(
        self, model: nn.Module, objective: Objective, config: FitConfig, *, progress: bool = False,
        desc: str = "train",
    ):
        self.model = model.to(config.device)
        self.ranks = current()
        self.net = self.model if self.ranks is None else data_parallel(self.model, config.device)
        if config.compile:
            self.net = torch.compile(self.net)
        self.objective = objective
        self.config = config
        self.progress = progress
        self.desc = desc  # the progress bar's label
        self.optimizer = AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.epoch = 0
        self.history: list[dict[str, float]] = []

    def fit(self, data: dict[str, Tensor], on_epoch_end: Callable[[int], None] | None = None) -> list[dict[str, float]]:
        """Train from the current epoch up to ``config.epochs``; returns the per-epoch mean logs.

        ``on_epoch_end(n_done)`` runs after each epoch (e.g. to write a checkpoint).
        """
        n_seqs = len(next(iter(data.values())))
        main = self.ranks is None or self.ranks.rank == 0
        bar = tqdm(range(self.epoch, self.config.epochs), desc=self.desc, disable=not (self.progress and main),
                   leave=False)
        for epoch in bar:
            self.model.train()
            logs: list[dict[str, float]] = []
            for idx in torch.randperm(n_seqs, generator=self.generator).split(self.config.batch_size):
                batch = batch_of(data, idx, self.config.device, cut=not self.config.compile)
                logs.append(self.step(batch, epoch))
            self.history.append({k: sum(d[k] for d in logs) / len(logs) for k in logs[0]})
            self.epoch = epoch + 1
            bar.set_postfix(loss=f"{self.history[-1]['loss']:.4g}")
            log.debug("epoch %d: %s", epoch, self.history[-1])
            if on_epoch_end is not None and main:
                on_epoch_end(self.epoch)
        return self.history

    def step(self, batch: dict[str, Tensor], epoch: int) -> dict[str, float]:
        """One optimisation step on ``batch``; returns its logged values."""
        loss, logs = self.objective(self.net, batch, epoch, self.generator)
        if not torch.isfinite(loss):
            raise InputError(f"training: loss became {float(loss)} at epoch {epoch}; lower lr or check the inputs")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        return {"loss": loss.item(), **logs}

    def state_dict(self) -> dict[str, Any]:
        """Optimizer, generator, epoch and history (the model's weights are saved separately)."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "epoch": self.epoch,
            "history": self.history,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.epoch = int(state["epoch"])
        self.history = list(state["history"])


def batch_of(data: dict[str, Tensor], idx: Tensor, device: str, *, cut: bool = True) -> dict[str, Tensor]:
    """Rows ``idx`` of every tensor, time axes cut to the longest length in the batch (masks make it exact; ``cut``
    False keeps the full length, so that every batch has one shape)."""
    batch = {k: v[idx].to(device) for k, v in data.items()}
    if cut and "lengths" in batch:
        longest = int(batch["lengths"].max())
        batch = {k: v[..., :longest] if v.dim() == 3 else v for k, v in batch.items()}
    return batch

"""Training objectives of the TCC family and the ``ALGORITHMS`` registry: tcc, tcn, sal, tcc+tcn, tcc+sal.

An objective turns the embeddings of the sampled frames of a batch of videos into one loss. It is an
``nn.Module`` because some own parameters (Shuffle and Learn's classifier); ``pairs`` says whether it wants
frames sampled as TCN (positive, anchor) pairs, ``2T`` per video, instead of ``T`` sorted random frames.

Combinations follow TCC's ``alignment_sal_tcn``: frames are sampled for the part that needs pairs, and the
other part sees one frame of every pair (the even or the odd ones, drawn per video).

Example
-------
>>> objective = ALGORITHMS.get("tcc+sal")(LossConfig(), embedding_size=8)
>>> embs, steps = torch.randn(2, 6, 8), torch.arange(6).repeat(2, 1)
>>> loss, logs = objective(embs, steps, torch.tensor([6, 6]), torch.Generator().manual_seed(0))
>>> sorted(logs)
['sal', 'tcc']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from ...errors import ConfigError
from ...registry import Registry
from . import losses

CYCLE_LOSSES = ("regression", "classification")


@dataclass(frozen=True)
class LossConfig:
    """Loss hyper-parameters (defaults: seed Table 2 and TCC's released config)."""

    cycle_loss: str = "regression"  # TCC: "regression" (with variance, the paper's best) or "classification"
    temperature: float = 0.1  # softmax temperature of the soft nearest neighbours and the cycle back
    variance_lambda: float = 0.001  # lambda of the variance-aware regression (seed Table 2)
    label_smoothing: float = 0.1  # cycle-back classification
    normalize_indices: bool = True  # regression targets are frame index / video length
    positive_window: int = 5  # TCN: a positive is one of the 5 frames before its anchor (seed Table 2)
    tcn_reg_lambda: float = 0.002  # TCN: L2 penalty on the embeddings (TCC's code)
    sal_shuffle_fraction: float = 0.75  # SaL: fraction of shuffled triplets (seed Table 2)
    sal_samples: int = 8  # SaL: triplets drawn per video per step (TCC's code)
    sal_hidden: tuple[int, ...] = (128, 64)  # SaL classifier FC sizes before the 2 logits (seed Table 2)
    tcc_weight: float = 0.5  # tcc+tcn, tcc+sal: weight of TCC; the other loss gets 1 - tcc_weight

    def check(self) -> None:
        """Raise :class:`ConfigError` on the first invalid field."""
        if self.cycle_loss not in CYCLE_LOSSES:
            raise ConfigError(f"cycle_loss: {self.cycle_loss!r} is unknown; choose one of {', '.join(CYCLE_LOSSES)}")
        if not self.temperature > 0:
            raise ConfigError(f"temperature: must be > 0, got {self.temperature!r}")
        if not 0 <= self.tcc_weight <= 1:
            raise ConfigError(f"tcc_weight: must be in [0, 1], got {self.tcc_weight!r}")
        if not 0 < self.sal_shuffle_fraction < 1:
            raise ConfigError(f"sal_shuffle_fraction: must be in (0, 1), got {self.sal_shuffle_fraction!r}")
        if self.positive_window < 1 or self.sal_samples < 1:
            raise ConfigError("positive_window, sal_samples: must be >= 1")


class Objective(nn.Module):
    """``forward(embs (B, T, E), steps (B, T), lengths (B,), generator) -> (loss, {name: value})``."""

    pairs = False  # True: frames come as (positive, anchor) pairs, embs[:, 0::2] and embs[:, 1::2]
    min_frames = 2  # frames per video the loss needs


class CycleBack(Objective):
    """Temporal cycle-consistency: cycle-back regression (with variance) or classification."""

    def __init__(self, config: LossConfig) -> None:
        super().__init__()
        self.config = config

    def forward(self, embs: Tensor, steps: Tensor, lengths: Tensor, generator: torch.Generator) -> tuple[Tensor, dict]:
        c = self.config
        if c.cycle_loss == "classification":
            loss = losses.cycle_back_classification(embs, temperature=c.temperature, label_smoothing=c.label_smoothing)
        else:
            loss = losses.cycle_back_regression(
                embs, steps, lengths, temperature=c.temperature, variance_lambda=c.variance_lambda,
                normalize_indices=c.normalize_indices,
            )
        return loss, {"tcc": loss.item()}


class TimeContrastive(Objective):
    """TCN's n-pairs loss; frames come as (positive, anchor) pairs."""

    pairs = True

    def __init__(self, config: LossConfig) -> None:
        super().__init__()
        self.config = config

    def forward(self, embs: Tensor, steps: Tensor, lengths: Tensor, generator: torch.Generator) -> tuple[Tensor, dict]:
        loss = losses.tcn_loss(embs, reg_lambda=self.config.tcn_reg_lambda)
        return loss, {"tcn": loss.item()}


class ShuffleAndLearn(Objective):
    """Order verification of frame triplets by an FC classifier ``3E -> 128 -> 64 -> 2`` (ReLU between)."""

    min_frames = 5

    def __init__(self, config: LossConfig, embedding_size: int) -> None:
        super().__init__()
        self.config = config
        sizes = [3 * embedding_size, *config.sal_hidden]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(c_in, c_out), nn.ReLU()]
        self.classifier = nn.Sequential(*layers, nn.Linear(sizes[-1], 2))

    def forward(self, embs: Tensor, steps: Tensor, lengths: Tensor, generator: torch.Generator) -> tuple[Tensor, dict]:
        loss = losses.sal_loss(embs, self.classifier, num_samples=self.config.sal_samples,
                               shuffle_fraction=self.config.sal_shuffle_fraction, generator=generator)
        return loss, {"sal": loss.item()}


class Combination(Objective):
    """A weighted sum of objectives on the same embeddings (TCC's ``alignment_sal_tcn``)."""

    def __init__(self, parts: dict[str, Objective], weights: dict[str, float]) -> None:
        super().__init__()
        self.parts = nn.ModuleDict(parts)
        self.weights = dict(weights)
        self.pairs = any(part.pairs for part in parts.values())
        self.min_frames = max(part.min_frames for part in parts.values())

    def forward(self, embs: Tensor, steps: Tensor, lengths: Tensor, generator: torch.Generator) -> tuple[Tensor, dict]:
        total, logs = embs.new_zeros(()), {}
        for name, part in self.parts.items():
            e, s = (embs, steps) if part.pairs or not self.pairs else one_of_each_pair(embs, steps, generator)
            loss, part_logs = part(e, s, lengths, generator)
            total = total + self.weights[name] * loss
            logs.update(part_logs)
        return total, logs


def one_of_each_pair(embs: Tensor, steps: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Frames ``0::2`` or ``1::2`` of every video (drawn per video): ``(B, 2T, E) -> (B, T, E)``.

    >>> e, s = one_of_each_pair(torch.zeros(1, 4, 3), torch.tensor([[0, 5, 10, 15]]), torch.Generator())
    >>> e.shape, s.tolist() in ([[0, 10]], [[5, 15]])
    (torch.Size([1, 2, 3]), True)
    """
    b, t2 = steps.shape
    odd = (torch.rand(b, generator=generator) < 0.5).long().to(steps.device)  # (B,)
    idx = torch.arange(0, t2, 2, device=steps.device)[None, :] + odd[:, None]  # (B, T)
    return embs.gather(1, idx[..., None].expand(-1, -1, embs.shape[-1])), steps.gather(1, idx)


ObjectiveBuilder = Callable[[LossConfig, int], Objective]
ALGORITHMS: Registry[ObjectiveBuilder] = Registry("algorithm")


@ALGORITHMS.register("tcc")
def build_tcc(config: LossConfig, embedding_size: int) -> Objective:
    return CycleBack(config)


@ALGORITHMS.register("tcn")
def build_tcn(config: LossConfig, embedding_size: int) -> Objective:
    return TimeContrastive(config)


@ALGORITHMS.register("sal")
def build_sal(config: LossConfig, embedding_size: int) -> Objective:
    return ShuffleAndLearn(config, embedding_size)


@ALGORITHMS.register("tcc+tcn")
def build_tcc_tcn(config: LossConfig, embedding_size: int) -> Objective:
    parts = {"tcc": CycleBack(config), "tcn": TimeContrastive(config)}
    return Combination(parts, {"tcc": config.tcc_weight, "tcn": 1.0 - config.tcc_weight})


@ALGORITHMS.register("tcc+sal")
def build_tcc_sal(config: LossConfig, embedding_size: int) -> Objective:
    parts = {"tcc": CycleBack(config), "sal": ShuffleAndLearn(config, embedding_size)}
    return Combination(parts, {"tcc": config.tcc_weight, "sal": 1.0 - config.tcc_weight})


def build_objective(algo: str, config: LossConfig, embedding_size: int) -> Objective:
    """The registered objective ``algo`` (unknown names raise :class:`ConfigError` listing the valid ones)."""
    config.check()
    return ALGORITHMS.get(algo)(config, embedding_size)

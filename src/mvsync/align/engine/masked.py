"""Masked building blocks for batches of variable-length sequences.

Every layer of the alignment nets takes a validity mask next to its input, so that what lies past a sequence's
length (or on a missing frame) never changes a result: convolutions see zeros there, batch statistics and pooling
ignore it. With these blocks, padding a sequence further changes nothing but float rounding.

Example
-------
>>> import torch
>>> mask = length_mask(torch.tensor([3, 5]), 6)  # (B, L)
>>> mask.sum(1).tolist()
[3, 5]
>>> x = torch.randn(2, 4, 6)
>>> masked_mean(x, mask[:, None]).shape  # (B, C)
torch.Size([2, 4])
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .distributed import global_sum


def length_mask(lengths: Tensor, n_samples: int) -> Tensor:
    """``(B, L)`` bool mask, True on the first ``lengths[b]`` samples of row ``b``."""
    idx = torch.arange(n_samples, device=lengths.device)  # (L,)
    return idx[None, :] < lengths[:, None]  # (B, L)


def masked_mean(x: Tensor, mask: Tensor, dim: int = -1) -> Tensor:
    """Mean of ``x`` over ``dim`` counting only entries where ``mask`` (broadcastable) is True; 0 if none."""
    weight = mask.to(x.dtype).expand_as(x)
    total = (x.masked_fill(weight == 0, 0.0) * weight).sum(dim)
    return total / weight.sum(dim).clamp(min=1e-12)


def standardize_per_sequence(x: Tensor, mask: Tensor, eps: float = 1e-5, weight: Tensor | None = None) -> Tensor:
    """Each sequence's channels z-scored over its own valid positions (``x`` ``(B, C, L)``, ``mask`` ``(B, 1, L)``);
    zero on invalid positions. Unlike a batch norm, offsets between sequences (e.g. between actions) are removed,
    so only the variation within each sequence is left. ``weight`` ``(B, 1, L)`` (>= 0), if given, weighs the
    positions in the statistics (e.g. 0 on frozen frames).

    >>> x = torch.tensor([[[1.0, 3.0, 9.0]], [[10.0, 30.0, 0.0]]]); m = torch.tensor([[[1, 1, 0]], [[1, 1, 0]]]).bool()
    >>> [round(v, 3) for v in standardize_per_sequence(x, m)[0, 0].tolist()]
    [-1.0, 1.0, 0.0]
    """
    valid = mask.to(x.dtype)  # (B, 1, L)
    weight = valid if weight is None else weight * valid
    count = weight.sum(2, keepdim=True).clamp(min=1e-6)  # (B, 1, 1)
    mean = (x * weight).sum(2, keepdim=True) / count  # (B, C, 1)
    var = ((x - mean) ** 2 * weight).sum(2, keepdim=True) / count  # (B, C, 1)
    return (x - mean) / torch.sqrt(var + eps) * valid


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """``BatchNorm1d`` whose training statistics use only the valid positions.

    In eval mode it is the plain layer (running statistics, position by position). The output is zero on
    invalid positions, so the next convolution sees zero padding. Under ``torchrun`` the training statistics are
    those of the global batch (like ``SyncBatchNorm``), so data-parallel training matches one process.

    >>> bn = MaskedBatchNorm1d(2)
    >>> x = torch.randn(3, 2, 5)
    >>> mask = torch.ones(3, 1, 5, dtype=torch.bool)
    >>> bool(torch.allclose(bn(x, mask), nn.functional.batch_norm(x, None, None, training=True), atol=1e-5))
    True
    """

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:  # x (B, C, L), mask (B, 1, L)
        if not self.training:
            return super().forward(x) * mask
        weight = mask.to(x.dtype)  # (B, 1, L)
        # Under torchrun the statistics are the global batch's: sums over every rank's rows (see distributed.py).
        count = global_sum(weight.sum()).clamp(min=2.0)
        mean = global_sum((x * weight).sum((0, 2))) / count  # (C,)
        var = global_sum((((x - mean[:, None]) * weight) ** 2).sum((0, 2))) / count  # (C,) biased, as BatchNorm
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                unbiased = var * count / (count - 1)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), self.momentum)
        out = (x - mean[:, None]) / torch.sqrt(var[:, None] + self.eps)  # (B, C, L)
        if self.affine:
            out = out * self.weight[:, None] + self.bias[:, None]
        return out * weight

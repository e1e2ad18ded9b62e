"""Batch norm over the GLOBAL batch under ``torchrun``, on CPU (gloo) as on GPU.

``torch.nn.SyncBatchNorm`` refuses CPU tensors, and a plain ``BatchNorm`` under data parallelism normalises each
rank's slice with that slice's statistics: the loss is then no longer the single-process one. A
:class:`GlobalBatchNorm` sums its statistics over the ranks (autograd-aware, :func:`~.distributed.global_sum`);
in one process, or in eval mode, it is exactly the layer it replaces. :func:`use_global_batchnorm` swaps it into a
module in place, keeping the parameters (the optimizer's) and the buffers.

>>> net = use_global_batchnorm(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
>>> type(net[1]).__name__, net(torch.randn(5, 3)).shape
('GlobalBatchNorm', torch.Size([5, 4]))
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from .distributed import current, global_sum


class GlobalBatchNorm(_BatchNorm):
    """``BatchNorm1d``/``2d``/``3d`` whose training statistics are the global batch's (see the module)."""

    def _check_input_dim(self, x: Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected an input of shape (N, C, ...), got {tuple(x.shape)}")

    def forward(self, x: Tensor) -> Tensor:
        batch_statistics = self.training or not self.track_running_stats  # else the running ones: no batch at all
        if current() is None or not batch_statistics:
            return super().forward(x)  # one process, or eval mode: the plain layer
        dims = [0, *range(2, x.dim())]  # every axis but the channels
        shape = (1, -1) + (1,) * (x.dim() - 2)
        count = global_sum(x.new_tensor(float(x.numel() // x.shape[1])))
        mean = global_sum(x.sum(dims)) / count  # (C,)
        var = global_sum(((x - mean.view(shape)) ** 2).sum(dims)) / count  # (C,) biased, as BatchNorm
        if self.training and self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                unbiased = var * count / (count - 1).clamp(min=1.0)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), factor)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), factor)
        out = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out


def use_global_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every plain batch norm inside ``module`` (and ``module`` itself) by a :class:`GlobalBatchNorm`
    holding the same parameters and buffers; returns the module (the same object unless it is a batch norm)."""
    if isinstance(module, _BatchNorm) and not isinstance(module, GlobalBatchNorm) and type(module) in _PLAIN:
        swapped = GlobalBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                  module.track_running_stats)
        if module.affine:
            swapped.weight, swapped.bias = module.weight, module.bias  # the same Parameters
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            setattr(swapped, name, getattr(module, name))
        swapped.train(module.training)
        return swapped
    for name, child in module.named_children():
        setattr(module, name, use_global_batchnorm(child))
    return module


_PLAIN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)

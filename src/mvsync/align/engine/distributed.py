"""Data-parallel training under ``torchrun``: the process group, each rank's rows of a batch, and gathers.

Under ``torchrun --nproc-per-node N`` every process (rank) holds the whole training set and the same seeded
generator, so all ranks draw the same batch order as a single process. Each global batch is split into N contiguous
slices; rank ``r`` runs the net on slice ``r`` only (the costly part), then the outputs the loss needs are gathered
with an autograd-aware all-gather. Every rank then computes the loss of the GLOBAL batch: class prototypes (ICAE),
within-class variances (WCSS) and batch-norm statistics (:class:`~.masked.MaskedBatchNorm1d`) are those of the
whole batch, not of one slice, so the loss curve is the single-process one up to float rounding.

Why the gradients come out right: each rank's loss is the same function ``L`` of all the slices. The all-gather's
backward sums, over the ranks, the gradient each one sends to a slice (``N dL/d slice``), and
``DistributedDataParallel`` averages the parameter gradients over ranks (divides by ``N``): the sum over slices of
their contributions, i.e. the single-process gradient.

Outside ``torchrun`` (no ``WORLD_SIZE`` above 1) every function here is the identity, so the training code is
written once.

Example
-------
>>> import torch
>>> local_rows({"x": torch.arange(4)})["x"].tolist()  # one process: every row
[0, 1, 2, 3]
>>> gather_rows(torch.ones(3, 2), 3).shape
torch.Size([3, 2])
"""

from __future__ import annotations

import logging
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.distributed as dist
from torch import Tensor
from torch.distributed.nn.functional import all_gather, all_reduce

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ranks:
    """This process's place in the process group."""

    rank: int  # 0 .. world_size - 1; rank 0 writes checkpoints, logs and progress
    world_size: int  # number of processes
    local_rank: int  # index on this machine: the GPU it uses

    def rows(self, n: int) -> slice:
        """This rank's contiguous rows of a batch of ``n`` (``ceil(n / world_size)`` each; the last ones may have
        fewer, or none)."""
        per = -(-n // self.world_size)
        return slice(min(self.rank * per, n), min((self.rank + 1) * per, n))


def current() -> Ranks | None:
    """The process group's :class:`Ranks` while one of more than one process is initialised, else None."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return None
    return Ranks(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))


def is_main_process() -> bool:
    """True on rank 0 of a ``torchrun`` job, and in a plain run (``torchrun`` sets ``RANK``)."""
    return int(os.environ.get("RANK", "0")) == 0


def launched_by_torchrun() -> bool:
    """True when ``torchrun`` (or another launcher with its environment) started more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_process_group(device: str) -> tuple[Ranks, str]:
    """Join the ``torchrun`` job: gloo for CPU training, nccl for CUDA (each rank on GPU ``LOCAL_RANK``).

    Returns the ranks and the device this rank trains on (``cuda:<LOCAL_RANK>`` for ``cuda``).
    """
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = str(device).startswith("cuda")
    if cuda:
        device = f"cuda:{local_rank}"
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    ranks = current()
    assert ranks is not None, "WORLD_SIZE > 1 but the process group has one rank"
    log.info("rank %d of %d on %s (%s)", ranks.rank, ranks.world_size, device, dist.get_backend())
    return ranks, device


def data_parallel(module: torch.nn.Module, device: str) -> torch.nn.Module:
    """``module`` wrapped in ``DistributedDataParallel`` (it all-reduces the gradients), without broadcasting
    buffers: mvsync's batch norms already use the global batch's statistics, so every rank's buffers agree. torch
    2.13's FutureWarning about ``broadcast_buffers`` (printed by every rank) is silenced: its replacement,
    ``forward_sync_buffers``, does not exist in the older torch versions mvsync supports."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*broadcast_buffers.*", category=FutureWarning)
        return torch.nn.parallel.DistributedDataParallel(
            module, device_ids=[device] if str(device).startswith("cuda") else None, broadcast_buffers=False)


def close_process_group() -> None:
    """Wait for every rank, then leave the process group (a no-op outside one)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def local_rows(batch: dict[str, Tensor]) -> dict[str, Tensor]:
    """This rank's rows of every tensor of a global ``batch`` (all of them in one process)."""
    ranks = current()
    if ranks is None:
        return batch
    return {k: v[ranks.rows(len(v))] for k, v in batch.items()}


def gather_rows(x: Tensor, n: int) -> Tensor:
    """The ``n`` rows of a global batch from every rank's ``x`` (its :func:`local_rows` slice), in rank order.

    Autograd-aware: the gradient of each gathered row flows back to the rank that computed it. Slices are padded
    to a common size for the collective and trimmed after.
    """
    ranks = current()
    if ranks is None:
        return x
    per = -(-n // ranks.world_size)
    padded = torch.nn.functional.pad(x, (0, 0) * (x.dim() - 1) + (0, per - len(x)))  # (per, ...)
    with _public_collectives():
        return torch.cat(all_gather(padded))[:n]


def global_sum(x: Tensor) -> Tensor:
    """Sum of ``x`` over the ranks (autograd-aware); ``x`` itself in one process."""
    if current() is None:
        return x
    with _public_collectives():
        return all_reduce(x)


@contextmanager
def _public_collectives() -> Iterator[None]:
    """Silence torch 2.13's FutureWarning on ``torch.distributed.nn.functional``: its suggested replacements live in
    a private module (``_functional_collectives``), while these public ones have the backward the gradients need
    (an all-gather's backward sums each slice's gradient over the ranks; an all-reduce's all-reduces them)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.distributed")
        warnings.filterwarnings("ignore", message=r".*torch\.distributed\.nn\.functional.*", category=FutureWarning)
        yield

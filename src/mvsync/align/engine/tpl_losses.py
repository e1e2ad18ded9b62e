"""Losses of the Diffeomorphic Multitasking Autoencoder (D-MTAE), seed eqs. 2-6.

Every loss takes masks and is exact for variable lengths: a term is averaged per sequence over its valid entries
(``sum M``), then over sequences, so padding never counts. Shapes: ``B`` sequences, ``C`` channels, ``L`` samples;
``(B, 1, L)`` for the 1-D latent ``Z``.

Example
-------
>>> import torch
>>> mu, logvar = torch.zeros(2, 1, 4), torch.zeros(2, 1, 4)
>>> mask = torch.ones(2, 1, 4, dtype=torch.bool)
>>> float(kl_loss(mu, logvar, mask))  # N(0, 1) against N(0, 1)
0.0
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def masked_average(values: Tensor, mask: Tensor) -> Tensor:
    """``1/B sum_i sum(M_i * v_i) / sum M_i``: per-sequence mean over valid entries, then mean over sequences.

    ``mask`` broadcasts to ``values`` ``(B, ...)``; invalid entries may hold NaN, they never leak (not even into
    gradients), because they are replaced, not multiplied by zero.
    """
    m = mask.expand_as(values)
    total = values.masked_fill(~m, 0.0).flatten(1).sum(1)  # (B,)
    return (total / m.flatten(1).sum(1).clamp(min=1)).mean()


def masked_mse(a: Tensor, b: Tensor, mask: Tensor) -> Tensor:
    """``1/B sum_i ||M_i * (a_i - b_i)||^2 / sum M_i`` (seed eq. 2 form); ``mask`` broadcasts to ``a``.

    >>> a, b = torch.tensor([[[1.0, 5.0]]]), torch.tensor([[[0.0, 0.0]]])
    >>> float(masked_mse(a, b, torch.tensor([[[True, False]]])))
    1.0
    """
    m = mask.expand_as(a)
    return masked_average((a - b).masked_fill(~m, 0.0) ** 2, m)


def reconstruction_loss(u: Tensor, u_rec: Tensor, mask: Tensor) -> Tensor:
    """Seed eq. 2: input ``u`` ``(B, C, L)`` against the reconstruction brought back to video time,
    ``u_rec = Psi_dec(Z~) o T^-theta``; ``mask`` ``(B, C, L)`` or ``(B, 1, L)``."""
    return masked_mse(u, u_rec, mask)


def icae_loss(z: Tensor, prototype_back: Tensor, mask: Tensor) -> Tensor:
    """Inverse-consistency averaging error: each latent ``z`` ``(B, 1, L)`` against its class prototype warped back
    to the sequence's own time, ``prototype o T^-theta_i``, over the valid frames ``mask`` ``(B, 1, L)``."""
    return masked_mse(z, prototype_back, mask)


def kl_loss(mu: Tensor, logvar: Tensor, mask: Tensor) -> Tensor:
    """Seed eq. 3: per-frame KL of ``N(mu, sigma^2)`` from ``N(0, 1)``, masked mean per sequence, mean over B.

    >>> mu = torch.tensor([[[1.0, 7.0]]]); lv = torch.zeros(1, 1, 2)
    >>> float(kl_loss(mu, lv, torch.tensor([[[True, False]]])))  # 0.5 * mu^2 on the one valid frame
    0.5
    """
    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp())  # (B, 1, L)
    return masked_average(kl, mask)


def smoothness_loss(z: Tensor, mask: Tensor) -> Tensor:
    """Seed eq. 4: mean squared step ``(Z[t+1] - Z[t])^2`` over pairs of consecutive valid frames.

    >>> z = torch.tensor([[[0.0, 1.0, 3.0, 9.0]]])
    >>> float(smoothness_loss(z, torch.tensor([[[True, True, True, False]]])))  # (1 + 4) / 2
    2.5
    """
    pair = mask[..., 1:] & mask[..., :-1]  # (B, 1, L-1)
    return masked_mse(z[..., 1:], z[..., :-1], pair)


def sample_valid_steps(mask: Tensor, k: int) -> Tensor:
    """Indices ``(B, k)`` of ``k`` valid steps per row of ``mask`` ``(B, L)``, uniformly spaced in valid-frame rank.

    >>> sample_valid_steps(torch.tensor([[True, False, True, True, True]]), 3).tolist()
    [[0, 3, 4]]
    """
    rank = mask.long().cumsum(1) - 1  # (B, L) rank of each valid frame
    n_valid = mask.sum(1, keepdim=True).clamp(min=1)  # (B, 1)
    frac = torch.linspace(0.0, 1.0, k, device=mask.device)[None]  # (1, k)
    wanted = torch.round(frac * (n_valid - 1)).long()  # (B, k)
    rank = rank.masked_fill(~mask, -1)
    # The first position whose rank reaches `wanted` is the wanted valid frame.
    idx = torch.searchsorted(torch.cummax(rank, 1).values.contiguous(), wanted.contiguous())
    return idx.clamp(max=mask.shape[1] - 1)


def trajectory_variance_loss(z: Tensor, mask: Tensor, k: int = 16) -> Tensor:
    """Seed eq. 5: ``1/N sum_i ||Z_i^sub - mean_j Z_j^sub||^2`` with ``Z^sub`` ``k`` uniformly spaced valid steps.

    >>> z = torch.tensor([[[0.0, 0.0]], [[2.0, 2.0]]]); m = torch.ones(2, 1, 2, dtype=torch.bool)
    >>> float(trajectory_variance_loss(z, m, k=2))  # each is 1 away from the mean at 2 steps
    2.0
    """
    idx = sample_valid_steps(mask[:, 0], k)  # (B, k)
    sub = z[:, 0].gather(1, idx)  # (B, k)
    return ((sub - sub.mean(0, keepdim=True)) ** 2).sum(1).mean()


def between_clip_share(z: Tensor, lengths: Tensor) -> Tensor:
    """Share of the variance of ``z`` ``(B, 1, L)`` that lies between the sequences' means, over their first
    ``lengths`` samples: 0 when every sequence varies around the same level, 1 when each is flat at its own.

    >>> z = torch.tensor([[[0.0, 2.0]], [[10.0, 12.0]]])
    >>> round(float(between_clip_share(z, torch.tensor([2, 2]))), 3)
    0.962
    """
    mask = (torch.arange(z.shape[2], device=z.device)[None, :] < lengths[:, None])[:, None].to(z.dtype)  # (B, 1, L)
    count = mask.sum((1, 2)).clamp(min=1.0)  # (B,)
    means = (z * mask).sum((1, 2)) / count  # (B,)
    grand = (means * count).sum() / count.sum()
    total = (((z - grand) * mask) ** 2).sum() / count.sum()
    between = (count * (means - grand) ** 2).sum() / count.sum()
    return between / total.clamp(min=1e-12)


def reparameterize(
    mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None, noise: Tensor | None = None
) -> Tensor:
    """Seed eq. 1: ``Z = mu + eps * sigma`` with ``eps ~ N(0, 1)`` drawn on CPU (same draws on every device), or
    ``eps = noise`` when given (drawn for a global batch, see :func:`vae_noise`)."""
    eps = vae_noise(mu.shape, generator, mu.dtype) if noise is None else noise
    eps = eps.to(mu.device)  # (B, 1, L)
    return mu + eps * torch.exp(0.5 * logvar)


def vae_noise(shape: torch.Size | tuple[int, ...], generator: torch.Generator | None, dtype: torch.dtype) -> Tensor:
    """The ``eps`` draws of :func:`reparameterize` for latents of ``shape`` ``(B, 1, L)``, on CPU."""
    return torch.randn(shape, generator=generator, dtype=dtype)


def class_prototypes(aligned: Tensor, labels: Tensor, n_classes: int) -> Tensor:
    """Masked mean ``(K, C, T)`` of ``aligned`` ``(B, C, T)`` per class label; NaN entries are left out."""
    valid = ~aligned.isnan()  # (B, C, T)
    onehot = torch.nn.functional.one_hot(labels, n_classes).to(aligned.dtype)  # (B, K)
    total = torch.einsum("bk,bct->kct", onehot, aligned.masked_fill(~valid, 0.0))  # (K, C, T)
    count = torch.einsum("bk,bct->kct", onehot, valid.to(aligned.dtype))  # (K, C, T)
    return total / count.clamp(min=1.0)


def sigmoid_anneal(epoch: int, n_epochs: int, *, center: float = 0.5, width: float = 0.1) -> float:
    """ICAE weight ramp ``lambda_t in (0, 1)``: a sigmoid in training progress, ``1/2`` at ``center * n_epochs``.

    >>> round(sigmoid_anneal(50, 100), 3), sigmoid_anneal(0, 100) < 0.01 < 0.99 < sigmoid_anneal(99, 100)
    (0.5, True)
    """
    progress = epoch / max(n_epochs, 1)
    return 1.0 / (1.0 + math.exp(-(progress - center) / width))

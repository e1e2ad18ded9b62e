"""Diffeomorphic Temporal Alignment Nets (DTAN) with recurrent, exactly composed CPAB warps.

Weber et al., "Diffeomorphic Temporal Alignment Nets" (NeurIPS 2019). A localization net (InceptionTime, seed
Table 3) reads a signal and outputs CPAB parameters ``theta``; the signal is resampled at ``T^theta`` of its grid.
With ``R`` recurrent passes (one shared net), pass ``r`` reads the signal already warped by passes ``1..r-1``.

Conventions (normalised time, every sequence on [0, 1] over its own valid samples):

- ``aligned_i(s) = x_i(g_i(s))``: the aligned signal at common time ``s`` reads sequence ``i`` at ``g_i(s)``.
- Pass ``r`` gives ``x_r(s) = x_{r-1}(T_r(s))``, so ``g = T_1 o T_2 o ... o T_R``: a true composition, evaluated in
  closed form point by point (no resampling of resampled signals, and no sum of displacements).
- Its exact inverse is ``g^-1 = T_R^-1 o ... o T_1^-1`` with ``T_r^-1 = T^{-theta_r}``. A prototype ``p`` on the
  common timeline, seen in sequence ``i``'s own time, is ``p o g_i^-1``.

The training loss is DTAN's (its ``alignment_loss``): the within-class variance of the aligned signals (WCSS),
averaged over classes, plus, per pass, ``prior_weight * theta^T Sigma^-1 theta`` with ``Sigma`` the CPAB
smoothness prior covariance.

Example
-------
>>> import torch
>>> net = DTANet(DTANConfig(n_channels=2, n_filters=4, depth=3, n_recurrences=2))
>>> x = torch.randn(3, 2, 30)
>>> thetas = net(x)  # R x (B, dim)
>>> s = own_grid(torch.tensor([30, 30, 30]), 30)  # (B, L)
>>> bool(torch.allclose(net.inverse_grid(thetas, net.warp_grid(thetas, s)), s, atol=1e-5))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .cpab import CPAB, _interpolate
from .inception import InceptionTime
from .masked import length_mask


@dataclass(frozen=True)
class DTANConfig:
    """Architecture of a :class:`DTANet`; saved in checkpoints and enough to rebuild the net."""

    n_channels: int  # input channels C
    n_cells: int = 16  # CPAB tessellation size N_p (seed: 16)
    zero_boundary: bool = True  # v(0) = v(1) = 0, so dim(theta) = n_cells - 1 = 15 (seed)
    n_recurrences: int = 4  # recurrent passes R, sharing one localization net
    n_filters: int = 32  # InceptionTime filters per branch; blocks are 4x wider (seed: 128)
    depth: int = 6  # Inception blocks (seed: 6, shortcut every 3)
    loc_length: int | None = None  # the localization net reads a longer signal averaged down to this many evenly
    # spaced times instead of at every sample (None: every sample, the seed). Its cost then no longer grows with the
    # signals' length, and 15 warp parameters need no more than a few points per cell (see forward)


class DTANet(nn.Module):
    """Localization net + CPAB transformer, applied ``n_recurrences`` times."""

    def __init__(self, config: DTANConfig) -> None:
        super().__init__()
        self.config = config
        self.cpab = CPAB(config.n_cells, zero_boundary=config.zero_boundary)
        self.loc = InceptionTime(config.n_channels, self.cpab.dim, n_filters=config.n_filters, depth=config.depth)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> list[Tensor]:
        """Per-pass parameters ``R x (B, dim)`` for signals ``x`` ``(B, C, L)`` (NaN allowed on missing samples).

        Pass ``r`` reads ``x`` warped by passes ``1..r-1`` at every sample of its own grid or, for a sequence
        longer than ``loc_length`` ``G``, at ``G`` evenly spaced times, each the mean of ``x`` over the stretch of
        samples that time stands for (:func:`resample_averaged`, no aliasing). A sequence of at most ``G`` samples
        is read as without ``loc_length``, and every sequence as if alone in the batch."""
        lengths = full_lengths(x) if lengths is None else lengths
        n_points = self.config.loc_length
        averaged = n_points is not None and x.shape[2] > n_points
        counts = lengths.clamp(max=n_points) if averaged else lengths  # (B,) times each sequence is read at
        size = n_points if averaged else x.shape[2]
        mask = length_mask(counts, size)[:, None]  # (B, 1, G)
        grid = own_grid(counts, size).to(x.dtype)  # (B, G)
        long = (lengths > size)[:, None, None]  # (B, 1, 1) averaged down; shorter ones interpolated, as without it
        thetas: list[Tensor] = []
        for _ in range(self.config.n_recurrences):
            at = self.warp_grid(thetas, grid) if thetas else grid  # (B, G) times read by this pass
            if averaged:
                current = torch.where(long, resample_averaged(x, at, lengths), resample(x, at, lengths))  # (B, C, G)
            else:
                current = resample(x, at, lengths) if thetas else x  # (B, C, L)
            thetas.append(self.loc(current.masked_fill(current.isnan(), 0.0), mask))  # (B, dim)
        return thetas

    def warp_grid(self, thetas: list[Tensor], grid: Tensor) -> Tensor:
        """``g(s) = T_1(T_2(...T_R(s)))`` at normalised points ``grid`` ``(G,)`` or ``(B, G)``; returns ``(B, G)``."""
        for theta in reversed(thetas):
            grid = self.cpab.transform_grid(theta, grid)
        return grid

    def inverse_grid(self, thetas: list[Tensor], grid: Tensor) -> Tensor:
        """``g^-1(s) = T_R^-1(...T_1^-1(s))``, the exact inverse of :meth:`warp_grid`; returns ``(B, G)``."""
        for theta in thetas:
            grid = self.cpab.inverse(theta, grid)
        return grid

    def warp_and_inverse(self, thetas: list[Tensor], grid: Tensor) -> tuple[Tensor, Tensor]:
        """:meth:`warp_grid` and :meth:`inverse_grid` at ``grid`` ``(B, G)``, each ``(B, G)``: one CPAB integration
        of ``2B`` rows per pass instead of two of ``B`` (half the operator launches; rows are independent, so the
        values are those of the two separate calls)."""
        n = thetas[0].shape[0]
        both = torch.cat([grid.expand(n, -1), grid.expand(n, -1)])  # (2B, G)
        for forward, backward in zip(reversed(thetas), thetas):
            both = self.cpab.transform_grid(torch.cat([forward, -backward]), both)
        return both[:n], both[n:]

    def align(self, x: Tensor, lengths: Tensor, thetas: list[Tensor], n_points: int | None = None) -> Tensor:
        """Aligned signals ``(B, C, G)``: on each sequence's own grid (``G = L``, NaN past its length) or on a
        common grid of ``n_points`` samples."""
        if n_points is None:
            grid = own_grid(lengths, x.shape[2]).to(x.dtype)  # (B, L)
            out = resample(x, self.warp_grid(thetas, grid), lengths)  # (B, C, L)
            return out.masked_fill(~length_mask(lengths, x.shape[2])[:, None], float("nan"))
        grid = torch.linspace(0.0, 1.0, n_points, dtype=x.dtype, device=x.device)  # (G,)
        return resample(x, self.warp_grid(thetas, grid), lengths)  # (B, C, G)


def full_lengths(x: Tensor) -> Tensor:
    """Lengths ``(B,)`` of a batch without padding."""
    return torch.full((x.shape[0],), x.shape[2], dtype=torch.long, device=x.device)


def own_grid(lengths: Tensor, n_samples: int) -> Tensor:
    """``(B, L)`` normalised times ``j / (lengths[b] - 1)`` of every sample (clamped to 1 past the length)."""
    idx = torch.arange(n_samples, device=lengths.device, dtype=torch.float32)  # (L,)
    span = (lengths - 1).clamp(min=1).to(torch.float32)[:, None]  # (B, 1)
    return (idx[None] / span).clamp(max=1.0)  # (B, L)


def resample(x: Tensor, grid: Tensor, lengths: Tensor) -> Tensor:
    """Linear interpolation of ``x`` ``(B, C, L)`` at normalised times ``grid`` ``(B, G)`` of each sequence.

    Sequence ``b`` spans [0, 1] over its first ``lengths[b]`` samples; later samples are never read. An output is
    NaN only where it reads a NaN sample with non-zero weight.
    """
    pos = grid * (lengths - 1).clamp(min=0).to(grid.dtype)[:, None]  # (B, G) in samples
    return _interpolate(x, pos.to(x.dtype), lengths)  # (B, C, G)


def resample_averaged(x: Tensor, grid: Tensor, lengths: Tensor) -> Tensor:
    """``x`` ``(B, C, L)`` read at normalised times ``grid`` ``(B, G)`` (increasing), each output the mean of ``x``
    over the stretch that time stands for: from halfway to the previous time to halfway to the next, and never
    less than one sample wide. So reading a long signal at few times averages (no aliasing), and reading it at as
    many times or more is linear interpolation between samples. Differentiable in ``x`` and in ``grid``.

    The signal is taken as piecewise constant (sample ``k`` on ``[k, k + 1)``); the mean over ``[a, b]`` is
    ``(S(b) - S(a)) / (b - a)`` with ``S`` its running integral, which is exact and linear between samples.
    NaN samples are left out of the means; a stretch with no valid sample is NaN.

    >>> x = torch.tensor([[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]])  # (1, 1, 6)
    >>> resample_averaged(x, torch.tensor([[0.0, 0.5, 1.0]]), torch.tensor([6]))  # [0, 1.75], [1.75, 4.25], [4.25, 6]
    tensor([[[0.4286, 2.5000, 4.5714]]])
    >>> resample_averaged(x, torch.tensor([[0.1, 0.3]]), torch.tensor([6]))  # denser than the samples: interpolation
    tensor([[[0.5000, 1.5000]]])
    """
    valid = ~x.isnan()  # (B, C, L)
    zero = x.new_zeros(*x.shape[:2], 1)
    sums = torch.cat([zero, x.masked_fill(~valid, 0.0).cumsum(2)], dim=2)  # (B, C, L + 1) S at 0, 1, ..., L
    counts = torch.cat([zero, valid.to(x.dtype).cumsum(2)], dim=2)  # (B, C, L + 1)
    end = lengths.to(grid.dtype)[:, None]  # (B, 1)
    pos = grid * (end - 1) + 0.5  # (B, G) sample centres at k + 0.5
    mid = (pos[:, 1:] + pos[:, :-1]) / 2  # (B, G - 1) halfway between neighbours
    lo = torch.cat([pos[:, :1] - (mid[:, :1] - pos[:, :1]), mid], dim=1) if pos.shape[1] > 1 else pos - 0.5
    hi = torch.cat([mid, pos[:, -1:] + (pos[:, -1:] - mid[:, -1:])], dim=1) if pos.shape[1] > 1 else pos + 0.5
    lo = torch.minimum(lo, pos - 0.5).clamp(min=0.0)  # (B, G) at least a sample wide, inside [0, L_b]
    hi = torch.maximum(hi, pos + 0.5).minimum(end)  # (B, G)
    n_knots = lengths + 1  # S is known at 0..L_b
    total = _interpolate(sums, hi.to(x.dtype), n_knots) - _interpolate(sums, lo.to(x.dtype), n_knots)  # (B, C, G)
    count = _interpolate(counts, hi.to(x.dtype), n_knots) - _interpolate(counts, lo.to(x.dtype), n_knots)
    return torch.where(count > 1e-6, total / count.clamp(min=1e-6), torch.full_like(total, float("nan")))


def wcss_loss(aligned: Tensor, labels: Tensor | None = None) -> Tensor:
    """DTAN's data term: within-class variance of ``aligned`` ``(B, C, T)``, mean over (C, T), then over classes.

    NaN entries (missing samples) are left out of the means. ``labels`` ``(B,)``; None puts all in one class.

    >>> x = torch.tensor([[[0.0, 2.0]], [[2.0, 2.0]]])
    >>> float(wcss_loss(x))  # variances 1 and 0
    0.5
    """
    labels = torch.zeros(aligned.shape[0], dtype=torch.long, device=aligned.device) if labels is None else labels
    valid = ~aligned.isnan()  # (B, C, T)
    values = aligned.masked_fill(~valid, 0.0)
    classes = labels.unique()
    total = aligned.new_zeros(())
    for k in classes:
        member = labels == k
        x, w = values[member], valid[member].to(aligned.dtype)  # (n_k, C, T)
        count = w.sum(0).clamp(min=1.0)  # (C, T)
        mean = (x * w).sum(0) / count  # (C, T)
        total = total + (((x - mean) ** 2) * w).sum(0).div(count).mean()
    return total / len(classes)


def common_warp_loss(net: DTANet, thetas: list[Tensor], labels: Tensor, n_points: int = 32) -> Tensor:
    """How far the average warp of each class is from the identity: ``mean_s (mean_i g_i(s) - s)^2`` over
    ``n_points`` common times, averaged over the classes in the batch. Joint alignment fixes the warps only up to
    a warp shared by all; this pins that shared part to the identity.

    >>> net = DTANet(DTANConfig(1, n_cells=4, n_recurrences=1, n_filters=2, depth=1))
    >>> theta = torch.tensor([[0.5, 0.0, 0.0], [-0.5, 0.0, 0.0]])  # opposite warps: their mean is near s
    >>> both = common_warp_loss(net, [theta], torch.tensor([0, 0]))
    >>> float(both) < float(common_warp_loss(net, [theta[:1]], torch.tensor([0])))
    True
    """
    grid = torch.linspace(0.0, 1.0, n_points, dtype=thetas[0].dtype, device=thetas[0].device)  # (G,)
    warped = net.warp_grid(thetas, grid)  # (B, G)
    onehot = nn.functional.one_hot(labels).to(warped.dtype)  # (B, K)
    count = onehot.sum(0)  # (K,)
    mean = (onehot.T @ warped)[count > 0] / count[count > 0, None]  # (K', G)
    return ((mean - grid) ** 2).mean()


def prior_precision(cpab: CPAB, *, length_scale: float, variance: float) -> Tensor:
    """Inverse ``(dim, dim)`` of the CPAB smoothness-prior covariance, with a small ridge for conditioning."""
    cov = cpab.theta_covariance(length_scale=length_scale, variance=variance)  # (d, d)
    ridge = 1e-6 * cov.diagonal().mean() * torch.eye(cov.shape[0], dtype=cov.dtype)
    return torch.linalg.inv(cov + ridge)


def prior_loss(thetas: list[Tensor], precision: Tensor) -> Tensor:
    """Sum over passes of the mean Mahalanobis norm ``theta^T Sigma^-1 theta`` (DTAN's smoothness prior).

    >>> float(prior_loss([torch.ones(2, 3)], torch.eye(3, dtype=torch.float64)))
    3.0
    """
    precision = precision.to(dtype=thetas[0].dtype, device=thetas[0].device)
    return sum(torch.einsum("bi,ij,bj->b", theta, precision, theta).mean() for theta in thetas)

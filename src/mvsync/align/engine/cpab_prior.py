"""Gaussian smoothness prior over CPAB parameters, for random warps (augmentation, synthetic tests).

The velocities at the knots get a squared-exponential covariance (with a zero boundary, conditioned on
``v(0) = v(1) = 0``). The free knot velocities are an invertible linear map ``K`` of ``theta``, so the prior on
``theta`` is Gaussian with covariance ``K^-1 cov(v) K^-T``. Freifeld et al. (TPAMI 2017, Sec. 4) and difw put the
same kind of prior on the cell parameters ``A``; knot velocities are what a user can picture.

The functions take a transformation family's ``knot_map`` (``CPAB.knot_map``: the velocity at each knot per unit of
each parameter) and whether its end velocities are pinned to zero; ``CPAB.sample_theta`` and
``CPAB.theta_covariance`` pass their own.

>>> import torch
>>> knot_map = torch.cat([torch.zeros(1, 3), torch.eye(3), torch.zeros(1, 3)]).double()  # 4 cells, ends at 0
>>> sample_theta(knot_map, True, 5, variance=0.05, generator=torch.Generator().manual_seed(0)).shape
torch.Size([5, 3])
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...errors import ConfigError


def theta_covariance(knot_map: Tensor, zero_boundary: bool, *, length_scale: float = 0.1, variance: float = 1.0
                     ) -> Tensor:
    """Covariance ``(dim, dim)`` (float64) of ``theta`` under the prior.

    Parameters
    ----------
    knot_map : Tensor
        ``(n_cells + 1, dim)``: the velocity at each knot per unit of each parameter (``CPAB.knot_map``).
    zero_boundary : bool
        Whether the velocity is pinned to zero at both ends (the free knots are then the inner ones).
    length_scale : float
        Length scale of the squared-exponential kernel, in units of the [0, 1] domain.
    variance : float
        Marginal variance of a knot velocity (before conditioning on the zero boundary).
    """
    if not length_scale > 0:
        raise ConfigError(f"length_scale: must be > 0 (got {length_scale!r})")
    if not variance >= 0:
        raise ConfigError(f"variance: must be >= 0 (got {variance!r})")
    n_cells = knot_map.shape[0] - 1
    knots = torch.linspace(0.0, 1.0, n_cells + 1, dtype=torch.float64)  # (N+1,)
    corr = torch.exp(-((knots[:, None] - knots[None, :]) ** 2) / (2 * length_scale**2))  # (N+1, N+1)
    free = slice(1, -1) if zero_boundary else slice(None)
    if zero_boundary:  # Gaussian conditioning on the two pinned end velocities
        ends = [0, n_cells]
        corr_fe = corr[free][:, ends]  # (d, 2)
        corr = corr[free, free] - corr_fe @ torch.linalg.solve(corr[ends][:, ends], corr_fe.T)  # (d, d)
    k_inv = torch.linalg.inv(knot_map[free].to(torch.float64))  # (d, d)
    return variance * k_inv @ corr @ k_inv.T  # (d, d)


def sample_theta(
    knot_map: Tensor,
    zero_boundary: bool,
    n: int,
    *,
    length_scale: float = 0.1,
    variance: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> Tensor:
    """Draw ``(n, dim)`` parameters from the prior (see :func:`theta_covariance`).

    The default variance gives strong warps (local speed ratios of 1e3 and more); 0.01-0.05 gives moderate ones.
    """
    if not isinstance(n, int) or n < 0:
        raise ConfigError(f"n: must be an int >= 0 (got {n!r})")
    cov = theta_covariance(knot_map, zero_boundary, length_scale=length_scale, variance=variance)  # (d, d)
    # eigh, not Cholesky: the squared-exponential covariance is numerically singular for long length scales.
    eigval, eigvec = torch.linalg.eigh(cov)
    root = eigvec * eigval.clamp(min=0).sqrt()  # (d, d)
    z = torch.randn(n, knot_map.shape[1], generator=generator, dtype=torch.float64)  # (n, d)
    return (z @ root.T).to(dtype=dtype, device=device)  # (n, d)

"""1-D CPAB transformations: diffeomorphisms of [0, 1] from continuous piecewise-affine velocity fields.

Freifeld et al., "Transformations Based on Continuous Piecewise-Affine Velocity Fields" (TPAMI 2017), and their use
for time warping in Weber et al., "Diffeomorphic Temporal Alignment Nets" (DTAN, NeurIPS 2019).

The field is ``v(x) = a_c x + b_c`` in each of ``n_cells`` equal cells, continuous at the knots (and zero at 0 and 1
with ``zero_boundary``). ``theta`` holds coordinates in an orthonormal basis ``B`` of that constraint null space:
``A = B @ theta`` with ``A = [a_1, b_1, a_2, b_2, ...]``. ``T^theta(x)`` is the position at time 1 of the point that
starts at ``x`` and follows ``v``.

How the closed form is computed (the WHY):

- A continuous piecewise-affine field is fully described by its velocities at the ``n_cells + 1`` knots, so we
  integrate from knot velocities: every per-point quantity is two gathers away.
- Inside a cell, ``x(t) = x0 + v(x0) t phi(a t)`` with ``phi(z) = expm1(z) / z``, and the time to go from velocity
  ``v0`` to a boundary with velocity ``v1`` over a distance ``d`` is ``d / v0 * log(r) / (r - 1)``, ``r = v1 / v0``.
  Both ratios are evaluated with a series near their removable singularity, so values and gradients stay finite as
  ``a -> 0`` (Freifeld's ``x0 + b t`` special case).
- In 1-D a trajectory never turns back, so instead of stepping cell by cell we precompute, per warp, the time each
  cell takes to cross and its prefix sums; one batched ``searchsorted`` then gives each point's final cell. The cost
  per point does not depend on how many cells it crosses.
- Leftward motion is rightward motion of the reflected field (``x -> 1 - x``, ``v -> -v``), so one code path serves
  both directions.
- Gradients come from autograd through this closed form; they are exact (DTAN, Weber et al. 2019:
  ``dT/dtheta = dpsi/dtheta + dpsi/dt * dt/dtheta``, with ``dt/dtheta`` flowing through the prefix sums). A custom
  autograd function with that analytic backward was measured no faster here (the op count is the same), so the
  simpler form stays, and it keeps higher-order gradients.
- Masks are float 0/1 tensors combined arithmetically, with every unselected branch kept finite (clamped
  velocities, shifted series arguments), so no ``0 * inf`` reaches a value or a gradient.

Example
-------
>>> import torch
>>> cpab = CPAB(n_cells=8)
>>> theta = cpab.sample_theta(2, variance=0.05, generator=torch.Generator().manual_seed(0))
>>> grid = torch.linspace(0, 1, 5)
>>> warped = cpab.transform_grid(theta, grid)  # (2, 5)
>>> bool(torch.allclose(cpab.inverse(theta, warped), grid.expand(2, 5), atol=1e-5))
True
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ...errors import ConfigError
from .cpab_prior import sample_theta, theta_covariance

# A cell whose crossing time exceeds T = 1 is never crossed; storing a finite stand-in (not inf) keeps the prefix
# sums subtractable and their gradients finite.
_NEVER = 2.0


class CPAB:
    """Closed-form CPAB transformations of [0, 1] with exact gradients.

    Parameters
    ----------
    n_cells : int
        Number of equal cells the field is affine on.
    zero_boundary : bool
        Force ``v(0) = v(1) = 0`` so every transformation maps [0, 1] onto itself.

    Attributes
    ----------
    basis : Tensor
        ``(2 * n_cells, dim)`` float64 orthonormal basis of the constraint null space; ``A = basis @ theta``.
    dim : int
        Number of parameters: ``n_cells - 1`` with a zero boundary, ``n_cells + 1`` without.
    knot_map : Tensor
        ``(n_cells + 1, dim)`` float64 map from ``theta`` to the velocities at the knots ``0, 1/n_cells, ..., 1``.

    Notes
    -----
    Devices and dtypes follow ``theta`` (float32 or float64, CPU or CUDA). Integration time is fixed to 1;
    ``T^theta`` at time ``t`` equals ``T^(t * theta)`` at time 1. Without a zero boundary, a point that reaches 0 or
    1 keeps following the affine field of the edge cell beyond the domain (as in difw).

    Examples
    --------
    >>> cpab = CPAB(n_cells=16)
    >>> cpab.dim, tuple(cpab.basis.shape)
    (15, (32, 15))
    """

    def __init__(self, n_cells: int = 16, *, zero_boundary: bool = True) -> None:
        if not isinstance(n_cells, int) or n_cells < (2 if zero_boundary else 1):
            raise ConfigError(f"n_cells: must be an int >= {2 if zero_boundary else 1} (got {n_cells!r})")
        self.n_cells = n_cells
        self.zero_boundary = zero_boundary
        self.basis = _null_space_basis(n_cells, zero_boundary)  # (2N, d)
        self.dim = self.basis.shape[1]
        self.knot_map = _knot_matrix(n_cells) @ self.basis  # (N+1, d): theta -> knot velocities
        if zero_boundary:  # exactly 0, not 1e-16: points at 0 and 1 must stay put
            self.knot_map[[0, -1]] = 0.0
        self._cache: dict[tuple[torch.dtype, torch.device], Tensor] = {}

    def __repr__(self) -> str:
        return f"CPAB(n_cells={self.n_cells}, zero_boundary={self.zero_boundary})"

    def knot_velocities(self, theta: Tensor) -> Tensor:
        """Velocities ``(B, n_cells + 1)`` at the knots ``0, 1/n_cells, ..., 1`` for ``theta`` ``(B, dim)``."""
        theta = self._check_theta(theta)
        key = (theta.dtype, theta.device)
        if key not in self._cache:
            self._cache[key] = self.knot_map.T.to(dtype=theta.dtype, device=theta.device).contiguous()
        return theta @ self._cache[key]  # (B, N+1)

    def velocity(self, theta: Tensor, x: Tensor) -> Tensor:
        """Evaluate ``v^theta`` at ``x`` ``(G,)`` or ``(B, G)``; returns ``(B, G)``."""
        v = self.knot_velocities(theta)  # (B, N+1)
        x = self._check_grid(x, theta)  # (B, G)
        v_left, v_right, frac, _ = _cell_of(v, x)
        return v_left + (v_right - v_left) * frac  # (B, G)

    def transform_grid(self, theta: Tensor, grid: Tensor) -> Tensor:
        """Integrate each point of ``grid`` for time 1 along ``v^theta``, in closed form.

        Parameters
        ----------
        theta : Tensor
            ``(B, dim)`` parameters; sets dtype and device.
        grid : Tensor
            ``(G,)`` points shared by all warps, or ``(B, G)``.

        Returns
        -------
        Tensor
            ``(B, G)`` transformed points, differentiable w.r.t. ``theta`` and ``grid``.
        """
        v = self.knot_velocities(theta)  # (B, N+1)
        out = _integrate(v, self._check_grid(grid, theta))  # (B, G)
        # The exact flow never leaves [0, 1] with a zero boundary; the clamp only absorbs last-ulp rounding.
        return out.clamp(0.0, 1.0) if self.zero_boundary else out

    def inverse(self, theta: Tensor, grid: Tensor) -> Tensor:
        """Apply ``(T^theta)^-1 = T^-theta`` (integrating ``-v`` for time 1) to ``grid``; returns ``(B, G)``."""
        return self.transform_grid(-theta, grid)

    def warp(self, signal: Tensor, theta: Tensor, lengths: Tensor | None = None, *, pad_value: float = 0.0) -> Tensor:
        """Resample ``signal`` at ``T^theta(grid)`` by linear interpolation.

        Parameters
        ----------
        signal : Tensor
            ``(B, C, L)`` signals.
        theta : Tensor
            ``(B, dim)`` parameters.
        lengths : Tensor, optional
            ``(B,)`` valid lengths. Sequence ``b`` uses its own grid on [0, 1] over its first ``lengths[b]`` samples;
            samples after it are never read, and the output there is ``pad_value``.
        pad_value : float
            Output value after ``lengths[b]``.

        Returns
        -------
        Tensor
            ``(B, C, L)`` warped signals.

        Notes
        -----
        NaN policy: an output is NaN only if a sample it reads with non-zero weight is NaN (a missing value
        propagates to at most the two outputs per crossing that interpolate it). NaNs never reach other outputs,
        and the gradient w.r.t. ``theta`` and ``signal`` of any NaN-free output is finite and unaffected.

        Examples
        --------
        >>> cpab = CPAB(8)
        >>> x = torch.randn(2, 3, 50)
        >>> bool(torch.equal(cpab.warp(x, torch.zeros(2, cpab.dim)), x))
        True
        """
        if signal.dim() != 3:
            raise ConfigError(f"signal: expected shape (B, C, L), got {tuple(signal.shape)}")
        if self._check_theta(theta).shape[0] != signal.shape[0]:
            raise ConfigError(f"theta: {theta.shape[0]} warps for {signal.shape[0]} signals")
        n_valid = self._check_lengths(lengths, signal)  # (B,)
        span = (n_valid - 1).clamp(min=1).to(theta.dtype)[:, None]  # (B, 1)
        idx = torch.arange(signal.shape[2], device=signal.device, dtype=theta.dtype)  # (L,)
        grid = (idx / span).clamp(max=1.0)  # (B, L); entries after lengths[b] are computed, then discarded
        # Displacement form, so that theta = 0 reads every sample exactly at its index (no j / n * n rounding).
        pos = idx + (self.transform_grid(theta, grid) - grid) * span  # (B, L) in sample units
        out = _interpolate(signal, pos.to(signal.dtype), n_valid)  # (B, C, L)
        if lengths is None:
            return out
        pad = idx[None, None, :] >= n_valid[:, None, None]  # (B, 1, L)
        return out.masked_fill(pad, pad_value)

    def theta_covariance(self, *, length_scale: float = 0.1, variance: float = 1.0) -> Tensor:
        """Covariance ``(dim, dim)`` of the smoothness prior; see :func:`~.cpab_prior.theta_covariance`."""
        return theta_covariance(self.knot_map, self.zero_boundary, length_scale=length_scale, variance=variance)

    def sample_theta(
        self,
        n: int,
        *,
        length_scale: float = 0.1,
        variance: float = 1.0,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """Draw ``(n, dim)`` parameters from the smoothness prior; see :func:`~.cpab_prior.sample_theta`.

        >>> CPAB(16).sample_theta(4, generator=torch.Generator().manual_seed(1)).shape
        torch.Size([4, 15])
        """
        kwargs = dict(length_scale=length_scale, variance=variance, generator=generator, dtype=dtype, device=device)
        return sample_theta(self.knot_map, self.zero_boundary, n, **kwargs)

    def _check_theta(self, theta: Tensor) -> Tensor:
        if not isinstance(theta, Tensor) or theta.dim() != 2 or theta.shape[1] != self.dim:
            shape = tuple(theta.shape) if isinstance(theta, Tensor) else type(theta).__name__
            raise ConfigError(f"theta: expected shape (B, {self.dim}), got {shape}")
        if theta.dtype not in (torch.float32, torch.float64):
            raise ConfigError(f"theta: expected float32 or float64, got {theta.dtype}")
        return theta

    def _check_grid(self, grid: Tensor, theta: Tensor) -> Tensor:
        grid = torch.as_tensor(grid).to(dtype=theta.dtype, device=theta.device)
        if grid.dim() == 1:
            return grid.expand(theta.shape[0], -1)  # (B, G)
        if grid.dim() != 2 or grid.shape[0] != theta.shape[0]:
            raise ConfigError(f"grid: expected shape (G,) or ({theta.shape[0]}, G), got {tuple(grid.shape)}")
        return grid

    @staticmethod
    def _check_lengths(lengths: Tensor | None, signal: Tensor) -> Tensor:
        n_batch, _, n_samples = signal.shape
        if lengths is None:
            return torch.full((n_batch,), n_samples, dtype=torch.long, device=signal.device)
        lengths = torch.as_tensor(lengths, device=signal.device)
        bad_shape = lengths.shape != (n_batch,) or lengths.is_floating_point()
        if bad_shape or bool(((lengths < 1) | (lengths > n_samples)).any()):
            raise ConfigError(f"lengths: expected {n_batch} integers in [1, {n_samples}], got {lengths.tolist()}")
        return lengths.long()


def _null_space_basis(n_cells: int, zero_boundary: bool) -> Tensor:
    """Orthonormal basis ``(2N, d)`` of ``{A : L A = 0}``, via SVD (Freifeld et al. 2017, Sec. 3)."""
    constraints = _constraint_matrix(n_cells, zero_boundary)  # (n_constraints, 2N)
    _, sing, vh = torch.linalg.svd(constraints, full_matrices=True)
    rank = int((sing > 1e-10 * sing.max()).sum()) if sing.numel() else 0
    null = vh[rank:].T  # (2N, d)
    # A null-space basis is unique only up to a rotation, and LAPACK builds may pick different ones; fix it (polar
    # factor) so the free knot velocities are a symmetric positive-definite map of theta, and a theta saved on one
    # machine means the same warp on another.
    free = slice(1, -1) if zero_boundary else slice(None)
    u, _, wh = torch.linalg.svd(_knot_matrix(n_cells)[free] @ null)
    return (null @ (u @ wh).T).contiguous()  # (2N, d)


def _constraint_matrix(n_cells: int, zero_boundary: bool) -> Tensor:
    """Rows ``L`` with ``L A = 0``: continuity at interior knots, then ``v(0) = v(1) = 0`` if asked."""
    rows = []
    for k in range(1, n_cells):  # a_{k-1} x_k + b_{k-1} = a_k x_k + b_k
        row = torch.zeros(2 * n_cells, dtype=torch.float64)
        x = k / n_cells
        row[2 * k - 2 : 2 * k + 2] = torch.tensor([x, 1.0, -x, -1.0], dtype=torch.float64)
        rows.append(row)
    if zero_boundary:
        start, end = torch.zeros(2, 2 * n_cells, dtype=torch.float64)
        start[1] = 1.0  # v(0) = b_1
        end[-2:] = 1.0  # v(1) = a_N + b_N
        rows += [start, end]
    return torch.stack(rows) if rows else torch.zeros(0, 2 * n_cells, dtype=torch.float64)


def _knot_matrix(n_cells: int) -> Tensor:
    """Map ``(N+1, 2N)`` from ``A`` to the velocities at the knots (the last knot uses the last cell)."""
    out = torch.zeros(n_cells + 1, 2 * n_cells, dtype=torch.float64)
    for k in range(n_cells + 1):
        c = min(k, n_cells - 1)
        out[k, 2 * c] = k / n_cells
        out[k, 2 * c + 1] = 1.0
    return out


def _positive(x: Tensor) -> Tensor:
    """1.0 where ``x > 0``, else 0.0, without a gradient.

    Per-point selections use float masks and arithmetic: on the CPUs we measured, a ``torch.where`` on a bool mask
    cost as much as 30 additions. A comparison and a cast: two operators (``sign().clamp_()`` of a detached copy
    took three, seven times per integration; every operator is a kernel launch on a GPU).
    """
    return (x > 0).to(x.dtype)


def _series_below(dtype: torch.dtype) -> float:
    """Where the ratios below switch to their cubic Taylor polynomial.

    At ``|z| = eps^(1/4)`` the polynomial's error ``z^4 / 120`` is below ``eps``, and the exact formula's gradient
    (a difference of two ``1/z`` terms) loses only a factor ``eps^(3/4)``.
    """
    return torch.finfo(dtype).eps ** 0.25


def _expm1_ratio(z: Tensor) -> Tensor:
    """``expm1(z) / z``, equal to 1 at 0, with finite gradients everywhere.

    ``z`` is capped where ``exp`` would overflow (z > 88 in float32, e.g. a point at rest on a zero-velocity knot
    beside a steep cell, where the caller multiplies by that zero velocity: 0 * inf was NaN). The capped ratio is
    smaller than the true one, so a moving point's displacement is underestimated, never past its cell.
    """
    z = z.clamp(max=_exp_below(z.dtype))
    small = _positive(_series_below(z.dtype) - z.abs())
    zs = z * small  # series argument, 0 where unused
    series = 1 + zs * (1 / 2 + zs * (1 / 6 + zs / 24))
    exact = torch.expm1(z + small) / (z + small)  # shifted away from 0 where the series is used
    return series * small + exact * (1 - small)


def _exp_below(dtype: torch.dtype) -> float:
    """The largest argument whose ``exp`` and its gradient stay finite in ``dtype``, with a margin."""
    return 0.9 * math.log(torch.finfo(dtype).max)


def _log_ratio(r: Tensor) -> Tensor:
    """``log(r) / (r - 1)`` for ``r > 0``, equal to 1 at ``r = 1``, with finite gradients everywhere."""
    d = r - 1
    small = _positive(_series_below(d.dtype) - d.abs())
    ds = d * small
    series = 1 + ds * (-1 / 2 + ds * (1 / 3 - ds / 4))
    exact = torch.log(r + small) / (d + small)  # log, not log1p(d): d = r - 1 rounds to -1 for tiny r
    return series * small + exact * (1 - small)


def _cell_of(v: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Knot velocities around each point, its fraction within the cell, and the cell index (as a float)."""
    n_cells = v.shape[1] - 1
    u = x * n_cells  # (B, G)
    cell = u.detach().floor().clamp_(0, n_cells - 1)  # (B, G); points outside [0, 1] use the edge cells
    idx = cell.long()
    return v.gather(1, idx), v.gather(1, idx + 1), u - cell, cell


def _crossing_prefix(table: Tensor) -> Tensor:
    """Prefix sums ``(B, 2(N+1))`` (float64) of the times to cross each cell rightward, for both fields in ``table``.

    ``table`` ``(B, 2, N+1)`` holds knot velocities of the field and of its reflection. Cell ``k`` can be crossed
    only if the velocity is positive at both of its knots, and never if it borders the domain edge.
    """
    n_batch, _, n_knots = table.shape
    w0, w1 = table[..., :-1], table[..., 1:]  # (B, 2, N)
    ok = (w0 > 0) & (w1 > 0)
    ok[..., -1] = False
    w0_safe = torch.where(ok, w0, torch.ones_like(w0))
    tau = torch.where(ok, w1 / w0_safe, torch.ones_like(w0))  # velocity ratio r, then crossing time
    tau = torch.where(ok, (_log_ratio(tau) / (w0_safe * (n_knots - 1))).clamp(max=_NEVER), _NEVER)  # (B, 2, N)
    # Lay the two fields end to end, 1 time unit apart, so one searchsorted serves both; float64 because cells
    # before a point's own cell cancel in the differences (precision loss in float32 otherwise).
    gap = torch.zeros(2, n_knots, dtype=torch.float64, device=table.device)
    gap[1, 0] = 1.0
    steps = torch.nn.functional.pad(tau.double(), (1, 0)) + gap  # (B, 2, N+1)
    return steps.reshape(n_batch, 2 * n_knots).cumsum(1)  # (B, 2(N+1))


def _integrate(v: Tensor, x: Tensor) -> Tensor:
    """Closed-form ``T(x)`` for knot velocities ``v`` ``(B, N+1)`` and points ``x`` ``(B, G)``."""
    n_batch, n_knots = v.shape
    n_cells = n_knots - 1
    table = torch.stack([v, -v.flip(1)], dim=1)  # (B, 2, N+1): field, and its reflection x -> 1 - x
    prefix = _crossing_prefix(table)  # (B, 2(N+1)) float64
    table = table.reshape(n_batch, 2 * n_knots)  # (B, 2(N+1))
    floor = torch.finfo(v.dtype).tiny ** 0.25  # clamps velocities so that every gradient term stays finite
    v_left, v_right, frac, cell = _cell_of(v, x)  # (B, G) each
    v0 = torch.lerp(v_left, v_right, frac)  # (B, G)
    # Canonical frame: every point moves rightward (reflected if v0 < 0).
    sign = torch.ones_like(v0).copysign_(v0.detach())  # (B, G) +1 or -1
    left = (1 - sign) / 2  # (B, G) 1.0 for points moving leftward
    local = sign * cell + left * (n_cells - 1)  # (B, G) canonical cell within its half of the table
    start = (local + left * n_knots).long()  # (B, G)
    frac_c, v0_c = torch.addcmul(left, sign, frac), sign * v0
    # Time to leave the starting cell: finite only if the velocity stays positive up to the boundary ahead.
    v_exit = table.gather(1, start + 1) * _positive(n_cells - 1 - local)  # (B, G); the domain edge is never crossed
    v0_safe = v0_c.clamp(min=floor)
    t_exit = (1 - frac_c) / n_cells / v0_safe * _log_ratio(v_exit.clamp(min=floor) / v0_safe)  # (B, G)
    exits = _positive(v0_c) * _positive(v_exit) * _positive(1 - t_exit)  # (B, G) 1.0 if it leaves its cell
    # Final cell: the last one entered within the unit time budget.
    target = prefix.gather(1, start + 1) + (1 - exits * t_exit).double()  # (B, G) float64
    final = start + exits.long() * (torch.searchsorted(prefix, target.detach(), right=True) - 1 - start)  # (B, G)
    w_start = table.gather(1, final)  # (B, G)
    slope = (table.gather(1, final + 1) - w_start) * n_cells
    time_left = 1 + exits * ((target - prefix.gather(1, final)).to(v.dtype) - 1)  # (B, G)
    boundary = (final - left * n_knots).to(v.dtype) / n_cells  # (B, G) left boundary of the final cell
    x_start = torch.lerp(torch.addcmul(left, sign, x), boundary, exits)  # (B, G) lerp with weight 0/1: a select
    v_start = torch.lerp(v0_c, w_start, exits)
    x_end = x_start + v_start * time_left * _expm1_ratio(slope * time_left)  # (B, G) psi in the final cell
    return torch.addcmul(left, sign, x_end)


def _interpolate(signal: Tensor, pos: Tensor, n_valid: Tensor) -> Tensor:
    """Linear interpolation of ``signal`` ``(B, C, L)`` at ``pos`` ``(B, G)`` (sample units, < ``n_valid``)."""
    n_batch, n_channels, _ = signal.shape
    last = (n_valid - 1)[:, None]  # (B, 1)
    pos = pos.clamp(min=0).minimum(last.to(pos.dtype))  # (B, G); clamps rounding, or a field without zero boundary
    i0 = pos.detach().floor()  # (B, G)
    weight = (pos - i0)[:, None]  # (B, 1, G)
    i0 = i0.long()
    i1 = torch.minimum(i0 + 1, last)  # (B, G)
    shape = (n_batch, n_channels, pos.shape[1])
    i0, i1 = i0[:, None].expand(shape), i1[:, None].expand(shape)  # (B, C, G)
    # NaN-safe: interpolate zeros in place of NaNs (so no 0 * NaN reaches any gradient), then mark the outputs
    # that truly read a NaN.
    nan = signal.isnan()  # (B, C, L)
    safe = signal.masked_fill(nan, 0.0)
    s0, s1 = safe.gather(2, i0), safe.gather(2, i1)  # (B, C, G)
    out = s0 + weight * (s1 - s0)  # (B, C, G)
    reads_nan = nan.gather(2, i0) | (nan.gather(2, i1) & (weight > 0))
    return out.masked_fill(reads_nan, math.nan)

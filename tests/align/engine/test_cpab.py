"""Tests of the closed-form 1-D CPAB transformations (mvsync.align.engine.cpab)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mvsync.align.engine.cpab import CPAB
from mvsync.errors import ConfigError

F64 = torch.float64


def _theta(cpab: CPAB, n: int, *, seed: int = 0, variance: float = 0.03, dtype=F64) -> torch.Tensor:
    return cpab.sample_theta(n, variance=variance, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _affine(cpab: CPAB, theta: torch.Tensor) -> np.ndarray:
    """Per-cell (a_c, b_c), as ``A = basis @ theta``: ``(B, N, 2)``."""
    return (theta.double() @ cpab.basis.T).numpy().reshape(len(theta), cpab.n_cells, 2)


def _velocity_from_affine(ab: np.ndarray, x: np.ndarray) -> np.ndarray:
    n_cells = ab.shape[1]
    cell = np.clip(np.floor(x * n_cells).astype(int), 0, n_cells - 1)
    return np.take_along_axis(ab[..., 0], cell, 1) * x + np.take_along_axis(ab[..., 1], cell, 1)


def _rk4(ab: np.ndarray, x: np.ndarray, n_steps: int = 2000) -> np.ndarray:
    """Independent reference: classic RK4 on the per-cell affine field, in float64."""
    x, dt = np.array(x, dtype=np.float64), 1.0 / n_steps
    for _ in range(n_steps):
        k1 = _velocity_from_affine(ab, x)
        k2 = _velocity_from_affine(ab, x + dt / 2 * k1)
        k3 = _velocity_from_affine(ab, x + dt / 2 * k2)
        k4 = _velocity_from_affine(ab, x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def _slope_ratio(cpab: CPAB, theta: torch.Tensor, n: int = 2001) -> torch.Tensor:
    """max / min of dT/dx over [0, 1], per warp."""
    grid = torch.linspace(0, 1, n, dtype=F64)
    slope = cpab.transform_grid(theta.double(), grid).diff(dim=1)  # (B, n-1)
    return slope.max(1).values / slope.min(1).values


# ---------------------------------------------------------------- basis


@pytest.mark.parametrize("zero_boundary, dim", [(True, 15), (False, 17)])
def test_basis_is_orthonormal_and_satisfies_the_constraints(zero_boundary, dim):
    cpab = CPAB(16, zero_boundary=zero_boundary)
    assert cpab.dim == dim and cpab.basis.shape == (32, dim)
    assert torch.allclose(cpab.basis.T @ cpab.basis, torch.eye(dim, dtype=F64), atol=1e-12)
    ab = cpab.basis.T.reshape(dim, 16, 2)  # (d, N, 2): every basis vector is a field
    knots = torch.arange(1, 16, dtype=F64) / 16
    left = ab[:, :-1, 0] * knots + ab[:, :-1, 1]  # value of cell k-1 at knot k
    right = ab[:, 1:, 0] * knots + ab[:, 1:, 1]  # value of cell k at knot k
    assert (left - right).abs().max() < 1e-12
    ends = torch.stack([ab[:, 0, 1], ab[:, -1, 0] + ab[:, -1, 1]])  # v(0), v(1)
    if zero_boundary:
        assert ends.abs().max() < 1e-12
    else:  # the basis must span fields with free ends, not only the zero-boundary ones
        assert torch.linalg.matrix_rank(torch.cat([left, ends.T], 1)) == dim


def test_basis_is_deterministic():
    assert torch.equal(CPAB(16).basis, CPAB(16).basis)


@pytest.mark.parametrize("zero_boundary", [True, False])
def test_velocity_is_continuous_at_knots_and_matches_affine_cells(zero_boundary):
    cpab = CPAB(16, zero_boundary=zero_boundary)
    theta = _theta(cpab, 3, variance=1.0)
    knots = torch.arange(17, dtype=F64) / 16
    below = cpab.velocity(theta, (knots - 1e-9).clamp(0, 1))
    above = cpab.velocity(theta, (knots + 1e-9).clamp(0, 1))
    assert (below - above).abs().max() < 1e-6
    x = torch.rand(200, dtype=F64, generator=torch.Generator().manual_seed(1))
    expected = _velocity_from_affine(_affine(cpab, theta), np.broadcast_to(x.numpy(), (3, 200)))
    np.testing.assert_allclose(cpab.velocity(theta, x).numpy(), expected, atol=1e-12)
    if zero_boundary:
        assert cpab.velocity(theta, torch.tensor([0.0, 1.0], dtype=F64)).abs().max() < 1e-12


# ---------------------------------------------------------------- integration


@pytest.mark.parametrize("zero_boundary", [True, False])
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-6), (torch.float32, 1e-4)])
def test_closed_form_matches_rk4(zero_boundary, dtype, tol):
    cpab = CPAB(16, zero_boundary=zero_boundary)
    theta = _theta(cpab, 8, seed=2, variance=0.1).to(dtype)
    grid = torch.linspace(0, 1, 101, dtype=dtype)
    out = cpab.transform_grid(theta, grid)
    assert out.dtype == dtype and out.shape == (8, 101)
    ref = _rk4(_affine(cpab, theta), np.broadcast_to(grid.double().numpy(), (8, 101)))
    # make sure the case is not trivial: points cross several cells
    assert np.abs(ref - grid.double().numpy()).max() > 3 / 16
    assert np.abs(out.double().numpy() - ref).max() <= tol


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_monotone_and_inside_unit_interval_for_extreme_theta(dtype):
    cpab = CPAB(16)
    base = _theta(cpab, 6, seed=3, variance=0.01)
    assert _slope_ratio(cpab, base).min() > 10  # already the mildest scale has 10x local speed ratios
    assert _slope_ratio(cpab, 4 * base).max() > 1e6
    for scale in (1.0, 2.0, 4.0, 8.0):
        out = cpab.transform_grid((scale * base).to(dtype), torch.linspace(0, 1, 1000, dtype=dtype))
        assert out.min() >= 0 and out.max() <= 1
        assert out[:, 0].eq(0).all() and out[:, -1].eq(1).all()
        # Where the exact spacing falls below the dtype's resolution, neighbours may swap by an ulp.
        assert out.diff(dim=1).min() >= -2 * torch.finfo(dtype).eps


def test_a_point_at_rest_next_to_a_steep_cell_stays_finite():
    """A point on a zero-velocity knot whose cell is steep enough that exp(slope) overflows float32 (slope 96 here):
    the closed form read 0 * inf = NaN there (it stopped a seed-scale training's evaluation)."""
    cpab = CPAB(16)
    torch.manual_seed(0)
    theta = (30 * torch.randn(2000, cpab.dim)).requires_grad_()
    grid = torch.linspace(0, 1, 300)
    out, back = cpab.transform_grid(theta, grid), cpab.inverse(theta, grid)
    (out.sum() + back.sum()).backward()
    assert torch.isfinite(out).all() and torch.isfinite(back).all() and torch.isfinite(theta.grad).all()
    assert out.diff(dim=1).min() >= -2 * torch.finfo(torch.float32).eps and out[:, 0].eq(0).all()


def test_monotone_strictly_when_speed_ratio_is_ten():
    cpab = CPAB(16)
    base = _theta(cpab, 1, seed=4, variance=0.01)
    scale = next(s for s in np.linspace(0.1, 10, 100) if _slope_ratio(cpab, s * base).item() >= 10)
    theta = scale * base
    for dtype in (torch.float32, torch.float64):
        out = cpab.transform_grid(theta.to(dtype), torch.linspace(0, 1, 500, dtype=dtype))
        assert (out.diff(dim=1) > 0).all()


def test_inverse_undoes_the_transformation():
    cpab = CPAB(16)
    theta = _theta(cpab, 8, seed=5, variance=0.03)
    assert _slope_ratio(cpab, theta).max() > 10
    grid = torch.linspace(0, 1, 301, dtype=F64)
    assert (cpab.inverse(theta, cpab.transform_grid(theta, grid)) - grid).abs().max() < 1e-6
    assert (cpab.transform_grid(theta, cpab.inverse(theta, grid)) - grid).abs().max() < 1e-6
    assert (cpab.transform_grid(theta, grid) - grid).abs().max() > 0.05  # not an identity


def test_batched_grid_matches_shared_grid():
    cpab = CPAB(8)
    theta = _theta(cpab, 3, variance=0.1)
    grid = torch.rand(50, dtype=F64, generator=torch.Generator().manual_seed(0))
    shared = cpab.transform_grid(theta, grid)
    per_warp = cpab.transform_grid(theta, grid.expand(3, 50).clone())
    assert torch.equal(shared, per_warp)
    one = cpab.transform_grid(theta[1:2], grid)
    assert torch.allclose(one[0], shared[1], atol=1e-15)


@pytest.mark.parametrize("zero_boundary", [True, False])
def test_gradcheck_float64(zero_boundary):
    cpab = CPAB(6, zero_boundary=zero_boundary)
    theta = (3 * _theta(cpab, 2, seed=6, variance=0.1)).requires_grad_()  # crossings of several cells
    grid = torch.rand(2, 9, dtype=F64, generator=torch.Generator().manual_seed(2)).requires_grad_()
    assert torch.autograd.gradcheck(cpab.transform_grid, (theta, grid))


@pytest.mark.parametrize("scale", [1e-7, 1e-3])
def test_gradcheck_near_the_affine_limit(scale):
    # |a t| and |r - 1| fall below the series threshold, so the series branches of the gradient are exercised
    cpab = CPAB(5)
    theta = (scale * _theta(cpab, 2, seed=7, variance=1.0)).requires_grad_()
    grid = torch.tensor([0.0, 0.1, 0.2, 0.4, 0.55, 0.8, 1.0], dtype=F64)
    assert torch.autograd.gradcheck(cpab.transform_grid, (theta, grid))
    inner = grid[1:-1].clone().requires_grad_()  # at 0 and 1 the output clamp has one-sided derivatives only
    assert torch.autograd.gradcheck(cpab.transform_grid, (theta, inner))


def test_gradcheck_for_nearly_constant_velocity():
    # velocity ratios across cells within 1e-5 of 1: the series branches of the crossing-time gradients
    cpab = CPAB(5, zero_boundary=False)
    knot_v = 0.3 + 1e-6 * torch.randn(1, 6, dtype=F64, generator=torch.Generator().manual_seed(9))
    theta = torch.linalg.solve(cpab.knot_map, knot_v.T).T.requires_grad_()  # (1, 6)
    grid = torch.tensor([0.05, 0.3, 0.41, 0.6], dtype=F64, requires_grad=True)
    assert (cpab.transform_grid(theta, grid) - grid - 0.3).abs().max() < 1e-5
    assert torch.autograd.gradcheck(cpab.transform_grid, (theta, grid))


def test_float32_gradient_matches_float64():
    cpab = CPAB(16)
    theta = _theta(cpab, 16, seed=8, variance=0.1)
    grid, upstream = torch.linspace(0, 1, 200, dtype=F64), torch.randn(16, 200, dtype=F64)
    grads = []
    for dtype in (torch.float32, F64):
        t = theta.to(dtype).requires_grad_()
        cpab.transform_grid(t, grid.to(dtype)).backward(upstream.to(dtype))
        grads.append(t.grad.double())
    assert (grads[0] - grads[1]).abs().max() < 1e-3 * grads[1].abs().max()


def test_gradient_is_finite_at_stationary_and_affine_limits():
    cpab = CPAB(4)
    theta = torch.zeros(2, cpab.dim, dtype=F64)
    theta[1, 0] = 1e-9  # a -> 0 everywhere: Freifeld's x0 + b t limit
    theta.requires_grad_()
    grid = torch.tensor([0.0, 0.25, 0.3, 0.5, 1.0], dtype=F64)
    cpab.transform_grid(theta, grid).sum().backward()
    assert torch.isfinite(theta.grad).all() and theta.grad.abs().sum() > 0


def _reference_ratios(z: np.ndarray) -> dict[str, np.ndarray]:
    """float64 references for phi(z) = expm1(z)/z, L(r) = log(r)/(r-1) at r = 1 + z, and their derivatives."""
    small = np.abs(z) < 1e-5
    zz = np.where(small, 1.0, z)  # series (error < 1e-20) below 1e-5, exact formulas (error < 1e-11) above
    r, lr = 1 + z, np.log1p(zz) / zz
    return {
        "phi": np.where(small, 1 + z / 2 + z**2 / 6 + z**3 / 24, np.expm1(zz) / zz),
        "dphi": np.where(small, 1 / 2 + z / 3 + z**2 / 8 + z**3 / 30, (zz * np.exp(zz) - np.expm1(zz)) / zz**2),
        "lr": np.where(small, 1 - z / 2 + z**2 / 3 - z**3 / 4, lr),
        "dlr": np.where(small, -1 / 2 + 2 * z / 3 - 3 * z**2 / 4 + 4 * z**3 / 5, (1 / np.where(small, 2, r) - lr) / zz),
    }


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ratio_helpers_are_accurate_near_their_removable_singularity(dtype):
    from mvsync.align.engine.cpab import _expm1_ratio, _log_ratio

    grid = np.logspace(-12, np.log10(0.9), 80)
    zt = torch.tensor(np.concatenate([-grid, [0.0], grid, [3.0, 10.0]]), dtype=dtype, requires_grad=True)
    rt = (1 + zt).detach().requires_grad_()
    ref = _reference_ratios(zt.detach().double().numpy())  # at the exact inputs the helpers see
    ref_r = _reference_ratios(rt.detach().double().numpy() - 1)
    phi, lr = _expm1_ratio(zt), _log_ratio(rt)
    (dphi,) = torch.autograd.grad(phi.sum(), zt)
    (dlr,) = torch.autograd.grad(lr.sum(), rt)
    value_tol, slope_tol = 10 * torch.finfo(dtype).eps, (1e-4 if dtype == torch.float32 else 1e-8)
    checks = [(phi, ref["phi"], value_tol), (lr, ref_r["lr"], value_tol), (dphi, ref["dphi"], slope_tol),
              (dlr, ref_r["dlr"], slope_tol)]
    for got, want, rtol in checks:
        np.testing.assert_allclose(got.detach().double().numpy(), want, rtol=rtol)


# ---------------------------------------------------------------- warp


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_warp_with_identity_theta_returns_the_signal(dtype):
    cpab = CPAB(16)
    signal = torch.randn(3, 2, 40, dtype=dtype)
    out = cpab.warp(signal, torch.zeros(3, cpab.dim, dtype=dtype))
    assert out.dtype == dtype and torch.equal(out, signal)
    lengths = torch.tensor([40, 25, 7])
    out = cpab.warp(signal, torch.zeros(3, cpab.dim, dtype=dtype), lengths)
    for b, n in enumerate(lengths.tolist()):
        assert torch.equal(out[b, :, :n], signal[b, :, :n])


def test_warp_matches_linear_interpolation_at_transformed_grid():
    cpab = CPAB(16)
    theta = _theta(cpab, 2, variance=0.1)
    signal = torch.randn(2, 3, 60, dtype=F64)
    out = cpab.warp(signal, theta)
    pos = cpab.transform_grid(theta, torch.linspace(0, 1, 60, dtype=F64)).numpy() * 59
    for b in range(2):
        for ch in range(3):
            np.testing.assert_allclose(out[b, ch].numpy(), np.interp(pos[b], np.arange(60), signal[b, ch]), atol=1e-12)


def test_warp_variable_lengths_never_reads_the_padding():
    cpab = CPAB(16)
    lengths = torch.tensor([50, 31, 12, 1])
    theta = _theta(cpab, 4, variance=0.1).requires_grad_()
    signal = torch.randn(4, 2, 50, dtype=F64)
    valid = torch.arange(50) < lengths[:, None, None]  # (B, 1, L)
    results = []
    for pad in (0.0, float("nan"), 1e6):
        padded = signal.masked_fill(~valid, pad)
        out = cpab.warp(padded, theta, lengths, pad_value=-1.0)
        (grad,) = torch.autograd.grad(out.sum(), theta)
        results.append((out, grad))
    for out, grad in results[1:]:
        assert torch.equal(out, results[0][0]) and torch.equal(grad, results[0][1])
    out = results[0][0]
    assert out.masked_select(~valid.expand_as(out)).eq(-1.0).all()
    for b, n in enumerate(lengths.tolist()):  # each sequence is warped on its own grid, as if alone
        alone = cpab.warp(signal[b : b + 1, :, :n], theta[b : b + 1])
        assert torch.allclose(out[b, :, :n], alone[0], atol=1e-12)


def test_warp_nan_only_reaches_outputs_that_read_it():
    cpab = CPAB(16)
    theta = _theta(cpab, 2, variance=0.03).requires_grad_()
    signal = torch.randn(2, 1, 80, dtype=F64)
    with_nan, filled = signal.clone(), signal.clone()
    with_nan[:, :, 40], filled[:, :, 40] = float("nan"), 123.0
    out_nan, out_filled = cpab.warp(with_nan, theta), cpab.warp(filled, theta)
    ok = ~out_nan.isnan()
    assert 0 < (~ok).sum() < 8  # the NaN reaches only the outputs interpolating sample 40
    pos = cpab.transform_grid(theta, torch.linspace(0, 1, 80, dtype=F64)) * 79  # (B, L)
    reads = (pos.detach() - 40).abs() < 1  # outputs whose stencil includes sample 40
    assert torch.equal(~ok[:, 0], reads)
    assert torch.equal(out_nan[ok], out_filled[ok])
    identity = cpab.warp(with_nan, torch.zeros_like(theta))  # reads sample 40 with weight 1 and its neighbours with 0
    assert torch.equal(identity.isnan(), with_nan.isnan())
    (grad_nan,) = torch.autograd.grad(out_nan[ok].sum(), theta)
    (grad_filled,) = torch.autograd.grad(out_filled[ok].sum(), theta)
    assert torch.isfinite(grad_nan).all() and torch.allclose(grad_nan, grad_filled, atol=1e-12)


def test_warp_gradient_flows_to_theta_and_signal():
    cpab = CPAB(8)
    theta = _theta(cpab, 2, variance=0.1).requires_grad_()
    signal = torch.randn(2, 1, 30, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t, s: cpab.warp(s, t), (theta, signal))


# ---------------------------------------------------------------- prior


def test_prior_gives_squared_exponential_knot_covariance():
    cpab = CPAB(8, zero_boundary=False)
    theta = cpab.sample_theta(20000, length_scale=0.2, variance=0.5, generator=torch.Generator().manual_seed(0))
    knots = torch.linspace(0, 1, 9, dtype=F64)
    v = cpab.velocity(theta.double(), knots)  # (n, 9)
    expected = 0.5 * torch.exp(-((knots[:, None] - knots) ** 2) / (2 * 0.2**2))
    assert (torch.cov(v.T) - expected).abs().max() < 0.03


def test_prior_with_zero_boundary_is_the_squared_exponential_conditioned_on_zero_ends():
    cpab = CPAB(8)
    theta = cpab.sample_theta(20000, length_scale=0.3, variance=2.0, generator=torch.Generator().manual_seed(1))
    knots = np.linspace(0, 1, 9)
    v = cpab.velocity(theta.double(), torch.from_numpy(knots)).numpy()  # (n, 9)
    cov = 2.0 * np.exp(-((knots[:, None] - knots) ** 2) / (2 * 0.3**2))
    free, ends = slice(1, 8), [0, 8]
    expected = cov[free, free] - cov[free][:, ends] @ np.linalg.solve(cov[ends][:, ends], cov[ends][:, free])
    assert np.abs(np.cov(v[:, free].T) - expected).max() < 0.06
    assert np.abs(v[:, ends]).max() < 1e-12


def test_prior_with_zero_boundary_pins_the_ends_and_is_reproducible():
    cpab = CPAB(16)
    theta = cpab.sample_theta(5000, generator=torch.Generator().manual_seed(0), dtype=F64)
    again = cpab.sample_theta(5000, generator=torch.Generator().manual_seed(0), dtype=F64)
    assert theta.shape == (5000, 15) and torch.equal(theta, again)
    v = cpab.velocity(theta, torch.linspace(0, 1, 17, dtype=F64))
    assert v[:, [0, -1]].abs().max() < 1e-12
    assert abs(v[:, 8].var().item() - 1.0) < 0.1  # far from the ends the variance is the prior's
    smooth = cpab.sample_theta(5000, length_scale=0.5, generator=torch.Generator().manual_seed(0), dtype=F64)
    rough_corr = torch.corrcoef(v[:, 7:9].T)[0, 1]
    smooth_corr = torch.corrcoef(cpab.velocity(smooth, torch.tensor([7 / 16, 8 / 16], dtype=F64)).T)[0, 1]
    assert smooth_corr > rough_corr + 0.05


# ---------------------------------------------------------------- errors and devices


def test_bad_parameters_raise_config_error():
    cpab = CPAB(16)
    with pytest.raises(ConfigError, match="n_cells"):
        CPAB(1)
    with pytest.raises(ConfigError, match="theta"):
        cpab.transform_grid(torch.zeros(2, 14), torch.linspace(0, 1, 5))
    with pytest.raises(ConfigError, match="grid"):
        cpab.transform_grid(torch.zeros(2, 15), torch.zeros(3, 5))
    with pytest.raises(ConfigError, match="lengths"):
        cpab.warp(torch.zeros(2, 1, 5), torch.zeros(2, 15), torch.tensor([5, 6]))
    with pytest.raises(ConfigError, match="length_scale"):
        cpab.sample_theta(1, length_scale=0.0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cuda_matches_cpu(dtype):
    cpab = CPAB(16)
    theta = _theta(cpab, 4, variance=0.1, dtype=dtype)
    grid = torch.linspace(0, 1, 257, dtype=dtype)
    cpu = cpab.transform_grid(theta, grid)
    theta_gpu = theta.cuda().requires_grad_()
    gpu = cpab.transform_grid(theta_gpu, grid.cuda())
    assert gpu.device.type == "cuda" and gpu.dtype == dtype
    assert torch.allclose(gpu.cpu(), cpu, atol=1e-5 if dtype == torch.float32 else 1e-10)
    gpu.sum().backward()
    assert torch.isfinite(theta_gpu.grad).all()
    signal = torch.randn(4, 2, 257, dtype=dtype)
    lengths = torch.tensor([257, 100, 50, 3])
    warped = cpab.warp(signal.cuda(), theta.cuda(), lengths.cuda())
    assert torch.allclose(warped.cpu(), cpab.warp(signal, theta, lengths), atol=1e-4)

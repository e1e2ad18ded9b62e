"""Foundation benchmark: decode, pose and appearance throughput, and `mvsync sync` on 8 clips.

Run: python benchmarks/bench_foundation.py [--pose-sync]

Every figure is printed beside a baseline measured in the same run:
- our streaming reader against a bare PyAV decode loop (same file, same RGB conversion);
- feature extractors against real time (the clip's own fps) and against decoding alone;
- `mvsync sync` (cold cache and warm cache) against decoding the same 8 clips once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

from mvsync.demo import demo_clip_path
from mvsync.evaluate import Retiming, write_retimed
from mvsync.features import create_extractor
from mvsync.io import probe, read_frames

EIGHT = tuple(Retiming(tempo=t, lead_in=l, ease=e) for t, l, e in
              [(1.0, 0, 0), (0.8, 12, 0), (1.25, 5, .3), (0.9, 20, -.4), (1.1, 8, .5), (0.7, 3, 0), (1.3, 15, -.2), (0.95, 0, .2)])


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bare_pyav(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for frame in container.decode(video=0) if frame.to_ndarray(format="rgb24") is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pose-sync", action="store_true", help="also time `mvsync sync --features pose` (slow)")
    args = parser.parse_args()
    bikes, carphone = demo_clip_path("bikes.mp4"), demo_clip_path("carphone_pristine.mp4")
    n_bikes = probe(bikes).num_frames

    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}\n")
    print("| measurement | ours | baseline | ratio |")
    print("|---|---|---|---|")
    ours = timed(lambda: sum(1 for _ in read_frames(bikes)))
    base = timed(lambda: bare_pyav(bikes))
    print(f"| decode bikes.mp4 640x272 (fps) | {n_bikes / ours:.0f} | bare PyAV loop {n_bikes / base:.0f} | {base / ours:.2f}x |")

    n_car = probe(carphone).num_frames
    pose = timed(lambda: create_extractor("pose").extract(carphone), repeat=1)
    decode_car = timed(lambda: sum(1 for _ in read_frames(carphone)))
    print(f"| pose carphone 176x144 (fps) | {n_car / pose:.1f} | real time {probe(carphone).fps:.2f} | {n_car / pose / probe(carphone).fps:.2f}x real time |")
    print(f"| pose vs decode (fps) | {n_car / pose:.1f} | decode only {n_car / decode_car:.0f} | {decode_car / pose:.3f}x |")
    appearance = timed(lambda: create_extractor("appearance").extract(bikes))
    print(f"| appearance bikes 640x272 (fps) | {n_bikes / appearance:.0f} | real time 25 | {n_bikes / appearance / 25:.1f}x real time |")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clips = [str(p) for p, _ in write_retimed(bikes, tmp / "clips", EIGHT, size=(320, 136))]
        frames = sum(probe(c).num_frames for c in clips)
        seconds = sum(probe(c).duration_s for c in clips)
        decode_all = timed(lambda: [sum(1 for _ in read_frames(c)) for c in clips], repeat=1)
        env = {**os.environ, "MVSYNC_CACHE_DIR": str(tmp / "cache")}
        kinds = ["appearance"] + (["pose"] if args.pose_sync else [])
        for kind in kinds:
            for label in ("cold cache", "warm cache"):
                out = tmp / f"out-{kind}-{label[:4]}"
                cmd = [sys.executable, "-m", "mvsync.cli", "sync", *clips, "-o", str(out), "--features", kind, "-q"]
                start = time.perf_counter()
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                wall = time.perf_counter() - start
                status = "ok" if proc.returncode == 0 else f"FAILED ({proc.stderr.strip().splitlines()[-1]})"
                print(f"| mvsync sync 8 clips, {frames} frames ({seconds:.0f} s of video), {kind}, {label} (s) | {wall:.1f} {status} "
                      f"| decode the 8 clips once {decode_all:.1f} s | {wall / decode_all:.1f}x decode; {seconds / wall:.1f}x real time |")


if __name__ == "__main__":
    main()

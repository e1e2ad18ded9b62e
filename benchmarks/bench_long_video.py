"""Peak memory of long 1080p clips: does it depend on the clip's length? (issue 12, section 3)

Run: python benchmarks/bench_long_video.py [--minutes 1 3] [--rate 10] [--keep DIR] [--baseline SRC] [--no-cells]

Synthetic 1080p clips (30 fps, a sliding pattern: synthetic content is fine for memory) of each length in
``--minutes`` (1 is always included: it is the baseline), written once with mvsync's VideoWriter. For each clip, in a
fresh process that reports its own peak RSS (``VmHWM``):

- ``read``: decode every frame at 1080p, keep ``--rate`` frames per second by presentation time (``read_frames(...,
  fps=R)``), convert each to 24x24 and drop it: the reader alone;
- ``features``: ``mvsync features CLIP --features appearance --fps R --jobs 1``: the whole command, whose output
  (32 channels per sampled frame after PCA; 1728 floats per frame before) grows with the clip by design.

Printed: sampled frames, peak RSS, and the ratio to the 1-minute clip; then the appearance features' growth per
minute of clip (MiB/min, from the shortest to the longest clip). ``--baseline SRC`` (another checkout's ``src``, e.g.
the main branch's) runs the ``features`` rows with that code too, in the same run, and prints the ratio of the two
growths. Then (unless ``--no-cells``) grid memory per cell: peak RSS of a process holding 1 and then 16 open readers
(the grid video's cells) on the 1-minute clip at a 320-pixel cell.
The issue's grid is ``--minutes 1 10 30`` (about an hour of encoding and decoding on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZE = (1920, 1080)
FPS = 30
CHILD_FLAG = "--child"


def write_clip(path: Path, minutes: float) -> Path:
    """A 1080p clip of ``minutes``: a random texture sliding sideways (cheap to make, real to decode)."""
    from mvsync.io import VideoWriter

    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (SIZE[1] // 8, (SIZE[0] + 960) // 8, 3), np.uint8).repeat(8, 0).repeat(8, 1)
    with VideoWriter(path, fps=FPS, size=SIZE, crf=35) as writer:
        for k in range(int(round(minutes * 60 * FPS))):
            x = (k * 4) % 960
            writer.write(np.ascontiguousarray(texture[:, x : x + SIZE[0]]))
    return path


def child_read(path: str, rate: float) -> dict:
    from mvsync.io import read_frames

    return {"frames": sum(1 for _ in read_frames(path, size=(24, 24), fps=rate))}


def child_features(path: str, rate: float, work: str) -> dict:
    """``mvsync features`` in this process (``--jobs 1``: no worker processes to add up)."""
    from mvsync.cli import main

    out = Path(work) / f"features-{Path(path).stem}"
    code = main(["features", path, "-o", str(out), "--features", "appearance", "--fps", str(rate), "--jobs", "1",
                 "--cache-dir", str(Path(work) / "cache"), "-q", "--force"])
    return {"exit": code}


def child_cells(path: str, cells: int) -> dict:
    """Open ``cells`` readers at a 320x180 cell, as the grid does, and read a second of frames from each."""
    from mvsync.io import read_frames

    readers = [read_frames(path, size=(320, 180)) for _ in range(cells)]
    for _ in range(FPS):
        frames = [next(r) for r in readers]
    return {"frames": len(frames)}


def peak_rss_mib() -> float:
    """This process's own peak RSS (``VmHWM``). Not ``getrusage``: after fork + exec its maximum starts at the
    parent's RSS (Linux carries the old memory's high-water mark over exec), which here held the clips being made."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def run_child(*args: str, src: str | None = None) -> tuple[dict, float]:
    """(the child's JSON answer, its wall time in s); the answer carries the child's peak RSS (``peak_mib``). ``src``:
    import mvsync from that folder instead (the baseline)."""
    env = {**os.environ, "PYTHONPATH": src} if src else None
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, CHILD_FLAG, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"{' '.join(args)} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def measure_clip(path: Path, rate: float, work: Path, baseline: str | None) -> dict:
    read, _ = run_child("read", str(path), str(rate))
    features, features_s = run_child("features", str(path), str(rate), str(work / "new"))
    row = {"frames": read["frames"], "read_mib": read["peak_mib"], "features_mib": features["peak_mib"],
           "features_s": features_s}
    if baseline:
        before, before_s = run_child("features", str(path), str(rate), str(work / "baseline"), src=baseline)
        row.update(baseline_mib=before["peak_mib"], baseline_s=before_s)
    return row


def print_growth(rows: dict, rate: float, baseline: str | None) -> None:
    """Appearance features: peak RSS added per minute of clip, from the shortest clip to the longest."""
    first, last = min(rows), max(rows)
    if last == first:
        return
    growth = (rows[last]["features_mib"] - rows[first]["features_mib"]) / (last - first)
    print(f"\nappearance features (--fps {rate:g}): {growth:.1f} MiB per minute of clip ({first:g} to {last:g} min)")
    if baseline:
        before = (rows[last]["baseline_mib"] - rows[first]["baseline_mib"]) / (last - first)
        ratio = f"{growth / before:.2f}" if before > 0 else "n/a"
        print(f"baseline ({baseline}): {before:.1f} MiB per minute; this code / baseline: {ratio}")
        print("\n| clip | baseline: peak RSS (MiB) | this code: peak RSS (MiB) | this code / baseline | baseline wall (s) "
              "| this code wall (s) |")
        print("|---|---|---|---|---|---|")
        for m, r in rows.items():
            print(f"| {m:g} min | {r['baseline_mib']:.0f} | {r['features_mib']:.0f} | "
                  f"{r['features_mib'] / r['baseline_mib']:.2f} | {r['baseline_s']:.0f} | {r['features_s']:.0f} |")


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == CHILD_FLAG:
        kind, path, value, *rest = sys.argv[2:]
        if kind == "read":
            answer = child_read(path, float(value))
        elif kind == "features":
            answer = child_features(path, float(value), rest[0])
        else:
            answer = child_cells(path, int(value))
        print(json.dumps({**answer, "peak_mib": peak_rss_mib()}))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 3], help="clip lengths (default: 1 3)")
    parser.add_argument("--rate", type=float, default=10, help="frames per second sampled (default: 10)")
    parser.add_argument("--keep", metavar="DIR", help="write the clips here and reuse them (default: a temp folder)")
    parser.add_argument("--baseline", metavar="SRC", help="also run the features rows with mvsync imported from SRC")
    parser.add_argument("--no-cells", action="store_true", help="skip the grid-cell rows")
    args = parser.parse_args()
    minutes = sorted({1.0, *args.minutes})
    print(f"bench_long_video: {' '.join(sys.argv[1:]) or '(defaults)'}; 1080p at {FPS} fps, sampled at {args.rate} fps")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips_dir = Path(args.keep) if args.keep else work
        clips_dir.mkdir(parents=True, exist_ok=True)
        rows = {}
        for m in minutes:
            path = clips_dir / f"synthetic_1080p_{m:g}min.mp4"
            if not path.exists():
                start = time.perf_counter()
                write_clip(path, m)
                print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.0f} s",
                      flush=True)
            rows[m] = measure_clip(path, args.rate, work, args.baseline)
        base = rows[1.0]
        print("\n| clip | sampled frames | read: peak RSS (MiB) | vs 1 min | features: peak RSS (MiB) | vs 1 min | "
              "features: wall (s) |")
        print("|---|---|---|---|---|---|---|")
        for m, r in rows.items():
            print(f"| {m:g} min | {r['frames']} | {r['read_mib']:.0f} | {r['read_mib'] / base['read_mib']:.2f} | "
                  f"{r['features_mib']:.0f} | {r['features_mib'] / base['features_mib']:.2f} | {r['features_s']:.0f} |")
        print_growth(rows, args.rate, args.baseline)
        if args.no_cells:
            return
        one = clips_dir / "synthetic_1080p_1min.mp4"
        cells = {k: run_child("cells", str(one), str(k))[0]["peak_mib"] for k in (1, 16)}
        per_cell = (cells[16] - cells[1]) / 15
        print(f"\ngrid cells (1080p clip, 320x180 cell): 1 open reader {cells[1]:.0f} MiB, 16 readers "
              f"{cells[16]:.0f} MiB: {per_cell:.1f} MiB per cell")


if __name__ == "__main__":
    main()

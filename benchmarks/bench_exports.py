"""Re-exporting from sync.json against syncing again (issue 10, "Done means": `mvsync render out/sync.json --outputs
clips,pair,ghost` re-exports in seconds, without aligning again).

Run: python benchmarks/bench_exports.py [--clips 5] [--runs 3] [--keep DIR]

The real clips are the first ``--clips`` retimings of ``mvsync.evaluate.retiming.DEMO_RETIMINGS`` of bikes.mp4
(640x272, 25 fps, 205 to 328 frames). In one run, the benchmark times:

- the baseline, `mvsync sync CLIPS -o out --features appearance --outputs json --event impact=0:f120`, with an empty
  feature cache (the alignment alone, with the fastest features);
- `mvsync render out/sync.json --outputs clips,pair,ghost`, ``--runs`` times;
- `mvsync render out/sync.json --outputs grid,pair,ghost --slowmo impact:4:1` once.

It prints each wall time and its ratio to the baseline. Each command runs as its own process (`python -m
mvsync.cli`), as a user would run it, so every time includes the command's imports.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mvsync.demo import demo_clip_path
from mvsync.evaluate.retiming import DEMO_RETIMINGS, write_retimed


def timed(args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of ``mvsync ARGS -q``, which must succeed."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mvsync.cli", *args, "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=5, help="how many retimed copies (1 to 5; default 5)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the re-export (default 3)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench_exports_"))
    clips = [str(p) for p, _ in write_retimed(demo_clip_path("bikes.mp4"), work / "clips",
                                              DEMO_RETIMINGS[: args.clips], crf=18)]
    env = {**os.environ, "MVSYNC_CACHE_DIR": str(work / "cache")}
    out = work / "out"
    rows = [("sync --features appearance --outputs json (baseline)",
             timed(["sync", *clips, "-o", str(out), "--features", "appearance", "--outputs", "json",
                    "--event", "impact=0:f120"], env))]
    for run in range(args.runs):
        rows.append((f"render --outputs clips,pair,ghost (run {run + 1})",
                     timed(["render", str(out / "sync.json"), "-o", str(work / f"exports{run}"),
                            "--outputs", "clips,pair,ghost"], env)))
    rows.append(("render --outputs grid,pair,ghost --slowmo impact:4:1",
                 timed(["render", str(out / "sync.json"), "-o", str(work / "slowmo"), "--outputs", "grid,pair,ghost",
                        "--slowmo", "impact:4:1"], env)))
    base = rows[0][1]
    print(f"{len(clips)} clips of bikes.mp4 (640x272), {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; files in {work}")
    print("| command | wall s | x baseline |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {seconds / base:.2f} |")


if __name__ == "__main__":
    main()

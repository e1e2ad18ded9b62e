"""Partial overlap: a clip that covers only part of another, placed there, against mapping it end to end.

Run: python benchmarks/bench_partial.py [--data ../shared/data]

Sets:

1. **Excerpts of a real clip** (bikes.mp4, 10 s, appearance features, through ``mvsync.sync``): 2.5 s cut at three
   places, and one at double speed (every other frame), each synced with the whole clip. Error: for every timeline
   step where both show a frame, |excerpt's frame - the whole clip's frame it was cut from|, in source frames; and
   how far the first step with content is from the truth. Rows: placement (the default) and ``--whole`` (end to end).
2. **A rep inside a long recording** (RepCount landmarks, ``pose`` features' layout): repetitions 2-3 of a video cut
   out, as is and randomly retimed (tempo 0.6-1.4x), searched for inside the whole video of the same performer:
   share placed, error of the placed start in frames (repetitions look alike: a neighbouring repetition is a wrong
   place).
3. **Complete cuts of different performers** (the RepCount sets of ``bench_performers.py``, seeds 0 and 1): every
   pair where one lasts at least 1.5x the other; a placement there is a false one (each cut holds the whole action).
   And unrelated real clips (carphone, bigbuckbunny inside bikes, appearance features): a placement is false.

Results: ``benchmarks/results/partial.{json,md}``.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np

from mvsync import sync
from mvsync.align.placement import CLOSER, COVERS, LONGER, find_inside
from mvsync.datasets.repcount import landmark_features, load_repcount
from mvsync.demo import demo_clip_path
from mvsync.evaluate.performer_sets import repcount_sets
from mvsync.evaluate.performers import random_retiming, retime_cut
from mvsync.io import VideoWriter, read_all_frames
from report import write_report  # benchmarks/report.py: run as python benchmarks/<file>.py

ROOT = Path(__file__).resolve().parents[1]
SIZE = (160, 68)
EXCERPTS = {"frames 20-82": range(20, 83), "frames 100-162": range(100, 163), "frames 180-242": range(180, 243),
            "frames 60-184, double speed": range(60, 185, 2)}


def excerpt_rows(folder: Path) -> list[dict]:
    frames, _ = read_all_frames(demo_clip_path("bikes.mp4"), size=SIZE)
    whole = _write(folder / "whole.mp4", frames)
    rows = []
    for name, picked in EXCERPTS.items():
        excerpt = _write(folder / "excerpt.mp4", frames[list(picked)])
        for mode in ("placed", "whole"):
            start = time.perf_counter()
            result = sync([excerpt, whole], features="appearance", partial=mode == "placed")
            seconds = time.perf_counter() - start
            shown, host = result.videos[0].source_frame, result.videos[1].source_frame
            both = np.isfinite(shown) & np.isfinite(host)
            truth = np.interp(host[both], list(picked), np.arange(len(picked)))  # the excerpt's frame of that moment
            inside = (host[both] >= picked[0]) & (host[both] <= picked[-1])
            error = np.abs(shown[both] - truth)[inside]
            first = int(np.flatnonzero(np.isfinite(shown))[0])
            rows.append({"excerpt": name, "mode": mode, "median": float(np.median(error)),
                         "p95": float(np.percentile(error, 95)), "max": float(error.max()),
                         "start_error": abs(first - picked[0]), "seconds": round(seconds, 2)})
        print(f"  {name}: done", flush=True)
    return rows


def rep_rows(root: Path, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    out = {False: [], True: []}
    for video in load_repcount(root):
        values, valid = landmark_features(video.landmarks, video.found)
        if len(video.boundaries) < 4 or valid.mean() < 0.8:
            continue
        a, b = video.boundaries[1, 0], video.boundaries[2, 1]
        for retime in (False, True):
            part, part_valid = values[a:b], valid[a:b]
            if retime:
                part, part_valid, _ = retime_cut(part, part_valid, np.array([0.0]), random_retiming(len(part), rng))
            if len(values) < LONGER * len(part):
                continue
            found = find_inside(part, values, np.arange(len(part)) / 30, np.arange(len(values)) / 30, part_valid, valid)
            placed = found.closeness <= CLOSER and found.coverage <= COVERS
            out[retime].append({"placed": placed, "start_error": abs(found.start - a) if placed else None})
    return out


def false_placements(root: Path) -> tuple[int, int]:
    pairs = placed = 0
    for seed in (0, 1):
        for cuts in repcount_sets(root, seed=seed).values():
            for a, b in itertools.permutations(cuts, 2):
                if len(b.values) >= LONGER * len(a.values):
                    found = find_inside(a.values, b.values, np.arange(len(a.values)) / 30,
                                        np.arange(len(b.values)) / 30, a.valid, b.valid)
                    pairs += 1
                    placed += found.closeness <= CLOSER and found.coverage <= COVERS
    return placed, pairs


def unrelated_rows() -> list[dict]:
    from mvsync.features import extract_features

    names = ["bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4"]
    bikes, *others = extract_features([demo_clip_path(n) for n in names], kind="appearance")
    rows = []
    for name, other in zip(names[1:], others):
        found = find_inside(other.values, bikes.values, other.times_s, bikes.times_s, centred=True)
        rows.append({"clip": name, "closeness": round(found.closeness, 3), "coverage": round(found.coverage, 3),
                     "placed": bool(found.closeness <= CLOSER and found.coverage <= COVERS)})
    return rows


def _write(path: Path, frames: np.ndarray) -> Path:
    with VideoWriter(path, fps=25, size=SIZE, crf=0, overwrite=True) as writer:
        for image in frames:
            writer.write(image)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    lines = ["# Partial overlap", "", "### Excerpts of bikes.mp4 synced with the whole clip (source frames)", "",
             "| excerpt | mapping | median | p95 | max | first step with content, frames off | time (s) |",
             "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        excerpts = excerpt_rows(Path(tmp))
    for r in excerpts:
        mode = "placed (default)" if r["mode"] == "placed" else "end to end (--whole)"
        lines.append(f"| {r['excerpt']} | {mode} | {r['median']:.2f} | {r['p95']:.2f} | {r['max']:.1f} | "
                     f"{r['start_error']} | {r['seconds']} |")
    reps = rep_rows(args.data / "repcount")
    lines += ["", "### Repetitions 2-3 searched for inside the whole RepCount video (same performer)", "",
              "| excerpt | videos | placed | start error, median (frames) | placed within 5 frames |",
              "|---|---|---|---|---|"]
    for retime, found in reps.items():
        errors = np.array([f["start_error"] for f in found if f["placed"]], float)
        lines.append(f"| {'retimed 0.6-1.4x' if retime else 'as cut'} | {len(found)} | "
                     f"{np.mean([f['placed'] for f in found]):.0%} | {np.median(errors):.1f} | "
                     f"{np.mean(errors <= 5):.0%} |")
    placed, pairs = false_placements(args.data / "repcount")
    lines += ["", "### Complete cuts of different performers (a placement is false)", "",
              f"{placed} of {pairs} pairs placed (one cut lasting at least {LONGER}x the other)."]
    unrelated = unrelated_rows()
    lines += ["", f"Unrelated clips inside bikes.mp4 (appearance; placed at closeness <= {CLOSER}):", "",
              "| clip | closeness | placed |", "|---|---|---|"]
    lines += [f"| {r['clip']} | {r['closeness']:.2f} | {'yes' if r['placed'] else 'no'} |" for r in unrelated]
    write_report("partial", lines, {"excerpts": excerpts, "repetitions": {str(k): v for k, v in reps.items()},
                                    "false_placements": {"placed": placed, "pairs": pairs}, "unrelated": unrelated})


if __name__ == "__main__":
    main()

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
4. **Staggered recordings** (two clips cut from bikes, appearance, and from carphone, pose, one starting later and
   running on after the other ends, or starting earlier): placed (the default) and end to end (``--whole``), the
   error wherever both show a frame; and the pairs of complete RepCount cuts of different performers (seeds 0-1,
   retimed and clean) found staggered, which is false.

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
from mvsync.align.overlap import find_overlap
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


STAGGERED = {  # clip: (features, [(A's frames, B's frames)]): two recordings of one performance, staggered
    "bikes.mp4": ("appearance", [((0, 190), (75, 250)), ((75, 250), (0, 150))]),
    "carphone_pristine.mp4": ("pose", [((0, 84), (36, 120)), ((36, 120), (0, 90))]),
}


def staggered_rows(folder: Path) -> list[dict]:
    """A and B cut from one clip at different start and end frames, synced (placed, and --whole): the error wherever
    both show a frame (|A's source frame - B's|), and the timeline steps where B's content is off (shown where it
    has none, or missing where it has some)."""
    rows = []
    for clip, (kind, pairs) in STAGGERED.items():
        frames, _ = read_all_frames(demo_clip_path(clip), size=SIZE if kind == "appearance" else None)
        for first, second in pairs:
            a = _write(folder / "A.mp4", frames[first[0]:first[1]], size=frames.shape[1:3][::-1])
            b = _write(folder / "B.mp4", frames[second[0]:second[1]], size=frames.shape[1:3][::-1])
            for mode in ("placed", "whole"):
                result = sync([a, b], features=kind, partial=mode == "placed", cache_dir=str(folder / "cache"))
                shown_a = result.videos[0].source_frame + first[0]
                shown_b = result.videos[1].source_frame + second[0]
                both = np.isfinite(shown_a) & np.isfinite(shown_b)
                error = np.abs(shown_a[both] - shown_b[both])
                rows.append({"clip": clip, "features": kind, "A": list(first), "B": list(second), "mode": mode,
                             "median": float(np.median(error)), "p95": float(np.percentile(error, 95)),
                             "max": float(error.max()), "length": result.length,
                             "staggered": "partial" in result.extra})
            print(f"  {clip} A {first} B {second}: done", flush=True)
    return rows


def false_staggered(root: Path) -> tuple[int, int]:
    """Pairs of complete RepCount cuts of different performers (seeds 0-1, retimed and clean) found staggered."""
    pairs = found = 0
    for seed, retime in itertools.product((0, 1), (True, False)):
        for cuts in repcount_sets(root, seed=seed, retime=retime).values():
            for a, b in itertools.combinations(cuts, 2):
                clip, host = (a, b) if len(b.values) >= len(a.values) else (b, a)
                times = np.arange(len(clip.values)) / 30, np.arange(len(host.values)) / 30
                pairs += 1
                found += find_overlap(clip.values, host.values, *times, clip.valid, host.valid) is not None
    return found, pairs


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
        staggered = find_overlap(other.values, bikes.values, other.times_s, bikes.times_s, centred=True)
        rows.append({"clip": name, "closeness": round(found.closeness, 3), "coverage": round(found.coverage, 3),
                     "placed": bool(found.closeness <= CLOSER and found.coverage <= COVERS),
                     "staggered": staggered is not None})
    return rows


def _write(path: Path, frames: np.ndarray, size: tuple[int, int] = SIZE) -> Path:
    with VideoWriter(path, fps=25, size=size, crf=0, overwrite=True) as writer:
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
    lines += ["", f"Unrelated clips inside bikes.mp4 (appearance; placed at closeness <= {CLOSER}), and whether they "
                  "are found staggered against it:", "",
              "| clip | closeness | placed | staggered |", "|---|---|---|---|"]
    lines += [f"| {r['clip']} | {r['closeness']:.2f} | {'yes' if r['placed'] else 'no'} | "
              f"{'yes' if r['staggered'] else 'no'} |" for r in unrelated]
    with tempfile.TemporaryDirectory() as tmp:
        staggered = staggered_rows(Path(tmp))
    lines += ["", "### Staggered: A and B cut from one clip, one starting later (source frames where both show one)",
              "", "| clip | features | A | B | mapping | median | p95 | max | timeline steps | found staggered |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in staggered:
        mode = "placed (default)" if r["mode"] == "placed" else "end to end (--whole)"
        lines.append(f"| {r['clip']} | {r['features']} | {r['A'][0]}-{r['A'][1] - 1} | {r['B'][0]}-{r['B'][1] - 1} | "
                     f"{mode} | {r['median']:.2f} | {r['p95']:.2f} | {r['max']:.1f} | {r['length']} | "
                     f"{'yes' if r['staggered'] else 'no'} |")
    wrong, compared = false_staggered(args.data / "repcount")
    lines += ["", f"Complete RepCount cuts of different performers found staggered (false): {wrong} of {compared} "
                  "pairs (seeds 0-1, retimed and clean)."]
    write_report("partial", lines, {"excerpts": excerpts, "repetitions": {str(k): v for k, v in reps.items()},
                                    "false_placements": {"placed": placed, "pairs": pairs}, "unrelated": unrelated,
                                    "staggered": staggered, "false_staggered": {"found": wrong, "pairs": compared}})


if __name__ == "__main__":
    main()

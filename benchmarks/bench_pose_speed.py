"""How long a sync with pose features takes against decoding the same clips, and what sampling the pose model costs.

Run: python benchmarks/bench_pose_speed.py [--rates 0 15 10 7.5] [--data ../shared/data]

On five retimed copies (the demo's retimings, known truth) of bikes.mp4 (the demo's clip: a cyclist, found by the
pose model in only part of the frames) and of carphone.mp4 (a man in every frame), at their native sizes, and of
carphone.mp4 upscaled to 1280x720 (the frame size of the issue's table: the model's cost per frame does not grow
with the frame, decoding's does), in one run, one job at a time:

- **decode**: every frame of every clip to RGB with PyAV (the floor);
- **appearance**: ``mvsync.sync(features="appearance")`` with a fresh cache;
- **pose, one process**: the model on every frame, clip after clip in this process (how it ran before);
- **pose, model at R Hz**: ``mvsync.sync(features="pose", feature_options={"model_rate": R})`` with a fresh cache,
  clips in parallel processes (the default); beside its error, the error with ``copies=False`` (the retimed copies
  mapped on their poses rather than their pictures: what sampling the model costs a clip that is no copy)
  (``min_detected=0``: the cyclist is found in only part of the frames, under pose's 20% floor in one copy)
  (R = 0: every frame, the model before this benchmark), with the sync error against the known truth (median / p95
  source frames, the default method);
- **auto**: ``mvsync.sync()`` with a fresh cache (it looks at 16 frames of each clip, then decides, running a full
  pose pass only when the sample does not settle it), and as before (a full pose pass, then the choice);
- **cached**: the default pose sync again, features from the cache.

Every time is also a ratio to decoding. Then the multi-performer check: RepCount's human-annotated cuts
(``DATA/repcount``, seed 0, retimed and clean) synced by the default method on landmarks kept only at R Hz (the
clips' 30 fps subsampled, linearly interpolated between, as the extractor does), spread x no warping: the sampling
must not cost accuracy across performers either.
Target (issue 26): pose sync at most 5x decoding, demo error unchanged (median 0, p95 <= 1), RepCount unchanged.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REPCOUNT_FPS = 30.0  # RepCount's videos (the landmarks are per frame)


def timed(step):
    start = time.perf_counter()
    out = step()
    return out, time.perf_counter() - start


def decode_all(paths: list[Path]) -> int:
    from mvsync.io import read_frames

    return sum(1 for path in paths for _ in read_frames(path))


def repcount_at_rate(root: Path, rate: float | None, retime: bool) -> float:
    """Macro spread x no warping of the default method on RepCount cuts whose landmarks are kept at ``rate`` Hz."""
    import mvsync.evaluate.performer_sets as sets
    from mvsync.align import create_aligner
    from mvsync.datasets.repcount import landmark_features
    from mvsync.evaluate.performers import event_spread, linear_maps
    from mvsync.sync import default_method

    stride = 1 if not rate else max(1, int(round(REPCOUNT_FPS / rate)))

    def sampled(landmarks, found):
        keep = np.zeros(len(landmarks), bool)
        keep[::stride] = True
        kept = found & keep
        idx = np.flatnonzero(kept)
        if len(idx) >= 2 and stride > 1:
            flat = landmarks.reshape(len(landmarks), -1)
            at = np.arange(len(landmarks))
            landmarks = np.stack([np.interp(at, idx, flat[idx, c]) for c in range(flat.shape[1])], 1).reshape(
                landmarks.shape)
            found = found & (at >= idx[0]) & (at <= idx[-1])
        return landmark_features(landmarks, found)

    original = sets.landmark_features
    sets.landmark_features = sampled
    try:
        groups = sets.repcount_sets(root, seed=0, retime=retime)
    finally:
        sets.landmark_features = original
    method = default_method(None)
    ratios = []
    for cuts in groups.values():
        events = np.array([c.events for c in cuts])
        base = event_spread(linear_maps([len(c.values) for c in cuts]), events).mean()
        maps = create_aligner(method).fit([c.values for c in cuts], [c.valid for c in cuts]).frame_maps_
        ratios.append((event_spread(maps, events).mean(), base))
    spread, base = np.mean(ratios, axis=0)
    return float(spread / base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 15, 10, 7.5],
                        help="pose model rates to measure (0: every frame)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data folder")
    args = parser.parse_args()

    from mvsync import sync
    from mvsync.demo import demo_clip_path
    from mvsync.evaluate import DEMO_RETIMINGS, content_error, write_retimed
    from mvsync.features.pose import PoseExtractor

    default_rate = PoseExtractor.Config().model_rate
    rates = [float(r) for r in args.rates]
    data: dict = {"default_model_rate": default_rate, "sets": {}, "repcount": {}}
    lines = ["# Pose speed: sync wall time against decoding the same clips, one run, one job at a time"]
    sets = {"bikes.mp4 (the demo's clip), 5 copies, 640x272": ("bikes.mp4", None),
            "carphone.mp4 (one person in every frame), 5 copies, 176x144": ("carphone_pristine.mp4", None),
            "carphone.mp4 upscaled to 1280x720 (the frame size of the issue's table), 5 copies":
                ("carphone_pristine.mp4", (1280, 720))}
    for title, (clip, size) in sets.items():
        rows: list[tuple] = []  # (step, seconds, error[, error with copies=False])
        with tempfile.TemporaryDirectory() as tmp:
            clips = write_retimed(demo_clip_path(clip), Path(tmp) / "clips", DEMO_RETIMINGS, size=size)
            paths, contents = [p for p, _ in clips], [c for _, c in clips]
            frames, decode_s = timed(lambda: decode_all(paths))
            rows.append((f"decode {frames} frames (PyAV, RGB)", decode_s, ""))

            def error(result) -> str:
                errors = content_error(result, contents)
                return f"{np.median(errors):.2f} / {np.percentile(errors, 95):.2f}"

            def fresh(name: str, **options):
                result, seconds = timed(lambda: sync(paths, cache_dir=str(Path(tmp) / name), **options))
                return result, seconds, error(result)

            def alone(name: str, **options) -> str:
                """The error with every clip mapped on its features (copies=False), from the features cached."""
                return error(sync(paths, cache_dir=str(Path(tmp) / name), copies=False, **options))

            rows.append(("sync, appearance", *fresh("appearance", features="appearance")[1:]))
            pose = {"min_detected": 0.0}  # bikes: the cyclist is found in only part of the frames
            PoseExtractor.pool_min_clips, pool = 1000, PoseExtractor.pool_min_clips  # the model in this process
            rows.append(("sync, pose, every frame, one process (before)",
                         *fresh("pose-one", features="pose", feature_options=pose)[1:]))
            PoseExtractor.pool_min_clips = pool  # the default: clips in parallel processes
            for rate in rates:
                name = "every frame" if not rate else f"{rate:g} Hz"
                options = {"features": "pose", "feature_options": {**pose, "model_rate": rate or None}}
                _, seconds, err = fresh(f"pose-{rate or None}", **options)
                rows.append((f"sync, pose, model on {name}" + (" (default)" if (rate or None) == default_rate else ""),
                             seconds, err, alone(f"pose-{rate or None}", **options)))
            if (default_rate or 0.0) not in rates:
                fresh(f"pose-{default_rate}", features="pose", feature_options=pose)  # fills the cache
            rows.append(("sync, pose, features cached",
                         *fresh(f"pose-{default_rate}", features="pose", feature_options=pose)[1:]))
            from mvsync.features import auto

            settle, auto._settled_by_sample = auto._settled_by_sample, lambda paths, nobody: None
            result, seconds, err = fresh("auto-full-pass")
            rows.append((f"sync, auto from a full pose pass (before; chose {result.features})", seconds, err))
            auto._settled_by_sample = settle
            result, seconds, err = fresh("auto")
            rows.append((f"sync, auto, 16 frames per clip looked at first (chose {result.features})", seconds, err))
        lines += ["", f"## {title}", "", "| step | wall (s) | x decoding | sync error vs known truth, median / p95 "
                  "source frames | the same, every clip mapped on its features (copies=False) |", "|---|---|---|---|---|"]
        data["sets"][title] = {}
        for name, seconds, err, *alone_err in rows:
            lines.append(f"| {name} | {seconds:.1f} | {seconds / decode_s:.1f}x | {err} | {''.join(alone_err)} |")
            data["sets"][title][name] = {"seconds": seconds, "x_decode": seconds / decode_s, "error": err,
                                         "error_copies_off": alone_err[0] if alone_err else None}

    lines += ["", "## Across performers: RepCount, default method, landmarks kept at R Hz (x no warping, seed 0)", "",
              "| model rate | retimed | clean cut |", "|---|---|---|"]
    for rate in rates:
        retimed = repcount_at_rate(args.data / "repcount", rate or None, True)
        clean = repcount_at_rate(args.data / "repcount", rate or None, False)
        data["repcount"][str(rate)] = {"retimed": retimed, "clean": clean}
        lines.append(f"| {'every frame (30 Hz)' if not rate else f'{rate:g} Hz'} | {retimed:.2f}x | {clean:.2f}x |")
    write_report("pose_speed", lines, data)


if __name__ == "__main__":
    main()

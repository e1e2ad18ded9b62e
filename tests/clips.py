"""Helpers that build real-world test clips: a clip with sound, a damaged audio packet, a moving pattern with no
person, and the cells of a rendered grid."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from mvsync.render.grid import grid_shape
from mvsync.render.timeline_frames import BAR_HEIGHT, EMPTY_GRAY, LABEL_HEIGHT


def write_av_clip(path: Path, frames: np.ndarray, *, fps: float = 25, audio: tuple[np.ndarray, int] | None = None,
                  fmt: str | None = None) -> Path:
    """Encode (L, H, W, 3) uint8 frames (H.264, or MPEG-4 in avi) and optionally ``(samples (N,) float, rate)``
    as a mono audio track (AAC, or MP2 in avi)."""
    avi = str(path).endswith(".avi")
    with av.open(str(path), mode="w", format=fmt) as container:
        video = container.add_stream("mpeg4" if avi else "libx264", rate=Fraction(fps).limit_denominator(1001))
        video.width, video.height, video.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        sound = container.add_stream("mp2" if avi else "aac", rate=audio[1], layout="mono") if audio else None
        for k, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = k
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            _encode_audio(container, sound, *audio, avi)
    return path


def _encode_audio(container, stream, samples: np.ndarray, rate: int, avi: bool) -> None:
    block = 1152
    for start in range(0, len(samples), block):
        chunk = np.asarray(samples[start : start + block], np.float32)[None]  # (1, n)
        if avi:
            chunk = (chunk * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(chunk, format="s16p" if avi else "fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def audio_packets(path: Path) -> list[tuple[int, int]]:
    """``(file offset, size)`` of every audio packet."""
    with av.open(str(path)) as container:
        return [(p.pos, p.size) for p in container.demux(container.streams.audio[0]) if p.size and p.pos is not None]


def corrupt_audio_packets(source: Path, target: Path, which: list[int] | str = (0,)) -> Path:
    """A copy of ``source`` whose audio packets ``which`` (indices, or "all") hold random bytes."""
    data = bytearray(Path(source).read_bytes())
    packets = audio_packets(source)
    rng = np.random.default_rng(0)
    for pos, size in packets if which == "all" else [packets[k] for k in which]:
        data[pos : pos + size] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    target.write_bytes(bytes(data))
    return target


def moving_pattern(n: int, size: tuple[int, int] = (96, 64), seed: int = 0) -> np.ndarray:
    """A smooth random texture panning sideways: motion and no person. (n, H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (size[1] // 8, size[0] // 4, 3)).astype(np.uint8)
    texture = np.kron(coarse, np.ones((8, 8, 1), np.uint8))[: size[1]]  # (H, 2W, 3) blocks
    return np.stack([np.roll(texture, -2 * k, axis=1)[:, : size[0]] for k in range(n)])


def grid_cells(image: np.ndarray, n_videos: int) -> list[np.ndarray]:
    """The picture area (label strip left out) of each clip's cell in a frame of ``render_grid``'s video."""
    rows, cols = grid_shape(n_videos)
    cell_h = (image.shape[0] - BAR_HEIGHT) // rows - LABEL_HEIGHT
    cell_w = image.shape[1] // cols
    cells = []
    for k in range(n_videos):
        y, x = (k // cols) * (cell_h + LABEL_HEIGHT) + LABEL_HEIGHT, (k % cols) * cell_w
        cells.append(image[y + 2 : y + cell_h - 2, x + 2 : x + cell_w - 2])
    return cells


def is_blank(cell: np.ndarray) -> bool:
    """The renderer's "(no content)" cell: flat gray."""
    return abs(float(cell.mean()) - EMPTY_GRAY) < 4 and float(cell.std()) < 4

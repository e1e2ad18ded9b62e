"""Browser-playable H.264 mp4 writer (yuv420p, even sizes) with an optional audio track.

Writes to a hidden temporary file beside the target and renames it on success, so a crash
or an error never leaves a half-written video under the user's file name.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..atomic import ensure_parent
from ..errors import OutputError, OutputExistsError

AUDIO_RATE = 48000


class VideoWriter:
    """Encode RGB frames into an mp4.

    Parameters
    ----------
    path
        Target file. It must not exist unless ``overwrite=True``.
    fps
        Frame rate (fractional rates such as 29.97 are kept exactly enough for playback).
    size
        ``(width, height)`` of every frame; odd sizes are padded by one pixel.
    audio
        Optional ``(samples (N, channels) float32, sample_rate)`` written as an AAC track.
    keyframe_every
        Frames between keyframes (None: x264's default, up to 250). Short intervals make seeking fast (a player
        seeks all the time) at some cost in size.

    >>> with VideoWriter("new/black.mp4", fps=25, size=(64, 48)) as writer:
    ...     writer.write(np.zeros((48, 64, 3), np.uint8))
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fps: float,
        size: tuple[int, int],
        audio: tuple[np.ndarray, int] | None = None,
        crf: int = 23,
        keyframe_every: int | None = None,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise OutputExistsError(f"{self.path}: already exists")
        if fps <= 0:
            raise ValueError(f"fps: must be positive, got {fps}")
        self.size = size
        self.audio = audio
        self.num_frames = 0
        self._tmp = ensure_parent(self.path).with_name(f".{self.path.name}.partial-{os.getpid()}.mp4")
        try:
            self._container = av.open(str(self._tmp), mode="w", format="mp4")
        except (av.FFmpegError, OSError) as err:
            raise OutputError(f"{self.path}: cannot write here ({err})") from None
        self._rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=self._rate)
        self._stream.width = size[0] + size[0] % 2
        self._stream.height = size[1] + size[1] % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast",
                                **({"g": str(keyframe_every)} if keyframe_every else {})}
        self._audio_stream = None
        if audio is not None and len(audio[0]):
            self._audio_stream = add_audio_stream(self._container, audio[0])

    def write(self, image: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 RGB frame of the writer's size."""
        if image.shape[:2] != (self.size[1], self.size[0]):
            raise ValueError(f"frame of shape {image.shape} does not match size {self.size}")
        image = _pad_even(image)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = self.num_frames
        frame.time_base = 1 / self._rate
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.num_frames += 1

    def close(self) -> Path:
        """Flush the encoders, mux the audio, and move the file into place."""
        for packet in self._stream.encode():
            self._container.mux(packet)
        if self._audio_stream is not None:
            samples, rate = self.audio
            duration_s = self.num_frames / float(self._rate)
            encode_audio(self._container, self._audio_stream, samples[: int(round(duration_s * rate))], rate)
        self._container.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial file (used when an error interrupts writing)."""
        try:
            self._container.close()
        except Exception:  # the container may already be broken; the file goes anyway
            pass
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def add_audio_stream(container: av.container.OutputContainer, samples: np.ndarray) -> av.audio.stream.AudioStream:
    """An AAC track at :data:`AUDIO_RATE` for ``samples (N, channels)`` (mono, or stereo) in ``container``."""
    return container.add_stream("aac", rate=AUDIO_RATE, layout="mono" if samples.shape[1] == 1 else "stereo")


def encode_audio(container: av.container.OutputContainer, stream, samples: np.ndarray, rate: int, *,
                 start_s: float = 0.0) -> None:
    """Encode ``samples (N, channels)`` at ``rate`` into ``stream`` (from :func:`add_audio_stream`), resampled to
    :data:`AUDIO_RATE`, the first sample at ``start_s`` seconds, and flush the encoder."""
    layout = "mono" if samples.shape[1] == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=AUDIO_RATE)
    block = 4096
    written = int(round(start_s * AUDIO_RATE))
    for start in range(0, len(samples), block):
        chunk = np.ascontiguousarray(samples[start : start + block].T, dtype=np.float32)  # (channels, n)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate = rate
        for out in resampler.resample(frame):
            written = _encode_audio_frame(container, stream, out, written)
    for out in resampler.resample(None):
        written = _encode_audio_frame(container, stream, out, written)
    for packet in stream.encode(None):
        container.mux(packet)


def _encode_audio_frame(container, stream, frame: av.AudioFrame, written: int) -> int:
    frame.pts = written
    frame.time_base = Fraction(1, AUDIO_RATE)
    for packet in stream.encode(frame):
        container.mux(packet)
    return written + frame.samples


def _pad_even(image: np.ndarray) -> np.ndarray:
    pad_h, pad_w = image.shape[0] % 2, image.shape[1] % 2
    if pad_h or pad_w:
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return image

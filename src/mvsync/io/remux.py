"""Give a video a new sound track: its video bitstream is copied packet by packet (not re-encoded) into an mp4 beside
an AAC track made from the samples given. A stream mp4 cannot hold (or a folder of images) is re-encoded as H.264.

Written like :class:`~mvsync.io.writer.VideoWriter`: to a hidden temporary file, renamed into place on success.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import av
import numpy as np

from ..atomic import ensure_parent
from ..errors import OutputError, OutputExistsError
from .images import is_image_folder
from .probe import _reason, open_container, probe
from .reader import read_frames
from .writer import VideoWriter, add_audio_stream, encode_audio

log = logging.getLogger(__name__)


def write_with_audio(video: str | Path, path: str | Path, audio: tuple[np.ndarray, int], *,
                     overwrite: bool = False) -> bool:
    """Write ``path`` (mp4): the picture of ``video`` with ``audio`` (``(samples (N, channels), rate)``, its first
    sample at the first frame) as its only sound. Returns True when the video bitstream was copied, False when it
    had to be re-encoded.

    >>> samples = 0.2 * np.sin(2 * np.pi * 440 * np.arange(4 * 48000) / 48000).astype(np.float32)[:, None]
    >>> write_with_audio("a.mp4", "out/a.mp4", (samples, 48000))  # 4 s of A 440, mono
    True
    >>> probe("out/a.mp4").has_audio, probe("out/a.mp4").num_frames
    (True, 100)
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    tmp = ensure_parent(path).with_name(f".{path.name}.partial-{os.getpid()}.mp4")
    try:
        if not is_image_folder(Path(video)):
            try:
                _copy_video(Path(video), tmp, audio)
                os.replace(tmp, path)
                return True
            except (av.FFmpegError, ValueError) as err:  # a codec mp4 cannot hold: re-encode below
                log.info("%s: video stream not copied into mp4 (%s); re-encoding it", video, _reason(err))
        _reencode_video(Path(video), tmp, audio)
        os.replace(tmp, path)
        return False
    finally:
        tmp.unlink(missing_ok=True)


def _copy_video(video: Path, tmp: Path, audio: tuple[np.ndarray, int]) -> None:
    with open_container(video) as source:
        stream = source.streams.video[0]
        try:
            out = av.open(str(tmp), mode="w", format="mp4")
        except (av.FFmpegError, OSError) as err:
            raise OutputError(f"{tmp.parent}: cannot write here ({err})") from None
        with out:
            copied = out.add_stream_from_template(stream)
            sound = add_audio_stream(out, audio[0]) if len(audio[0]) else None
            start_s = float((stream.start_time or 0) * stream.time_base) if stream.time_base else 0.0
            for packet in source.demux(stream):
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = copied
                out.mux(packet)
            if sound is not None:  # after the picture: the mp4's index locates each track's samples
                encode_audio(out, sound, *audio, start_s=start_s)


def _reencode_video(video: Path, tmp: Path, audio: tuple[np.ndarray, int]) -> None:
    info = probe(video)
    with VideoWriter(tmp, fps=info.fps, size=(info.width, info.height), audio=audio, crf=18, overwrite=True) as writer:
        for frame in read_frames(video):
            writer.write(frame.image)

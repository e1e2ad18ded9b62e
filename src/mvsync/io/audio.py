"""Audio tracks: read a video's audio as samples (for muxing and sound transfer), write samples as a WAV file.

A damaged packet costs only its own stretch of sound (issue 13): it is replaced by silence of its length, so the
rest stays in place, and a warning names the file and how much sound was lost.
"""

from __future__ import annotations

import logging
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..atomic import atomic_write
from ..errors import InputError, OutputExistsError
from .probe import _reason, open_container

log = logging.getLogger(__name__)

MAX_OFFSET_S = 60.0  # a sound track further than this from the picture's start is read from its first sample


def read_audio(path: str | Path, *, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode the first audio stream of ``path``.

    Returns ``(samples (N, channels) float32 in [-1, 1], sample_rate)``; more than two channels
    are mixed down to stereo. Packets that do not decode become silence of their length (with a warning).
    Raises :class:`InputError` when there is no audio stream or not one packet decodes.

    Sample ``k`` is heard at ``k / sample_rate`` seconds of the VIDEO's time (the clock of the frames' ``time_s``,
    which starts at the video stream's start): sound that starts after the picture is preceded by silence, and sound
    from before the first picture is dropped. Files without a video stream start at their first sample, and so do
    tracks whose timestamps are more than ``MAX_OFFSET_S`` (60 s) from the picture's (with a warning).

    >>> from mvsync.io import write_with_audio
    >>> tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(4 * 48000) / 48000).astype(np.float32)[:, None]
    >>> write_with_audio("a.mp4", "a_tone.mp4", (tone, 48000))  # a.mp4 is silent: give it 4 s of A 440
    True
    >>> samples, rate = read_audio("a_tone.mp4")
    >>> samples.dtype, samples.shape[1], rate, round(len(samples) / rate, 1)
    (dtype('float32'), 1, 48000, 4.0)
    """
    path = Path(path)
    with open_container(path) as container:
        if not container.streams.audio:
            raise InputError(f"{path}: no audio stream")
        stream = container.streams.audio[0]
        out_rate = rate or stream.rate or 48000
        layout = "mono" if stream.channels == 1 else "stereo"
        chunks, bad, first_s = _decode(container, stream, av.AudioResampler(format="fltp", layout=layout,
                                                                             rate=out_rate), path)
        video = container.streams.video[0] if container.streams.video else None
        video_start_s = (float((video.start_time or 0) * Fraction(video.time_base))
                         if video is not None and video.time_base else None)
    if bad.count and bad.count == bad.total:
        raise InputError(f"{path}: audio could not be decoded ({bad.reason})")
    if bad.count:
        log.warning("%s: %d of %d audio packets could not be decoded (%s); %.3f s of sound replaced by silence",
                    path, bad.count, bad.total, bad.reason, bad.lost_s)
    if not chunks:
        return np.zeros((0, 1 if layout == "mono" else 2), np.float32), out_rate
    samples = np.concatenate(chunks, axis=1).T.astype(np.float32)  # (N, channels)
    if video_start_s is None or first_s is None:
        return samples, out_rate
    offset_s = first_s - video_start_s  # > 0: the sound starts after the first picture
    if abs(offset_s) > MAX_OFFSET_S:  # broken timestamps, not a late microphone: do not make hours of silence
        log.warning("%s: the sound's timestamps start %.1f s from the picture's; read from its first sample", path,
                    offset_s)
        return samples, out_rate
    shift = int(round(offset_s * out_rate))
    if shift > 0:
        return np.concatenate([np.zeros((shift, samples.shape[1]), np.float32), samples]), out_rate
    return samples[-shift:], out_rate


def write_wav(path: str | Path, samples: np.ndarray, rate: int, *, overwrite: bool = False) -> Path:
    """Write ``samples (N, channels)`` in [-1, 1] as 16-bit PCM WAV, atomically (nothing under ``path`` on failure).

    >>> write_wav("out/tone.wav", np.zeros((48000, 1), np.float32), 48000)
    PosixPath('out/tone.wav')
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).round().astype("<i2")  # (N, channels), interleaved when flattened
    with atomic_write(path, "wb") as handle, wave.open(handle, "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return path


class _Damage:
    """What could not be decoded: packets, of how many, the first reason, and the seconds of sound lost."""

    def __init__(self) -> None:
        self.count, self.total, self.lost_s, self.reason = 0, 0, 0.0, ""


def _decode(container, stream, resampler: av.AudioResampler, path: Path) -> tuple[list[np.ndarray], _Damage,
                                                                                  float | None]:
    """Every packet's samples ``(channels, n)`` in order (a packet that fails to decode adds silence instead), and
    the time in seconds of the first decoded frame (None without timestamps)."""
    chunks: list[np.ndarray] = []
    bad = _Damage()
    first_s: float | None = None
    started = False
    channels = 1 if resampler.layout.name == "mono" else 2
    last_frame_s = 1024 / (stream.rate or 48000)  # AAC's frame, until a decoded frame says otherwise
    try:
        for packet in container.demux(stream):
            if packet.size:
                bad.total += 1
            try:
                frames = stream.decode(packet)
            except av.FFmpegError as err:
                bad.count += 1
                bad.reason = bad.reason or _reason(err)
                gap_s = _seconds(packet) or last_frame_s
                bad.lost_s += gap_s
                chunks.append(np.zeros((channels, int(round(gap_s * resampler.rate))), np.float32))
                continue
            for frame in frames:
                if not started:  # silence already put in for undecodable packets before it comes first
                    started, first_s = True, (float(frame.time) - bad.lost_s if frame.time is not None else None)
                last_frame_s = frame.samples / frame.sample_rate
                chunks.extend(out.to_ndarray() for out in resampler.resample(frame))
    except av.FFmpegError as err:  # the container itself breaks off (a truncated file): keep what came before
        log.warning("%s: audio stops early (%s)", path, _reason(err))
    chunks.extend(out.to_ndarray() for out in resampler.resample(None))
    return chunks, bad, first_s


def _seconds(packet: av.Packet) -> float:
    if packet.duration and packet.time_base:
        return float(packet.duration * Fraction(packet.time_base))
    return 0.0

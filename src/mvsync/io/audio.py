"""Audio tracks: read a video's audio as samples (for muxing and sound transfer)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ..errors import InputError
from .probe import _reason, open_container


def read_audio(path: str | Path, *, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode the first audio stream of ``path``.

    Returns ``(samples (N, channels) float32 in [-1, 1], sample_rate)``; more than two channels
    are mixed down to stereo. Raises :class:`InputError` when there is no audio stream.
    """
    path = Path(path)
    with open_container(path) as container:
        if not container.streams.audio:
            raise InputError(f"{path}: no audio stream")
        stream = container.streams.audio[0]
        out_rate = rate or stream.rate or 48000
        layout = "mono" if stream.channels == 1 else "stereo"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=out_rate)
        chunks = []
        try:
            for frame in container.decode(stream):
                chunks.extend(resampled.to_ndarray() for resampled in resampler.resample(frame))
        except av.FFmpegError as err:
            if not chunks:
                raise InputError(f"{path}: audio could not be decoded ({_reason(err)})") from None
        chunks.extend(resampled.to_ndarray() for resampled in resampler.resample(None))
    if not chunks:
        return np.zeros((0, 1 if layout == "mono" else 2), np.float32), out_rate
    return np.concatenate(chunks, axis=1).T.astype(np.float32), out_rate  # (N, channels)

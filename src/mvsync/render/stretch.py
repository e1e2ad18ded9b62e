"""Time stretch without a change of pitch: WSOLA (waveform-similarity overlap-add, Verhelst & Roelands 1993),
driven by a time map that may change pace at every sample (issue 13).

Resampling a clip's audio along its track (reading sample ``position[m]`` at output sample ``m``) plays it at the
right moment but shifts its pitch by the local pace: 12.5 % fast is two semitones up. WSOLA instead copies
windowed stretches of the input at the pace's natural rate and lays them at the output rate, each shifted within
a small tolerance so that it continues the previous one's waveform; pitch and timbre stay.

No library here fits: PyAV's ``atempo`` filter and librosa's phase vocoder stretch by one constant rate (and librosa
pulls numba), PyAV's FFmpeg has no rubberband, pytsmod is unmaintained since 2023. This is 50 lines of numpy.
"""

from __future__ import annotations

import numpy as np

FRAME_S = 0.0213  # analysis window: 1024 samples at 48 kHz, long enough for a 50 Hz voice period


def wsola(samples: np.ndarray, positions: np.ndarray, rate: int) -> np.ndarray:
    """Play ``samples (N, channels)`` along ``positions (M,)``, the input sample (fractional) heard at each output
    sample, at the input's pitch; NaN positions are silence. Returns ``(M, channels)`` float32.

    Where the positions advance by one sample per sample (the clip at its own pace) the input comes back unchanged.

    >>> rate = 8000
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate)[:, None]
    >>> slow = wsola(tone, np.arange(2 * rate) / 2.0, rate)  # twice as long, still 440 Hz
    >>> slow.shape
    (16000, 1)
    """
    length = max(4, int(round(FRAME_S * rate / 2)) * 2)  # (W,) even, so that the hop is half a window
    hop = tol = length // 2
    window = np.hanning(length + 1)[:-1, None]  # periodic Hann: overlapping by half, the windows sum to 1
    pad = length + tol
    source = np.pad(np.asarray(samples, np.float32), ((pad, pad), (0, 0)))  # (N + 2 pad, C) any frame stays inside
    mono = source.mean(axis=1)
    n_out = len(positions)
    out = np.zeros((n_out + 2 * length, samples.shape[1]), np.float32)
    previous = None  # input start of the frame laid last (None after silence)
    for start in range(-hop, n_out, hop):
        centre = positions[min(max(start + hop, 0), n_out - 1)]
        if not np.isfinite(centre):
            previous = None
            continue
        begin = int(np.clip(round(centre) - hop, -length, len(samples)))  # the input frame the map asks for
        if previous is not None and previous + hop != begin:
            begin = _most_similar(mono, pad + begin, mono[pad + previous + hop : pad + previous + hop + length], tol) - pad
        out[start + length : start + 2 * length] += window * source[pad + begin : pad + begin + length]
        previous = begin
    return out[length : length + n_out]


def _most_similar(mono: np.ndarray, begin: int, natural: np.ndarray, tol: int) -> int:
    """The start within ``begin +- tol`` whose frame best continues ``natural`` (highest cross-correlation)."""
    region = mono[begin - tol : begin + tol + len(natural)]
    score = np.correlate(region, natural, mode="valid")  # (2 tol + 1,)
    return begin - tol + int(np.argmax(score))

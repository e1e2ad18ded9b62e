"""Known truth for sound transfer (issue 11): a sound track whose pitch says which frame of its clip it belongs to.

Frame ``k`` of the clip sounds at ``base_hz + k * step_hz`` for exactly that frame's duration, phase-continuous (no
clicks of its own). After sound moves to another clip, the pitch heard during each of that clip's frames, read from
the spectrum's peak, says which source frame's sound plays there; a retimed copy says which source frame it shows.

>>> tone = FrameTone(base_hz=300.0, step_hz=25.0)
>>> samples = tone.samples(np.arange(3) / 25, 3 / 25, 48000)  # (5760, 1): three frames at 25 fps
>>> tone.heard_frames(samples, 48000, np.arange(3) / 25, 3 / 25).tolist()
[0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FFT_SIZE = 1 << 16  # zero-padded spectrum: 0.7 Hz bins at 48 kHz, fine against 25 Hz steps
SILENT = -1  # what :meth:`FrameTone.heard_frames` says for a frame without sound


@dataclass(frozen=True)
class FrameTone:
    """The pitch ladder: frame ``k`` at ``base_hz + k * step_hz``."""

    base_hz: float = 300.0
    step_hz: float = 25.0  # 150 frames reach 4 kHz, well inside AAC's band
    amplitude: float = 0.5

    def samples(self, times_s: np.ndarray, end_s: float, rate: int) -> np.ndarray:
        """The track ``(N, 1)`` float32 for frames shown from ``times_s`` (the last until ``end_s``)."""
        bounds = np.round(np.append(times_s, end_s) * rate).astype(int)  # (L + 1,)
        pitch = np.repeat(self.base_hz + self.step_hz * np.arange(len(times_s)), np.diff(bounds))  # (N,) Hz
        return (self.amplitude * np.sin(2 * np.pi * np.cumsum(pitch) / rate)).astype(np.float32)[:, None]

    def heard_frames(self, samples: np.ndarray, rate: int, times_s: np.ndarray, end_s: float, *,
                     margin_s: float = 0.0) -> np.ndarray:
        """For each frame shown from ``times_s`` (the last until ``end_s``), the source frame whose pitch is loudest
        in ``samples (N, channels)`` then, ``margin_s`` left out at both ends (e.g. cross-fades): ``(L,)`` int;
        :data:`SILENT` where the sound is below 1% of the tone's RMS (or ends before the frame)."""
        bounds = np.round(np.append(times_s, end_s) * rate).astype(int)
        margin = int(round(margin_s * rate))
        heard = []
        for start, stop in zip(bounds[:-1], bounds[1:]):
            segment = samples[start + margin : max(stop - margin, start + margin + 1), 0]
            if len(segment) == 0 or np.sqrt(np.mean(segment**2)) < 0.01 * self.amplitude / np.sqrt(2):
                heard.append(SILENT)
                continue
            spectrum = np.abs(np.fft.rfft(segment * np.hanning(len(segment)), FFT_SIZE))
            heard.append(int(round((np.argmax(spectrum) * rate / FFT_SIZE - self.base_hz) / self.step_hz)))
        return np.array(heard, dtype=int)

"""read_audio puts the sound on the video's clock: audio that starts after the first picture is preceded by
silence, audio from before it is dropped (grid audio and sound transfer read sample k as video time k / rate)."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from mvsync.io.audio import read_audio

RATE = 48000


def write_clip(path: Path, *, audio_start_s: float, video_start_s: float, silent_s: float,
               seconds: float = 2.0) -> Path:
    """25 fps video from ``video_start_s``, and an AAC stream from ``audio_start_s``: ``silent_s`` of silence, then a
    440 Hz tone to the end (times on the file's clock)."""
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.time_base = video.codec_context.time_base = Fraction(1, 1000)
        audio = container.add_stream("aac", rate=RATE, layout="mono")
        for k in range(int(seconds * 25)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), k * 4 % 255, np.uint8), format="rgb24")
            frame.pts, frame.time_base = int(round((video_start_s + k / 25) * 1000)), Fraction(1, 1000)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        t = np.arange(int((seconds - audio_start_s) * RATE)) / RATE
        wave = np.where(t >= silent_s, 0.2 * np.sin(2 * np.pi * 440 * t), 0.0)
        tone = av.AudioFrame.from_ndarray(wave.astype(np.float32)[None],
                                          format="fltp", layout="mono")
        tone.sample_rate, tone.pts, tone.time_base = RATE, int(round(audio_start_s * RATE)), Fraction(1, RATE)
        for packet in audio.encode(tone):
            container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
    return path


def onset_s(samples: np.ndarray, rate: int) -> float:
    return float(np.flatnonzero(np.abs(samples[:, 0]) > 0.05)[0] / rate)


@pytest.mark.parametrize("audio_start_s, video_start_s, silent_s, expected_s", [
    (0.0, 0.0, 0.2, 0.2),  # together: the tone at 0.2 s of both
    (0.5, 0.0, 0.0, 0.5),  # the sound starts half a second after the first picture (it was read as starting at 0)
    (0.0, 0.3, 0.5, 0.2),  # the first picture comes 0.3 s after the sound starts: the tone is at 0.2 s of video
])
def test_sound_is_on_the_video_clock(tmp_path, audio_start_s, video_start_s, silent_s, expected_s):
    path = write_clip(tmp_path / "clip.mp4", audio_start_s=audio_start_s, video_start_s=video_start_s,
                      silent_s=silent_s)
    samples, rate = read_audio(path)
    assert rate == RATE
    assert abs(onset_s(samples, rate) - expected_s) < 0.005  # within an eighth of a 25 fps frame


def test_an_implausible_offset_is_ignored_with_a_warning(tmp_path, caplog, monkeypatch):
    """Timestamps far from the picture's are broken, not a late microphone: no minutes of silence are made."""
    import mvsync.io.audio as audio

    path = write_clip(tmp_path / "clip.mp4", audio_start_s=0.5, video_start_s=0.0, silent_s=0.0)
    monkeypatch.setattr(audio, "MAX_OFFSET_S", 0.25)  # stands for 60 s: a 0.5 s offset is now "implausible"
    with caplog.at_level("WARNING", logger="mvsync.io.audio"):
        samples, rate = read_audio(path)
    assert onset_s(samples, rate) < 0.05 and "read from its first sample" in caplog.text and str(path) in caplog.text

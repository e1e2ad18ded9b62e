"""Issue 13, "Audio that never sinks a run": damaged packets cost only their own sound, an unreadable track leaves
the video silent (with a warning) instead of failing, ``audio_from`` picks the sound, and the sound follows the
picture's timeline at its own pitch."""

import logging

import av
import numpy as np
import pytest

from mvsync.errors import InputError
from mvsync.io import probe, read_audio
from mvsync.render import GridOptions, render_grid
from mvsync.render.audio import timeline_positions
from mvsync.render.stretch import wsola
from mvsync.result import SyncResult, VideoTrack

from ..clips import corrupt_audio_packets


def _pitch_hz(samples: np.ndarray, rate: int) -> float:
    middle = samples[len(samples) // 4 : 3 * len(samples) // 4, 0]
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
    return float(np.argmax(spectrum) * rate / len(middle))


@pytest.mark.parametrize("pace", [0.8, 1.125, 1.25])
def test_stretched_sound_keeps_its_pitch(pace):
    """A 440 Hz tone played at 0.8x-1.25x of its pace: WSOLA stays at 440 Hz (within 0.5%), where reading the samples
    along the same map (the method before issue 13) moves it to 352-550 Hz, e.g. 2 semitones at 1.125x."""
    rate = 16000
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(4 * rate) / rate))[:, None].astype(np.float32)
    positions = np.arange(int(len(tone) / pace)) * pace  # (M,) input sample heard at each output sample
    stretched = wsola(tone, positions, rate)
    resampled = np.interp(positions, np.arange(len(tone)), tone[:, 0])[:, None]
    assert len(stretched) == len(positions)
    assert _pitch_hz(stretched, rate) == pytest.approx(440, rel=0.005)
    assert _pitch_hz(resampled, rate) == pytest.approx(440 * pace, rel=0.005)  # the old way shifts pitch by the pace
    rms = np.sqrt(np.mean(stretched[rate // 2 : -rate // 2] ** 2))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.05)  # no dips from overlap-add


def test_sound_at_its_own_pace_comes_back_unchanged():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.2, (8000, 2)).astype(np.float32)
    out = wsola(noise, np.arange(8000, dtype=float), 8000)
    np.testing.assert_allclose(out, noise, atol=1e-6)
    silent = np.arange(8000, dtype=float)
    silent[:3000] = np.nan  # no content: silence
    assert np.all(wsola(noise, silent, 8000)[:2500] == 0)


@pytest.fixture(scope="module")
def bad_packet_clip(tmp_path_factory, bunny):
    """bigbuckbunny.mp4 (real AAC sound) with random bytes in its first audio packet."""
    return corrupt_audio_packets(bunny, tmp_path_factory.mktemp("audio") / "bunny_bad_packet.mp4", [0])


def test_a_bad_packet_costs_only_its_own_sound(caplog, bunny, bad_packet_clip):
    with av.open(str(bad_packet_clip)) as container, pytest.raises(av.FFmpegError):  # PyAV itself gives up on it
        for _ in container.decode(container.streams.audio[0]):
            pass
    intact, rate = read_audio(bunny)
    with caplog.at_level(logging.WARNING):
        damaged, rate2 = read_audio(bad_packet_clip)
    assert rate2 == rate and abs(len(damaged) - len(intact)) <= 1024  # one AAC frame of silence in its place
    lost = [r.getMessage() for r in caplog.records if "bunny_bad_packet.mp4" in r.getMessage()]
    assert len(lost) == 1 and "1 of" in lost[0] and "0.021 s of sound replaced by silence" in lost[0], lost
    tail = slice(len(damaged) // 2, len(damaged) // 2 + rate)  # later sound stays in place
    np.testing.assert_allclose(damaged[tail], intact[tail], atol=0.02)


def _track(path, n, fps, offset=0.0):
    frames = np.arange(n, dtype=float) + offset
    return VideoTrack(str(path), fps, n, frames / fps, frames)


def test_unreadable_sound_leaves_the_video_silent_not_failed(caplog, tmp_path, bunny, carphone):
    silent_track = corrupt_audio_packets(bunny, tmp_path / "no_sound_left.mp4", "all")
    with pytest.raises(InputError, match="no_sound_left.mp4: audio could not be decoded"):
        read_audio(silent_track)
    result = SyncResult("dtw", "appearance", 25.0, 30, [_track(silent_track, 30, 25.0), _track(carphone, 30, 29.97)],
                        extra={"reference": 0})
    with caplog.at_level(logging.WARNING):
        out = render_grid(result, tmp_path / "grid.mp4", options=GridOptions(cell_width=64))
    assert probe(out).num_frames == 30 and not probe(out).has_audio
    assert any("no_sound_left.mp4: audio could not be decoded" in r.getMessage() and "without its sound" in r.getMessage()
               for r in caplog.records)


def test_audio_from_picks_the_sound_and_auto_never_stays_silent(tmp_path, bunny, carphone):
    """The reference (carphone) has no sound: auto plays the other clip's; None plays none."""
    result = SyncResult("dtw", "appearance", 25.0, 30, [_track(bunny, 30, 25.0), _track(carphone, 30, 29.97)],
                        extra={"reference": 1})
    auto = render_grid(result, tmp_path / "auto.mp4", options=GridOptions(cell_width=64))
    assert probe(auto).has_audio
    none = render_grid(result, tmp_path / "none.mp4", options=GridOptions(cell_width=64, audio_from=None))
    assert not probe(none).has_audio
    chosen = render_grid(result, tmp_path / "zero.mp4", options=GridOptions(cell_width=64, audio_from=0))
    assert probe(chosen).has_audio


def test_positions_are_silence_outside_the_clip():
    positions = timeline_positions(np.array([np.nan, np.nan, 0.0, 0.1, 0.2]), 10.0, 100)
    assert np.all(np.isnan(positions[:20])) and positions[20] == pytest.approx(0.0) and positions[-1] < 30

"""A new sound track under a copied video bitstream (``write_with_audio``), frame times, and WAV files."""

import wave

import av
import numpy as np
import pytest

from mvsync.errors import OutputExistsError
from mvsync.io import frame_times, probe, read_audio, read_all_frames, write_wav, write_with_audio

from ..clips import write_av_clip
from ..conftest import gradient_frames

RATE = 48000


def _tone(seconds: float, hz: float = 440.0, rate: int = RATE) -> np.ndarray:
    return (0.4 * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)).astype(np.float32)[:, None]


def _video_packets(path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


def test_h264_is_copied_byte_for_byte_with_the_new_sound(tmp_path, bikes):
    out = tmp_path / "bikes.mp4"
    assert write_with_audio(bikes, out, (_tone(10.0), RATE)) is True
    assert _video_packets(out) == _video_packets(bikes)
    info = probe(out)
    assert info.has_audio and info.num_frames == 250
    samples, rate = read_audio(out)
    spectrum = np.abs(np.fft.rfft(samples[RATE : 2 * RATE, 0]))
    assert rate == RATE and np.argmax(spectrum) == pytest.approx(440, abs=1)  # 1 Hz bins over 1 s
    assert not list(tmp_path.glob(".*partial*"))


def test_a_stream_mp4_cannot_hold_is_re_encoded(tmp_path):
    source = tmp_path / "clip.webm"
    with av.open(str(source), mode="w") as container:  # VP8: the mp4 muxer refuses it
        stream = container.add_stream("vp8", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for k, image in enumerate(gradient_frames(20)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    out = tmp_path / "clip.mp4"
    assert write_with_audio(source, out, (_tone(0.8), RATE)) is False
    info = probe(out)
    assert (info.codec, info.num_frames, info.has_audio) == ("h264", 20, True)
    difference = np.abs(read_all_frames(out)[0].astype(int) - read_all_frames(source)[0].astype(int)).mean()
    assert difference < 8  # the same pictures up to a second lossy encoding of pixel noise (measured 4.5 of 255)


def test_an_existing_file_is_kept_without_overwrite(tmp_path, bikes):
    out = tmp_path / "bikes.mp4"
    out.write_text("mine")
    with pytest.raises(OutputExistsError, match="bikes.mp4: already exists"):
        write_with_audio(bikes, out, (_tone(1.0), RATE))
    assert out.read_text() == "mine"


def test_frame_times_are_the_decoded_presentation_times(tmp_path):
    path = write_av_clip(tmp_path / "c.mp4", gradient_frames(12), fps=30)
    times = frame_times(path)
    assert times == pytest.approx(np.arange(12) / 30, abs=1e-3)
    assert np.array_equal(times, read_all_frames(path)[1])


def test_write_wav_round_trips_16_bit_pcm(tmp_path):
    stereo = np.concatenate([_tone(0.1), -_tone(0.1)], axis=1)  # (N, 2)
    path = write_wav(tmp_path / "s.wav", stereo, RATE)
    with wave.open(str(path)) as handle:
        assert (handle.getnchannels(), handle.getframerate(), handle.getnframes()) == (2, RATE, len(stereo))
    back, rate = read_audio(path)
    assert rate == RATE and np.abs(back - stereo).max() < 1e-4
    with pytest.raises(OutputExistsError):
        write_wav(path, stereo, RATE)

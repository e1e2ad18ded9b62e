import numpy as np
import pytest

from mvsync.errors import OutputError
from mvsync.io import VideoWriter, probe, read_audio, read_frames


def _frames(n, w=65, h=33):
    return [np.full((h, w, 3), k * 7 % 255, np.uint8) for k in range(n)]


def test_writes_h264_with_even_size(tmp_path):
    path = tmp_path / "out.mp4"
    with VideoWriter(path, fps=29.97, size=(65, 33)) as writer:
        for image in _frames(30):
            writer.write(image)
    info = probe(path)
    assert (info.codec, info.num_frames, info.width, info.height) == ("h264", 30, 66, 34)
    assert info.fps == pytest.approx(29.97, abs=1e-3)
    assert not list(tmp_path.glob(".*partial*"))


def test_muxes_audio(tmp_path, bunny):
    samples, rate = read_audio(bunny)
    path = tmp_path / "with_audio.mp4"
    with VideoWriter(path, fps=25, size=(64, 32), audio=(samples, rate)) as writer:
        for image in _frames(50, 64, 32):
            writer.write(image)
    assert probe(path).has_audio
    out, out_rate = read_audio(path)
    assert out_rate == 48000
    assert abs(len(out) / out_rate - 2.0) < 0.1  # cut to the video's 2 s
    assert np.abs(out).max() > 0.01


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "mine.mp4"
    path.write_bytes(b"precious")
    with pytest.raises(OutputError, match="mine.mp4: already exists"):
        VideoWriter(path, fps=25, size=(64, 32))
    assert path.read_bytes() == b"precious"


def test_error_leaves_no_partial_file(tmp_path):
    path = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError):
        with VideoWriter(path, fps=25, size=(64, 32)) as writer:
            writer.write(_frames(1, 64, 32)[0])
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_roundtrip_pixels(tmp_path):
    path = tmp_path / "gray.mp4"
    with VideoWriter(path, fps=10, size=(64, 32), crf=10) as writer:
        for image in _frames(5, 64, 32):
            writer.write(image)
    decoded = [f.image for f in read_frames(path)]
    assert len(decoded) == 5
    assert abs(int(decoded[3].mean()) - 21) <= 3

import pytest

from mvsync.errors import InputError
from mvsync.io import probe

from ..conftest import gradient_frames, write_audio_only, write_clip, write_empty_video


def test_probe_real_clip(bikes):
    info = probe(bikes)
    assert (info.width, info.height, info.num_frames) == (640, 272, 250)
    assert info.fps == pytest.approx(25.0)
    assert info.duration_s == pytest.approx(10.0, abs=0.05)
    assert not info.has_audio


def test_probe_sees_audio(bunny):
    assert probe(bunny).has_audio


@pytest.mark.parametrize("container", ["mkv", "webm", "avi", "mov"])
def test_probe_other_containers(tmp_path, container):
    codec = "libvpx-vp9" if container == "webm" else "mpeg4" if container == "avi" else "libx264"
    path = write_clip(tmp_path / f"clip.{container}", gradient_frames(12), fps=12, codec=codec)
    info = probe(path)
    assert info.num_frames == 12
    assert info.fps == pytest.approx(12.0)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.mp4: no such file"):
        probe(tmp_path / "nope.mp4")


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(InputError, match=r"empty.mp4: empty file \(0 bytes\)"):
        probe(path)


def test_text_file_named_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("these are not the frames you are looking for\n" * 20)
    with pytest.raises(InputError, match="notes.mp4: not a readable video"):
        probe(path)


def test_audio_only(tmp_path):
    path = write_audio_only(tmp_path / "voice.mp4")
    with pytest.raises(InputError, match="voice.mp4: no video stream"):
        probe(path)


def test_zero_frame_video(tmp_path):
    path = write_empty_video(tmp_path / "blank.mp4")
    with pytest.raises(InputError, match="blank.mp4: "):
        probe(path)


def test_truncated_mp4_is_refused(tmp_path, bikes):
    # Our writer (like most) puts the index at the end: a cut-off mp4 has none and cannot be read.
    data = bikes.read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut.mp4: "):
        probe(path)

"""Which clips a browser plays as they are (the player copies those and transcodes the rest; issue 10, section 2)."""

import pytest
from PIL import Image

from mvsync.io import is_browser_playable

from ..conftest import gradient_frames, write_clip


@pytest.mark.parametrize("name, codec, playable", [
    ("a.mp4", "libx264", True),
    ("a.mov", "libx264", True),
    ("a.webm", "libvpx-vp9", True),
    ("a.mov", "mpeg4", False),  # a QuickTime file with MPEG-4 Part 2 video
    ("a.avi", "mpeg4", False),
    ("a.mkv", "libx264", False),  # not every browser plays Matroska
])
def test_container_and_codec_decide(tmp_path, name, codec, playable):
    path = write_clip(tmp_path / name, gradient_frames(6, size=(32, 24)), codec=codec)
    assert is_browser_playable(path) is playable


def test_an_image_folder_is_not_playable(tmp_path):
    for k, image in enumerate(gradient_frames(3, size=(32, 24))):
        Image.fromarray(image).save(tmp_path / f"{k:03d}.png")
    assert not is_browser_playable(tmp_path)

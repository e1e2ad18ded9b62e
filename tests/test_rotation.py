"""Phone clips: the picture is stored sideways and the container's display matrix turns it upright. Every reader of
frames (info, features, sync, grid) must see the clip as displayed."""

from fractions import Fraction

import av
import numpy as np
import pytest

from mvsync import sync
from mvsync.cli import main
from mvsync.evaluate import content_error
from mvsync.io import probe, read_all_frames
from mvsync.render import render_grid
from mvsync.render.timeline_frames import BAR_HEIGHT, LABEL_HEIGHT


def store_sideways(source, path, degrees: int):
    """Re-encode ``source`` (lossless) with its picture turned ``-degrees`` and a display matrix that turns it back
    by ``degrees`` counter-clockwise: displayed, it is ``source``; decoded without the matrix, it lies on its side."""
    frames, _ = read_all_frames(source)
    info = probe(source)
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(info.fps).limit_denominator(1001))
        stored = np.rot90(frames, -degrees // 90, axes=(1, 2))
        stream.width, stream.height = stored.shape[2], stored.shape[1]
        stream.pix_fmt, stream.options = "yuv444p", {"qp": "0"}
        stream.set_display_rotation(degrees)
        for image in stored:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")))
        container.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def phone_set(tmp_path_factory, retimed):
    """Three retimed copies and the first one again, stored sideways with a 90 degree display rotation (a portrait
    phone clip)."""
    paths, contents = retimed
    phone = store_sideways(paths[0], tmp_path_factory.mktemp("phone") / "phone.mp4", 90)
    return [*paths[:3], phone], [*contents[:3], contents[0]]


def test_probe_and_info_report_the_displayed_size(phone_set, capsys):
    upright, phone = probe(phone_set[0][0]), probe(phone_set[0][3])
    assert phone.rotation == 90 and upright.rotation == 0
    assert (phone.width, phone.height) == (upright.width, upright.height)  # 160x68 as shown, 68x160 as stored
    assert main(["info", str(phone_set[0][3]), "--fast"]) == 0
    assert "160x68 (turned 90 degrees for display)" in capsys.readouterr().out


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_frames_are_read_upright(tmp_path, retimed, degrees):
    source = retimed[0][1]
    shown, _ = read_all_frames(source)
    turned, _ = read_all_frames(store_sideways(source, tmp_path / f"r{degrees}.mp4", degrees))
    assert turned.shape == shown.shape
    assert np.abs(turned.astype(int) - shown).mean() < 2  # yuv444 lossless: only the rgb conversion rounds
    small, _ = read_all_frames(tmp_path / f"r{degrees}.mp4", size=(80, 34))  # the displayed size, scaled
    assert small.shape[1:3] == (34, 80)


def test_a_phone_clip_syncs_like_the_others_and_is_not_flagged(phone_set, tmp_path):
    paths, contents = phone_set
    result = sync(paths, features="appearance")
    errors = content_error(result, contents)
    assert np.median(errors) <= 1.0 and np.percentile(errors, 95) <= 2.0
    assert result.extra["outliers"] == []
    grid, _ = read_all_frames(render_grid(result, tmp_path / "grid.mp4", clips=range(0, 4, 3)))  # copy 0 and phone
    left, right = np.split(grid[:, LABEL_HEIGHT:-BAR_HEIGHT - 4], 2, axis=2)  # two cells side by side, no labels
    assert np.abs(left.astype(int) - right).mean() < 3  # the phone clip shows upright, like the clip it copies

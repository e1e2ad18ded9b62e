import logging
import tracemalloc

import numpy as np
import pytest

from mvsync.errors import InputError
from mvsync.io import probe, read_frames

from ..conftest import gradient_frames, write_clip


def test_streams_all_frames_with_times(carphone):
    frames = list(read_frames(carphone, size=(88, 72)))
    assert len(frames) == 120
    assert frames[0].image.shape == (72, 88, 3) and frames[0].image.dtype == np.uint8
    times = np.array([f.time_s for f in frames])
    assert times[0] == pytest.approx(0.0)
    np.testing.assert_allclose(np.diff(times), 1001 / 30000, atol=1e-4)


def test_every(carphone):
    frames = list(read_frames(carphone, size=(44, 36), every=10))
    assert [f.index for f in frames] == list(range(0, 120, 10))


def test_variable_frame_rate_times(tmp_path):
    pts_ms = [0, 40, 80, 200, 240, 500, 520, 540]
    path = write_clip(tmp_path / "vfr.mkv", gradient_frames(len(pts_ms)), pts=pts_ms, fmt="matroska")
    times = [f.time_s for f in read_frames(path)]
    np.testing.assert_allclose(times, np.array(pts_ms) / 1000, atol=1e-3)


def test_memory_stays_bounded(bikes):
    # 250 full-size frames would be 250 * 522 KB = 130 MB if held; streaming keeps a few.
    tracemalloc.start()
    for _ in read_frames(bikes):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 640 * 272 * 3


def test_truncated_mkv_yields_what_decodes(tmp_path, caplog):
    full = write_clip(tmp_path / "full.mkv", gradient_frames(60, size=(128, 96)), fmt="matroska")
    data = full.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with caplog.at_level(logging.WARNING):
        count = sum(1 for _ in read_frames(cut))
    assert 5 < count < 60


def test_unreadable_raises_input_error(tmp_path):
    path = tmp_path / "x.mp4"
    path.write_bytes(b"\x00" * 1000)
    with pytest.raises(InputError, match="x.mp4"):
        list(read_frames(path))
    assert probe  # the same checks run in probe (see test_probe)


def test_kept_frames_own_their_pixels(bikes):
    """Frames kept in a list stay as decoded: PyAV's arrays are views on pooled buffers that FFmpeg reuses."""
    kept = [frame.image for frame in read_frames(bikes, size=(64, 32))]
    assert all(image.flags.owndata for image in kept)
    again = [frame.image.copy() for frame in read_frames(bikes, size=(64, 32))]
    assert all(np.array_equal(a, b) for a, b in zip(kept, again))


def test_fps_samples_by_presentation_time(tmp_path, carphone):
    pts_ms = [0, 40, 80, 200, 240, 500, 520, 540]  # variable rate: 10 fps keeps the first frame of each 0.1 s
    path = write_clip(tmp_path / "vfr.mkv", gradient_frames(len(pts_ms)), pts=pts_ms, fmt="matroska")
    assert [f.index for f in read_frames(path, fps=10)] == [0, 3, 5]
    frames = list(read_frames(carphone, size=(44, 36), fps=10))  # 120 frames at 29.97 fps: about every third
    times = np.array([f.time_s for f in frames])
    assert len(frames) == 40 and np.all(np.diff(times) > 0.09) and np.all(np.diff(times) < 0.11)
    with pytest.raises(ValueError, match="fps: must be > 0"):
        next(read_frames(carphone, fps=0))


def test_only_converts_the_frames_asked_for(carphone):
    """``only``: the frames at those indices, as a full read gives them (the others decoded, never converted)."""
    everything = {f.index: f for f in read_frames(carphone, size=(88, 72))}
    chosen = [0, 7, 64, 119]
    picked = list(read_frames(carphone, size=(88, 72), only=set(chosen)))
    assert [f.index for f in picked] == chosen
    for frame in picked:
        assert frame.time_s == everything[frame.index].time_s
        assert np.array_equal(frame.image, everything[frame.index].image)
    sampled = [f.index for f in read_frames(carphone, size=(88, 72), fps=10)]  # every third frame of 30 fps
    assert [f.index for f in read_frames(carphone, size=(88, 72), fps=10, only={1, 2, 3, 6, 7})] == [
        i for i in sampled if i in {1, 2, 3, 6, 7}]  # picked from what fps samples, as without only

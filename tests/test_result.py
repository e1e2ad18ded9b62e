import json

import numpy as np
import pytest

from mvsync.errors import InputError, OutputError
from mvsync.result import SyncResult, VideoTrack


def _result():
    frames_a = np.arange(10, dtype=float)
    frames_b = np.array([np.nan, np.nan, 0, 1, 2, 4, 6, 8, 10, 12], float)
    return SyncResult(
        method="dtw", features="pose", fps=10.0, length=10,
        videos=[VideoTrack("a.mp4", 10.0, 10, frames_a / 10, frames_a),
                VideoTrack("b.mp4", 20.0, 13, frames_b / 20, frames_b)],
        extra={"reference": 0},
    )


def test_roundtrip(tmp_path):
    result = _result()
    path = result.save(tmp_path / "sync.json")
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["timeline"] == {"fps": 10.0, "length": 10}
    assert data["videos"][1]["source_frame"][:3] == [None, None, 0.0]
    back = SyncResult.load(path)
    assert back.to_dict() == result.to_dict()
    np.testing.assert_array_equal(back.videos[1].source_frame, result.videos[1].source_frame)


def test_map_time_and_frame_map():
    result = _result()
    assert result.map_time(0.5, 0, 1) == pytest.approx(4 / 20)  # a at 0.5 s = step 5 = b frame 4
    assert result.map_time(0.3, 1, 0) == pytest.approx(0.6)  # b frame 6 is at step 6
    assert np.isnan(result.map_time(0.1, 0, 1))  # b has no content at step 1
    frame_map = result.frame_map(0, 1)
    np.testing.assert_allclose(frame_map[2:], [0, 1, 2, 4, 6, 8, 10, 12])
    assert np.isnan(frame_map[:2]).all()


def test_no_overwrite_and_bad_files(tmp_path):
    path = _result().save(tmp_path / "sync.json")
    with pytest.raises(OutputError, match="already exists"):
        _result().save(path)
    _result().save(path, overwrite=True)
    path.write_text("{not json")
    with pytest.raises(InputError, match="sync.json: not valid JSON"):
        SyncResult.load(path)
    path.write_text(json.dumps({"version": 7}))
    with pytest.raises(InputError, match="unsupported sync.json version 7"):
        SyncResult.load(path)
    path.write_text(json.dumps({"version": 1, "method": "dtw"}))
    with pytest.raises(InputError, match="malformed sync.json"):
        SyncResult.load(path)


def test_clip_moments_before_the_first_mapped_frame_map_to_the_first_step():
    # clip b starts slowly: DTW maps timeline step 0 to its frame 2.5 (the mean of frames 0-5)
    frames_b = np.array([2.5, 6, 7, 8, 9], float)
    result = SyncResult("dtw", "pose", 10.0, 5, [VideoTrack("a.mp4", 10.0, 5, np.arange(5) / 10, np.arange(5.0)),
                                                 VideoTrack("b.mp4", 10.0, 10, frames_b / 10, frames_b)])
    assert result.map_time(0.0, 1, 0) == pytest.approx(0.0)  # b's first frame: the timeline's start
    np.testing.assert_allclose(result.frame_map(1, 0)[:3], [0, 0, 0])
    assert result.frame_map(1, 0)[-1] == pytest.approx(4)  # b's last frame: the timeline's end
    assert np.isnan(result.map_time(-1.0, 1, 0)) and np.isnan(result.map_time(5.0, 1, 0))


def test_library_writers_create_the_folders_they_write_into(tmp_path, retimed):
    """The README's example: ``result.save("out/sync.json")`` and a grid into a folder that does not exist yet."""
    from mvsync import sync
    from mvsync.render import render_grid

    result = sync(retimed[0][:2], features="appearance")
    assert result.save(tmp_path / "new" / "deeper" / "sync.json").exists()
    assert render_grid(result, tmp_path / "other" / "synced.mp4").stat().st_size > 0

"""gen_mvs: a folder of videos, each with a JSON annotation (action, start, key events, end)."""

import json
import math

import numpy as np
import pytest

from mvsync.datasets import GenMVS, create_dataset, event_matrix
from mvsync.errors import InputError

from ..conftest import gradient_frames, write_clip


def _write(folder, name, annotation, ext=".mp4"):
    folder.mkdir(parents=True, exist_ok=True)
    write_clip(folder / f"{name}{ext}", gradient_frames(4, size=(32, 24)))
    (folder / f"{name}.json").write_text(json.dumps(annotation))


@pytest.fixture
def gen_root(tmp_path):
    _write(tmp_path / "golf", "s1", {"action": "golf_swing", "start": 0, "key_events": {"top": 1, "impact": 2}, "end": 3,
                                     "split": "train"})
    _write(tmp_path / "golf", "s2", {"action": "golf_swing", "start": 1, "key_events": {"top": None, "impact": 2}})
    _write(tmp_path / "squat", "q1", {"action": "squat", "key_events": [2], "phases": [0, 0, 1, 1]}, ext=".mov")
    return tmp_path


def test_gen_mvs_clips(gen_root):
    data = create_dataset("gen_mvs", gen_root)
    assert isinstance(data, GenMVS)
    s1, s2, q1 = data.clips()
    assert [(c.name, c.action, c.split) for c in (s1, s2, q1)] == [
        ("golf/s1", "golf_swing", "train"), ("golf/s2", "golf_swing", "all"), ("squat/q1", "squat", "all")]
    assert s1.video_path.name == "s1.mp4" and q1.video_path.name == "q1.mov"
    assert s1.events == {"start": 0.0, "top": 1.0, "impact": 2.0, "end": 3.0}
    assert list(s2.events) == ["start", "top", "impact"] and math.isnan(s2.events["top"])
    assert q1.events == {"key_1": 2.0} and q1.labels.tolist() == [0, 0, 1, 1] and q1.num_frames == 4
    names, table = event_matrix(data.clips(action="golf_swing"))
    assert names == ["start", "top", "impact", "end"]
    assert np.array_equal(table, [[0, 1, 2, 3], [1, np.nan, 2, np.nan]], equal_nan=True)


@pytest.mark.parametrize("annotation, match", [
    ({"start": 0}, "missing 'action'"),
    ({"action": "x", "start": 3, "end": 1}, "event end .* comes before start"),
    ({"action": "x", "key_events": [-1]}, "key_1: expected a frame index >= 0"),
    ({"action": "x", "key_events": "top"}, "key_events must be"),
])
def test_gen_mvs_rejects_bad_annotations(tmp_path, annotation, match):
    _write(tmp_path, "v", annotation)
    with pytest.raises(InputError, match=match):
        GenMVS(tmp_path).clips()


def test_gen_mvs_needs_a_video_beside_each_annotation(tmp_path):
    (tmp_path / "lonely.json").write_text(json.dumps({"action": "x"}))
    with pytest.raises(InputError, match="lonely.json: no video named lonely"):
        GenMVS(tmp_path).clips()
    (tmp_path / "lonely.json").unlink()
    with pytest.raises(InputError, match="no .json annotations"):
        GenMVS(tmp_path).clips()

"""Pouring: tiny videos and per-frame labels built in ROOT/videos/<split>/ + ROOT/labels/<split>/."""

import math

import numpy as np
import pytest

from mvsync.datasets import Pouring, create_dataset, event_matrix
from mvsync.errors import InputError
from mvsync.io import probe

from ..conftest import gradient_frames, write_clip


@pytest.fixture
def pouring_root(tmp_path):
    """train/a (5 frames, .npy), train/b (6 frames, .csv), val/c (4 frames, no labels)."""
    for split, name, n, labels in [("train", "a", 5, [0, 0, 1, 2, 2]), ("train", "b", 6, [0, 1, 1, 1, 2, 3]),
                                   ("val", "c", 4, None)]:
        (tmp_path / "videos" / split).mkdir(parents=True, exist_ok=True)
        (tmp_path / "labels" / split).mkdir(parents=True, exist_ok=True)
        write_clip(tmp_path / "videos" / split / f"{name}.mp4", gradient_frames(n, size=(32, 24)))
        if labels is not None and name == "a":
            np.save(tmp_path / "labels" / split / f"{name}.npy", np.array(labels))
        elif labels is not None:
            (tmp_path / "labels" / split / f"{name}.csv").write_text("\n".join(map(str, labels)))
    return tmp_path


def test_pouring_clips(pouring_root):
    data = create_dataset("pouring", pouring_root)
    assert isinstance(data, Pouring)
    a, b, c = data.clips()
    assert [(x.name, x.split, x.action) for x in (a, b, c)] == [
        ("train/a", "train", "pouring"), ("train/b", "train", "pouring"), ("val/c", "val", "pouring")]
    assert a.labels.tolist() == [0, 0, 1, 2, 2] and b.labels.tolist() == [0, 1, 1, 1, 2, 3]
    assert c.labels is None and c.num_frames is None and c.events == {}
    for clip in (a, b):  # the fixture is consistent: one label per decoded frame
        assert probe(clip.video_path).num_frames == clip.num_frames == len(clip.labels)
    assert [x.name for x in data.clips(split="val")] == ["val/c"]


def test_pouring_events_are_phase_starts(pouring_root):
    a, b, _ = Pouring(pouring_root).clips(split=None)
    # 4 phases in the dataset (b reaches phase 3): a never reaches it -> NaN
    assert list(a.events) == ["phase_1_start", "phase_2_start", "phase_3_start"]
    assert a.events["phase_1_start"] == 2 and a.events["phase_2_start"] == 3 and math.isnan(a.events["phase_3_start"])
    assert b.events == {"phase_1_start": 1.0, "phase_2_start": 4.0, "phase_3_start": 5.0}
    names, table = event_matrix([a, b])
    assert table.shape == (2, 3)


def test_pouring_bad_layouts(tmp_path):
    with pytest.raises(InputError, match="no such folder; expected ROOT/videos/<split>"):
        Pouring(tmp_path / "nope")
    (tmp_path / "videos" / "train").mkdir(parents=True)
    with pytest.raises(InputError, match="no videos"):
        Pouring(tmp_path).clips()

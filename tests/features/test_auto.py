"""Issue 13, ``features="auto"`` (the default): pose where every clip shows a person in most frames, otherwise
appearance; the choice and its reason are one line in the log and in sync.json; pose is extracted once."""

import json

import numpy as np
import pytest

from mvsync.cli import main
from mvsync.features import choose_features
from mvsync.features.pose import PoseExtractor
from mvsync.io import read_all_frames

from ..clips import moving_pattern, write_av_clip


@pytest.fixture
def count_pose_runs(monkeypatch):
    """Counts real pose extractions (the real method runs; only calls are counted), in this process (a pool worker
    would not see the count)."""
    calls = []
    monkeypatch.setattr(PoseExtractor, "pool_min_clips", 1000)
    real = PoseExtractor.extract

    def counted(self, path, **kwargs):
        calls.append(path)
        return real(self, path, **kwargs)

    monkeypatch.setattr(PoseExtractor, "extract", counted)
    return calls


def test_a_person_in_every_clip_chooses_pose_extracted_once(tmp_path, carphone, count_pose_runs):
    frames, _ = read_all_frames(carphone)
    clips = [write_av_clip(tmp_path / f"talk{k}.mp4", frames[k * 6 : k * 6 + 45], fps=30) for k in range(2)]
    choice = choose_features(clips)
    assert choice.kind == "pose" and [f.kind for f in choice.features] == ["pose", "pose"]
    assert choice.reason.startswith("pose: one person in ") and "of the frames of every clip" in choice.reason
    assert len(count_pose_runs) == 2  # one pose run per clip, kept as the result
    again = choose_features(clips)  # the cache serves the second run
    assert len(count_pose_runs) == 2 and np.array_equal(again.features[0].values, choice.features[0].values)


def test_no_person_chooses_appearance_from_a_sample_and_says_why(capsys, tmp_path, count_pose_runs):
    clips = [write_av_clip(tmp_path / f"puck{k}.mp4", moving_pattern(30, seed=k), fps=25) for k in range(2)]
    out = tmp_path / "out"
    assert main(["sync", *map(str, clips), "-o", str(out), "--no-video", "-q"]) == 0  # the default: auto
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("mvsync: features auto:")]
    assert len(lines) == 1, err
    assert "appearance: pose found a person in only 0 of 16 frames spread over puck0.mp4" in lines[0]
    assert count_pose_runs == []  # the sample settled it: no pose pass
    data = json.loads((out / "sync.json").read_text())
    assert data["features"] == "appearance" and data["extra"]["features_reason"] == lines[0][len("mvsync: features "):]

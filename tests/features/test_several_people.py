"""Several people in view: pose follows the performer seen longest, says when there are several, and ``auto`` does
not choose pose for such clips (it may follow different people in different clips)."""

import logging

import numpy as np
import pytest

from mvsync.features import choose_features, create_extractor
from mvsync.features.pose import one_performer
from mvsync.io import VideoWriter, read_all_frames


@pytest.fixture(scope="module")
def people(tmp_path_factory, carphone):
    """Real frames of carphone (one man): alone; two of him side by side, 20 frames apart; and the same pair with the
    right one gone (gray) for frames 30-49, so that the tracker loses him and picks up the other."""
    frames, _ = read_all_frames(carphone)
    pair = np.concatenate([frames[:100], frames[20:120]], axis=2)
    gone = pair.copy()
    gone[30:50, :, frames.shape[2]:] = 127
    folder = tmp_path_factory.mktemp("people")
    clips = {}
    for name, clip in (("one", frames[:100]), ("two", pair), ("gone", gone)):
        with VideoWriter(folder / f"{name}.mp4", fps=30, size=(clip.shape[2], clip.shape[1]), crf=0) as writer:
            for image in clip:
                writer.write(image)
        clips[name] = folder / f"{name}.mp4"
    return clips


def test_a_second_person_is_counted(people, caplog):
    with caplog.at_level(logging.WARNING, logger="mvsync.features.pose"):
        one = create_extractor("pose").extract(people["one"])
        two = create_extractor("pose").extract(people["two"])
    assert one.meta["several_people"] == 0.0 and one.meta["other_person_frames"] == 0
    assert two.meta["several_people"] >= 0.75
    assert f"{people['two']}: several people" in caplog.text and f"{people['one']}" not in caplog.text


def test_pose_keeps_the_person_seen_longest(people):
    """The tracker moves to the left man while the right one is gone and stays there: his 70 frames are the
    performer, the first 30 (the right man) are dropped rather than mixed in."""
    feats = create_extractor("pose").extract(people["gone"])
    assert feats.meta["other_person_frames"] >= 25
    assert not feats.valid[:25].any() and feats.valid[55:].all()


def test_auto_does_not_choose_pose_with_several_people(people, monkeypatch):
    from mvsync.features.pose import PoseExtractor

    passes = []
    monkeypatch.setattr(PoseExtractor, "pool_min_clips", 1000)  # in this process, where the calls are counted
    monkeypatch.setattr(PoseExtractor, "extract", lambda self, path, **kw: passes.append(path))
    choice = choose_features([people["two"], people["gone"]])
    assert choice.kind == "appearance" and passes == []  # 16 frames of two.mp4 settled it, no pose pass
    assert choice.reason.startswith("appearance: several people in two.mp4")
    monkeypatch.undo()
    alone = choose_features([people["one"], people["one"]])
    assert alone.kind == "pose" and alone.reason.startswith("pose: one person")


def test_a_performer_who_walks_on_during_a_missed_stretch_is_kept():
    """Hips at x = 0.2 for 20 frames, no detection for 30 frames, then at x = 0.6 (two torso lengths on, a walk):
    the same person. A bystander appearing at x = 0.9 right after the last detection is not."""
    marks = np.zeros((70, 33, 4), np.float32)
    marks[:, [11, 12], 1], marks[:, [23, 24], 1] = 0.4, 0.6  # torso 0.2 of the height
    x = np.where(np.arange(70) < 20, 0.2, 0.6)
    x[60:63] = 0.9  # three frames on someone else
    marks[:, [11, 12, 23, 24], 0] = x[:, None]
    detected = (np.arange(70) < 20) | (np.arange(70) >= 50)
    keep = one_performer(marks, detected, (100, 100))
    assert keep[:20].all() and keep[50:60].all() and not keep[60:63].any() and keep[63:].all()


def test_a_jogger_read_at_5_fps_is_one_person():
    """Frames read 0.2 s apart (--fps 5): a jogger moving 1.2 torso lengths between them is not someone else."""
    marks = np.zeros((20, 33, 4), np.float32)
    marks[:, [11, 12], 1], marks[:, [23, 24], 1] = 0.4, 0.6  # a torso of 20 px on a 1000 x 100 frame
    marks[:, [11, 12, 23, 24], 0] = (0.02 + 0.024 * np.arange(20))[:, None]  # 24 px (1.2 torso) from read to read
    assert one_performer(marks, np.ones(20, bool), (1000, 100), np.arange(20) / 5).all()
    assert not one_performer(marks, np.ones(20, bool), (1000, 100), np.arange(20) / 30).all()  # 30 fps: jumps

"""Penn Action: a tiny fixture built in the official layout, and a few real label files."""

import json
import shutil

from dataclasses import replace

import numpy as np
import pytest
import scipy.io
from PIL import Image

from mvsync.datasets import DATASETS, PennAction, create_dataset, derived_key_events, event_matrix, keypoint_features
from mvsync.datasets.penn_action import read_keypoints
from mvsync.errors import ConfigError, InputError

from ..data_paths import PENN

REAL_LABELS = PENN / "labels"
# 0001 baseball_pitch, 0789 golf_swing, 1659 squat (a side view without shoulders), 1154 pullup (bbox one row short)
REAL_CLIPS = ("0001", "0789", "1154", "1659")


def _pose(num_frames, hip_y=200.0):
    """x, y (T, 13) of an upright person: hips at y=hip_y, shoulders 50 px above, head 100 px above."""
    x = np.tile(np.array([110, 100, 120, 95, 125, 90, 130, 100, 120, 100, 120, 100, 120], float), (num_frames, 1))
    y = np.tile(np.array([-100, -50, -50, -25, -25, 0, 0, 0, 0, 50, 50, 100, 100], float), (num_frames, 1))
    return x, y + np.asarray(hip_y, float).reshape(-1, 1)


def write_mat(path, action, num_frames, *, train=True, x=None, y=None, visibility=None, bbox_rows=None):
    """A label file with the field types of the real release (strings, uint8 nframes, int32 train...)."""
    if x is None:
        x, y = _pose(num_frames)
    scipy.io.savemat(path, {
        "action": action,
        "pose": "front",
        "x": x,
        "y": y,
        "visibility": np.ones((num_frames, 13), np.uint8) if visibility is None else visibility,
        "train": np.array([[1 if train else -1]], np.int32),
        "bbox": np.tile([[80.0, 90.0, 140.0, 310.0]], (num_frames if bbox_rows is None else bbox_rows, 1)),
        "dimensions": np.array([[360, 480, num_frames]], np.uint16),
        "nframes": np.array([[num_frames]], np.uint8),
    })


@pytest.fixture
def penn_root(tmp_path):
    """ROOT/labels/0001.mat (golf, train, 4 frames with RGB) + 0002.mat (squat, test, 5 frames, no RGB)."""
    labels = tmp_path / "labels"
    labels.mkdir()
    x, y = _pose(4)
    y[:, [5, 6]] = [[200, 200], [150, 120], [60, 90], [180, 190]]  # wrists: highest (y=60) at frame 2
    vis = np.ones((4, 13), np.uint8)
    x[1, 3], y[1, 3], vis[1, 3] = 0.75, 0.75, 0  # left elbow of frame 1: the (1, 1) placeholder
    vis[2, 4] = 0  # right elbow occluded but with an estimated position: kept
    write_mat(labels / "0001.mat", "golf_swing", 4, x=x, y=y, visibility=vis, bbox_rows=3)
    write_mat(labels / "0002.mat", "squat", 5, train=False, x=_pose(5)[0], y=_pose(5, [200, 210, 240, 230, 205])[1])
    frames = tmp_path / "frames" / "0001"
    frames.mkdir(parents=True)
    for k in range(1, 5):
        Image.new("RGB", (8, 6), (k * 40, 0, 0)).save(frames / f"{k:06d}.jpg")
    return tmp_path


def test_clips_from_the_official_layout(penn_root):
    data = create_dataset("penn_action", penn_root)
    assert "penn_action" in DATASETS and isinstance(data, PennAction)
    golf, squat = data.clips()
    assert (golf.name, golf.action, golf.split, golf.num_frames) == ("0001", "golf_swing", "train", 4)
    assert (squat.name, squat.action, squat.split, squat.num_frames) == ("0002", "squat", "test", 5)
    assert [p.name for p in golf.frame_paths] == ["000001.jpg", "000002.jpg", "000003.jpg", "000004.jpg"]
    assert golf.has_rgb and not squat.has_rgb and squat.frame_paths == ()
    assert golf.meta["view"] == "front" and golf.labels is None and golf.events == {}
    assert [c.name for c in data.clips(split="test")] == ["0002"]
    assert [c.name for c in data.clips(action="golf_swing")] == ["0001"]


def test_keypoints_mark_placeholders_and_pad_the_bbox(penn_root):
    kp = PennAction(penn_root).keypoints("0001")
    assert kp.xy.shape == (4, 13, 2) and kp.visibility.dtype == bool and kp.num_frames == 4
    assert np.isnan(kp.xy[1, 3]).all()  # placeholder -> no position
    assert not kp.visibility[2, 4] and np.isfinite(kp.xy[2, 4]).all()  # occluded, estimated: kept
    assert kp.bbox.shape == (4, 4) and (kp.bbox[3] == kp.bbox[2]).all()  # 3 rows padded with the last
    assert kp.image_size == (360, 480) and kp.view == "front"


def test_keypoint_features_by_hand(penn_root):
    kp = PennAction(penn_root).keypoints("0002")
    values, valid = keypoint_features(kp)
    # hips (100, h) and (120, h): centre (110, h); shoulders 50 px above: torso 50 px in every frame
    # head (110, h - 100) -> (0, -2); left ankle (100, h + 100) -> (-0.2, 2)
    assert values.shape == (5, 26) and values.dtype == np.float32 and valid.all()
    assert values[:, 0:2] == pytest.approx(np.tile([0.0, -2.0], (5, 1)))
    assert values[:, 22:24] == pytest.approx(np.tile([-0.2, 2.0], (5, 1)))
    with_vis, _ = keypoint_features(kp, with_visibility=True)
    assert with_vis.shape == (5, 39) and (with_vis[:, 26:] == 1).all()


def test_keypoint_angles_are_the_pose_features_angles_and_do_not_see_a_mirror(penn_root):
    from mvsync.datasets.penn_keypoints import keypoint_angles

    kp = PennAction(penn_root).keypoints("0002")
    angles = keypoint_angles(kp)  # knee, hip, elbow, shoulder pairs, sorted, radians
    assert angles.shape == (5, 8) and (np.diff(angles.reshape(5, 4, 2), axis=2) >= 0).all()
    swap = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11]  # a mirror: x flips, and the left joints are the right ones
    mirrored = replace(kp, xy=kp.xy[:, swap] * [-1, 1])
    np.testing.assert_allclose(keypoint_angles(mirrored), angles, atol=1e-9)
    with_angles, _ = keypoint_features(kp, angle_repeats=3)
    assert with_angles.shape == (5, 26 + 24)
    np.testing.assert_allclose(with_angles[:, 26:], np.tile(angles, 3), rtol=1e-6)


def test_keypoint_features_fill_missing_joints(penn_root):
    kp = PennAction(penn_root).keypoints("0001")
    values, valid = keypoint_features(kp)
    # left elbow of frame 1 is missing: interpolated halfway between frames 0 and 2 (both at (95, 175))
    # -> relative to the centre (110, 200), / 50: (-0.3, -0.5)
    assert values[1, 6:8] == pytest.approx([-0.3, -0.5]) and valid.all()
    features = PennAction(penn_root).features("0001", fps=25.0)
    assert features.kind == "penn_keypoints" and features.times_s[1] == pytest.approx(0.04)


def test_derived_events_are_labelled_derived(penn_root):
    data = PennAction(penn_root)
    golf = derived_key_events(data.keypoints("0001"), "golf_swing")
    assert golf == {"derived_highest_wrist": 2.0}  # wrists y=60 at frame 2 (smallest y = highest)
    squat = derived_key_events(data.keypoints("0002"), "squat")
    assert squat == {"derived_lowest_hip": 2.0}  # hips y = 200 210 240 230 205: largest at frame 2
    names, table = event_matrix([golf, squat])
    assert names == ["derived_highest_wrist", "derived_lowest_hip"] and np.isnan(table[0, 1])
    with pytest.raises(ConfigError, match="'bowl': no derived key event rule"):
        derived_key_events(data.keypoints("0001"), "bowl")


def test_phase_labels_from_a_json_table(penn_root):
    table = penn_root / "phases.json"
    table.write_text(json.dumps({"0001": [0, 0, 1, 1], "0002": {"boundaries": [2, 4]}}))
    golf, squat = PennAction(penn_root, phase_labels=table).clips()
    assert golf.labels.tolist() == [0, 0, 1, 1]
    assert squat.labels.tolist() == [0, 0, 1, 1, 2]


def test_phase_labels_from_a_folder(penn_root):
    folder = penn_root / "phases"
    folder.mkdir()
    np.save(folder / "0002.npy", np.array([0, 1, 1, 2, 2]))
    golf, squat = PennAction(penn_root, phase_labels=folder).clips()
    assert golf.labels is None and squat.labels.tolist() == [0, 1, 1, 2, 2]


def test_phase_labels_of_the_wrong_length(penn_root):
    table = penn_root / "phases.json"
    table.write_text(json.dumps({"0001": [0, 1]}))
    with pytest.raises(InputError, match=r"\(0001\): 2 phase labels for 4 frames"):
        PennAction(penn_root, phase_labels=table).clips()


def test_bad_layouts(tmp_path):
    with pytest.raises(InputError, match="no such folder; expected ROOT/labels/NNNN.mat"):
        PennAction(tmp_path / "missing")
    (tmp_path / "labels").mkdir()
    with pytest.raises(InputError, match="no .mat files"):
        PennAction(tmp_path).clips()
    (tmp_path / "labels" / "0001.mat").write_bytes(b"not a mat file")
    with pytest.raises(InputError, match="0001.mat: not a readable MATLAB file"):
        PennAction(tmp_path).clips()
    scipy.io.savemat(tmp_path / "labels" / "0001.mat", {"action": "squat"})
    with pytest.raises(InputError, match="missing field"):
        PennAction(tmp_path).clips()


@pytest.mark.skipif(not REAL_LABELS.is_dir(), reason="real Penn Action labels not available")
def test_real_label_files(tmp_path):
    (tmp_path / "labels").mkdir()
    for name in REAL_CLIPS:
        shutil.copy(REAL_LABELS / f"{name}.mat", tmp_path / "labels")
    data = PennAction(tmp_path)
    clips = {c.name: c for c in data.clips()}
    assert {n: (c.action, c.split, c.num_frames) for n, c in clips.items()} == {
        "0001": ("baseball_pitch", "test", 151),
        "0789": ("golf_swing", "train", 58),
        "1154": ("pullup", "test", 72),
        "1659": ("squat", "test", 104),
    }
    assert clips["0789"].meta["view"] == "back" and not clips["0789"].has_rgb
    for name, clip in clips.items():
        kp = data.keypoints(clip)
        assert kp.xy.shape == (clip.num_frames, 13, 2) and kp.bbox.shape == (clip.num_frames, 4)
        values, valid = keypoint_features(kp)
        assert values.shape == (clip.num_frames, 26) and np.isfinite(values).all() and valid.mean() > 0.9
        assert np.abs(values).max() < 10  # in torso units: a person is a few torsos tall
    assert np.isnan(data.keypoints("1659").xy[:, 1:3]).all()  # this side view has no shoulders
    event = derived_key_events(data.keypoints("1659"), "squat")["derived_lowest_hip"]
    assert 0 <= event < 104


@pytest.mark.skipif(not REAL_LABELS.is_dir(), reason="real Penn Action labels not available")
def test_read_keypoints_of_a_real_file():
    kp = read_keypoints(REAL_LABELS / "0001.mat")
    assert kp.view == "back" and kp.image_size == (360, 480)
    assert kp.xy[0, 0].tolist() == [136.5, 71.25]  # head of frame 0, as in the file

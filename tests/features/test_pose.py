import itertools

import numpy as np
import pytest

from mvsync.errors import InputError
from mvsync.features import create_extractor, extract_features
from mvsync.features.joint_angles import joint_angles, mirror_invariant_angles
from mvsync.features.pose import ANGLE_REPEATS, LEFT_HIP, RIGHT_HIP, fill_gaps
from mvsync.io import read_frames

from ..conftest import gradient_frames, write_clip


@pytest.fixture(scope="module")
def carphone_pose(carphone):
    return create_extractor("pose").extract(carphone)


def test_finds_the_person_in_carphone(carphone_pose):
    assert carphone_pose.meta["detected"] >= 0.9 * 120
    assert carphone_pose.values.shape == (120, 33 * 4 + 8 * ANGLE_REPEATS)
    assert carphone_pose.valid.mean() >= 0.9
    assert np.isfinite(carphone_pose.values).all()


def test_normalized_to_hips_and_torso(carphone_pose):
    pts = carphone_pose.values[:, :132].reshape(120, 33, 4)[carphone_pose.valid]
    hips = pts[:, [LEFT_HIP, RIGHT_HIP], :2].mean(axis=1)
    np.testing.assert_allclose(hips, 0, atol=1e-4)
    shoulders = pts[:, [11, 12], :2].mean(axis=1)
    np.testing.assert_allclose(np.linalg.norm(shoulders, axis=1), 1.0, atol=1e-4)


def test_angle_channels_are_the_landmarks_joint_angles(carphone_pose):
    """After the 132 landmark channels: the 8 mirror-invariant 3-D joint angles of those landmarks, repeated."""
    coords = carphone_pose.values[:, :132].reshape(120, 33, 4)[:, :, :3]
    angles = carphone_pose.values[:, 132:].reshape(120, ANGLE_REPEATS, 8)
    np.testing.assert_allclose(angles, np.repeat(mirror_invariant_angles(coords)[:, None], ANGLE_REPEATS, 1), atol=1e-5)
    assert angles[carphone_pose.valid].std(axis=0).min() > 0.01  # they move with the body


def test_image_landmarks_are_where_the_person_is(carphone_pose):
    """The landmarks in frame fractions (for the skeleton overlay and mvsync angles) map onto the normalised ones:
    the same body, only moved and scaled (the same joint angles in the image plane)."""
    marks = carphone_pose.meta["image_landmarks"]
    assert marks.shape == (120, 33, 3)
    seen = marks[carphone_pose.valid]
    assert 0.2 < np.median(seen[:, 0, 0]) < 0.8 and 0.0 < np.median(seen[:, 0, 1]) < 0.7  # the nose, in the frame
    width, height = 176, 144  # carphone's frame size: fractions to pixels
    pixels = seen[:, :, :2] * [width, height]
    normalised = carphone_pose.values[:, :132].reshape(120, 33, 4)[carphone_pose.valid][:, :, :2]
    names = ["elbow_left", "shoulder_right", "trunk_lean"]
    np.testing.assert_allclose(joint_angles(pixels, names), joint_angles(normalised, names), atol=0.05)


def test_no_person_is_a_clear_error(tmp_path):
    path = write_clip(tmp_path / "empty_room.mp4", gradient_frames(20, size=(128, 96)))
    with pytest.raises(InputError, match=r"empty_room.mp4: pose found a person in only 0 of 20 frames; use the appearance features"):
        extract_features([path], kind="pose")


def test_fill_gaps_interpolates_short_gaps_only():
    values = np.arange(12, dtype=np.float32).reshape(12, 1) * 2
    valid = np.ones(12, bool)
    valid[[0, 3, 4, 7, 8, 9, 10]] = False
    values[~valid] = -100
    new_valid = fill_gaps(values, valid, max_gap=2)
    np.testing.assert_array_equal(new_valid, [0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1])
    np.testing.assert_allclose(values[3:5, 0], [6, 8])  # linear between frames 2 and 5
    assert values[0, 0] == 2 and values[8, 0] == pytest.approx(16)  # held / interpolated but flagged invalid
    assert np.isfinite(values).all()


def test_mediapipe_prints_nothing_when_the_person_appears_late(tmp_path, carphone):
    """mediapipe's landmark projection warns on its first landmarks ("Using NORM_RECT without IMAGE_DIMENSIONS",
    issue 13); a person who appears after the first frame used to let it through on every run."""
    import subprocess
    import sys

    from mvsync.io import read_all_frames

    frames, _ = read_all_frames(carphone)
    frames = frames[:30].copy()
    frames[:8] = 0  # nobody in the first frames
    clip = write_clip(tmp_path / "late.mp4", frames, fps=30)
    code = ("from pathlib import Path; from mvsync.features import create_extractor; "
            f"print(create_extractor('pose').extract(Path({str(clip)!r})).meta['detected'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(proc.stdout) >= 15
    assert "IMAGE_DIMENSIONS" not in proc.stderr and proc.stderr.strip() == "", proc.stderr


def test_a_clip_that_starts_still_keeps_still(tmp_path, carphone):
    """A clip whose first picture is held for 10 frames (a lead-in, a performer waiting): its held frames get one
    pose. The model, seeing a person for the first time, places the body differently until it has followed it for a
    few frames (issue 23: synced 6 frames off there); before the fix frame 0 was 4.4x a moving frame's step from
    frame 9, the same picture."""
    frames = np.stack([f.image for f in itertools.islice(read_frames(carphone), 30)])
    held = write_clip(tmp_path / "held.mp4", np.concatenate([np.repeat(frames[:1], 10, axis=0), frames[1:]]))
    features = create_extractor("pose").extract(held)
    xy = features.values[:, :132].reshape(-1, 33, 4)[:, :, :2]  # normalised landmark positions

    def shift(a: int, b: int) -> float:
        return float(np.abs(xy[a] - xy[b]).mean())

    moving = np.median([shift(k, k + 1) for k in range(10, len(xy) - 1)])
    assert shift(0, 9) < moving, (shift(0, 9), moving)

"""RepCount as BlazePose landmarks with HUMAN-annotated repetition boundaries (the multi-performer ground truth).

Layout (``shared/data/repcount``, half of RepCount's test split; Hu et al., CVPR 2022):

- ``annotations.csv``: ``action, video, count, boundaries``; ``boundaries`` holds ``2 x count`` frame numbers, the
  start and end of each repetition in order;
- ``poses/<video>.npy``: float32 ``(T, 104)``: 33 landmarks x (x, y, z) in image-normalised units, then 5 joint
  angles; a row of zeros is a frame with no detected person.

The landmarks are mediapipe's, the same 33 that mvsync's ``pose`` features read from a video, so
:func:`landmark_features` turns them into exactly those features (hip-centred, torso-scaled).

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "poses").mkdir()
>>> np.save(root / "poses" / "v1.npy", np.ones((30, 104), np.float32))
>>> _ = (root / "annotations.csv").write_text("action,video,count,boundaries\\nsquat,v1,2,3 10 10 20\\n")
>>> [(v.name, v.action, v.boundaries.tolist()) for v in load_repcount(root)]
[('v1', 'squat', [[3, 10], [10, 20]])]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..features.joint_angles import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER
from ..features.pose import NUM_LANDMARKS, pose_values
from .base import check_root

LAYOUT = "annotations.csv and poses/<video>.npy (RepCount landmarks)"


@dataclass(frozen=True, eq=False)
class RepCountVideo:
    """One annotated video: its landmarks per frame and the human-marked repetitions."""

    name: str  # e.g. "stu10_1"
    action: str  # exercise, e.g. "squat"
    landmarks: np.ndarray  # (T, 33, 3) image-normalised x, y, z
    found: np.ndarray  # (T,) bool: a person was detected in the frame
    boundaries: np.ndarray  # (count, 2) int: start and end frame of each repetition

    @property
    def num_frames(self) -> int:
        return len(self.landmarks)


def load_repcount(root: str | Path, *, action: str | None = None) -> list[RepCountVideo]:
    """Every video of ``root`` (optionally of one exercise) with usable annotations, in the csv's order.

    Boundaries past the end of the landmarks (the csv pads some rows with the last frame) are dropped with their
    repetition."""
    root = check_root(root, LAYOUT)
    table = root / "annotations.csv"
    if not table.is_file():
        raise InputError(f"{table}: no such file; expected {LAYOUT}")
    videos = []
    with open(table, newline="") as handle:
        for row in csv.DictReader(handle):
            if action is not None and row["action"] != action:
                continue
            videos.append(_read_video(root, row))
    return videos


def _read_video(root: Path, row: dict[str, str]) -> RepCountVideo:
    path = root / "poses" / f"{row['video']}.npy"
    if not path.is_file():
        raise InputError(f"{path}: no such file (listed in annotations.csv)")
    raw = np.load(path)
    if raw.ndim != 2 or raw.shape[1] < 3 * NUM_LANDMARKS:
        raise InputError(f"{path}: expected (T, >= {3 * NUM_LANDMARKS}) landmarks, got shape {raw.shape}")
    landmarks = raw[:, : 3 * NUM_LANDMARKS].reshape(len(raw), NUM_LANDMARKS, 3).astype(np.float64)
    found = np.abs(raw).sum(axis=1) > 0
    marks = np.array([int(v) for v in row["boundaries"].split()], int).reshape(-1, 2)
    keep = (marks[:, 1] < len(raw)) & (marks[:, 1] > marks[:, 0])
    return RepCountVideo(row["video"], row["action"], landmarks, found, marks[keep])


def landmark_features(landmarks: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mvsync's ``pose`` features from image-normalised landmarks ``(T, 33, 3)``: centred on the hip midpoint,
    in units of the torso (hip to shoulder midpoint), with a visibility channel of 1 where a person was found
    (RepCount stores none), then the joint angles (:func:`~mvsync.features.pose.pose_values`): ``(T, 212)`` float32 and the valid frames ``(T,)``.

    Frames without a person take the nearest found frame's values (invalid, finite)."""
    out = np.zeros((len(landmarks), NUM_LANDMARKS, 4))
    hips = landmarks[:, [LEFT_HIP, RIGHT_HIP]].mean(axis=1)  # (T, 3)
    shoulders = landmarks[:, [LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=1)
    torso = np.linalg.norm(shoulders[:, :2] - hips[:, :2], axis=1)  # (T,)
    out[:, :, :3] = (landmarks - hips[:, None]) / np.maximum(torso, 1e-6)[:, None, None]
    out[:, :, 3] = 1.0
    values = pose_values(out)
    idx = np.flatnonzero(found)
    if len(idx) and not found.all():
        nearest = idx[np.clip(np.searchsorted(idx, np.arange(len(values))), 0, len(idx) - 1)]
        values = values[nearest]
    return values.astype(np.float32), found.copy()

"""Joint angles from mediapipe's 33 pose landmarks: what a coach reads off a body, and timing evidence for the sync.

Two uses:

- :func:`joint_angles`: named angles in degrees (``knee_left``, ``elbow_right``, ``trunk_lean``...), in the image
  plane by default, as a coach would measure them on the video (``mvsync angles``, the player's readout);
- :func:`mirror_invariant_angles`: the knee, hip, elbow and shoulder angles in 3-D, each left/right pair sorted, so
  that a performer facing left and one facing right give the same values: the channels the ``pose`` features add
  to the landmarks (across performers they place annotated moments better than the landmarks alone,
  ``docs/benchmarks.md``).

>>> marks = np.zeros((1, 33, 3))
>>> marks[0, [23, 25, 27], :2] = [[0, 0], [0, 1], [1, 1]]  # left hip above the knee, the ankle to the side
>>> round(float(joint_angles(marks, ["knee_left"])[0, 0]), 1)
90.0
"""

from __future__ import annotations

import numpy as np

from ..names import ANGLE_NAMES

LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 11, 12, 23, 24
JOINTS = {  # angle at the middle landmark, between the lines to the other two
    "knee_left": (23, 25, 27), "knee_right": (24, 26, 28),  # hip, knee, ankle
    "hip_left": (11, 23, 25), "hip_right": (12, 24, 26),  # shoulder, hip, knee
    "elbow_left": (11, 13, 15), "elbow_right": (12, 14, 16),  # shoulder, elbow, wrist
    "shoulder_left": (13, 11, 23), "shoulder_right": (14, 12, 24),  # elbow, shoulder, hip
}
TRUNK_LEAN = "trunk_lean"  # the hip-to-shoulder line against the image's vertical: 0 upright, 90 lying
# ANGLE_NAMES (from mvsync.names, for the command line without imports) is JOINTS, then TRUNK_LEAN: tests/test_cli.py
MIN_VISIBILITY = 0.5  # an angle is read only where every landmark it uses is at least this visible (mediapipe's score)
PAIRS = [("knee_left", "knee_right"), ("hip_left", "hip_right"), ("elbow_left", "elbow_right"),
         ("shoulder_left", "shoulder_right")]


def joint_angles(landmarks: np.ndarray, names: list[str] | tuple[str, ...] = ANGLE_NAMES, *, dims: int = 2
                 ) -> np.ndarray:
    """``(T, len(names))`` angles in degrees from landmarks ``(T, 33, >=dims)``: joints of :data:`JOINTS` from 0
    (folded) to 180 (straight), and :data:`TRUNK_LEAN` from 0 (shoulders above the hips) to 180. ``dims=2`` measures
    in the image plane (x right, y down, in one unit on both axes: pixels); 3 adds mediapipe's depth.
    NaN where the landmarks coincide."""
    unknown = [n for n in names if n not in ANGLE_NAMES]
    if unknown:
        raise ValueError(f"unknown joint {unknown[0]!r}; expected one of {', '.join(ANGLE_NAMES)}")
    points = np.asarray(landmarks, np.float64)[..., :dims]
    out = np.empty((len(points), len(names)))
    for k, name in enumerate(names):
        if name == TRUNK_LEAN:
            hips = points[:, [LEFT_HIP, RIGHT_HIP]].mean(axis=1)
            up = hips - points[:, [LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=1)  # y grows downward: hips minus shoulders
            vertical = np.zeros(dims)
            vertical[1] = 1.0
            out[:, k] = _angle(up, np.broadcast_to(vertical, up.shape))
        else:
            a, b, c = JOINTS[name]
            out[:, k] = _angle(points[:, a] - points[:, b], points[:, c] - points[:, b])
    return out


def angle_landmarks(name: str) -> tuple[int, ...]:
    """The landmarks angle ``name`` is measured from.

    >>> angle_landmarks("knee_left"), angle_landmarks("trunk_lean")
    ((23, 25, 27), (11, 12, 23, 24))
    """
    return (LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP) if name == TRUNK_LEAN else JOINTS[name]


def visible_angles(landmarks: np.ndarray, names: list[str] | tuple[str, ...] = ANGLE_NAMES) -> np.ndarray:
    """:func:`joint_angles` in the image plane of landmarks ``(T, 33, 3)`` whose last column is the visibility; NaN
    where a landmark the angle uses is less visible than :data:`MIN_VISIBILITY` (out of the picture, hidden): what
    ``mvsync angles`` and the player read out."""
    angles = joint_angles(landmarks[..., :2], names)
    for k, name in enumerate(names):
        hidden = landmarks[:, list(angle_landmarks(name)), 2].min(axis=1) < MIN_VISIBILITY
        angles[hidden, k] = np.nan
    return angles


def mirror_invariant_angles(landmarks: np.ndarray, *, dims: int = 3) -> np.ndarray:
    """``(T, 8)`` knee, hip, elbow and shoulder angles in 3-D (``dims=2``: in the image plane), radians, the smaller
    of each left/right pair first (the same for a mirrored body); 0 where undefined.

    >>> rng = np.random.default_rng(0)
    >>> body = rng.normal(size=(4, 33, 3))
    >>> mirrored = body.copy(); mirrored[..., 0] *= -1  # the same body seen in a mirror...
    >>> swap = np.arange(33); swap[[11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]] = [12, 11, 14, 13, 16, 15, 24, 23, 26, 25, 28, 27]
    >>> np.allclose(mirror_invariant_angles(body), mirror_invariant_angles(mirrored[:, swap]))  # ...left is right
    True
    """
    names = [n for pair in PAIRS for n in pair]
    angles = np.radians(np.nan_to_num(joint_angles(landmarks, names, dims=dims), nan=0.0))  # (T, 8), pairs side by side
    return np.sort(angles.reshape(len(angles), len(PAIRS), 2), axis=2).reshape(len(angles), -1)


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(norms > 1e-12, np.sum(u * v, axis=-1) / norms, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))

"""Penn Action keypoints -> alignment features, and key events DERIVED from the keypoints (not annotated).

Joint indices follow Penn Action: 0 head, 1/2 left/right shoulder, 3/4 elbow, 5/6 wrist,
7/8 hip, 9/10 knee, 11/12 ankle. Image y grows DOWNWARD: "highest" is the smallest y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

HEAD, SHOULDERS, WRISTS, HIPS = [0], [1, 2], [5, 6], [7, 8]


@dataclass(frozen=True, eq=False)
class Keypoints:
    """The annotated 2-D joints of one Penn Action clip (image pixels: x to the right, y DOWN)."""

    xy: np.ndarray  # (T, 13, 2) float; NaN where the joint has no position (the (1, 1) placeholder)
    visibility: np.ndarray  # (T, 13) bool as annotated; an occluded joint usually still has an estimated position
    bbox: np.ndarray  # (T, 4) x1, y1, x2, y2 pixels
    image_size: tuple[int, int]  # (height, width)
    view: str  # camera view: front, back, left or right

    @property
    def num_frames(self) -> int:
        return len(self.xy)


# action -> (event name, rule, joints, "min" or "max" of image y). Names say what is measured, not
# what it means: in Penn Action golf clips the highest wrist is usually the FINISH (median at 86 %
# of the clip), not the top of the backswing. One extreme frame per clip: in clips with several
# repetitions (squats, push-ups) it is the most extreme repetition.
DERIVED_EVENT_RULES: dict[str, tuple[str, str, list[int], str]] = {
    "golf_swing": ("derived_highest_wrist", "frame where the higher wrist is highest", WRISTS, "min"),
    "tennis_serve": ("derived_highest_wrist", "frame where the higher wrist is highest", WRISTS, "min"),
    "clean_and_jerk": ("derived_highest_wrist", "frame where the higher wrist is highest", WRISTS, "min"),
    "jumping_jacks": ("derived_highest_wrist", "frame where the higher wrist is highest", WRISTS, "min"),
    "pullup": ("derived_highest_head", "frame where the head is highest", HEAD, "min"),
    "situp": ("derived_highest_head", "frame where the head is highest", HEAD, "min"),
    "squat": ("derived_lowest_hip", "frame where the hip midpoint is lowest", HIPS, "max"),
    "pushup": ("derived_lowest_shoulder", "frame where the shoulder midpoint is lowest", SHOULDERS, "max"),
    "bench_press": ("derived_lowest_wrist", "frame where the wrist midpoint is lowest", WRISTS, "max"),
}
TORSO_PER_BOX_HEIGHT = 0.31  # median torso length / person box height over Penn Action clips with both


def keypoint_features(keypoints: Keypoints, *, with_visibility: bool = False, angle_repeats: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame pose features of a clip: joints centred on the hips and scaled by the torso.

    1. A joint with no position (NaN) is filled by linear interpolation over time from the
       frames where it has one (held at the ends). A joint never positioned in the clip (side
       views often lack the far limbs) is put at the centre, i.e. its features are 0.
    2. Every frame is centred on its hip midpoint (the mean of the positioned joints if the
       clip has no hip at all), and the whole clip is divided by ONE scale: the median torso
       length (hip midpoint to shoulder midpoint) over its frames, or, in a clip without
       shoulders or hips, ``TORSO_PER_BOX_HEIGHT`` x the median person-box height. One scale
       per clip, unlike mvsync's per-frame pose features, keeps torso foreshortening (sit-ups,
       bending) as motion instead of normalizing it away.
    3. Output: (T, 26) ``[x0, y0, x1, y1, ...]``, or (T, 39) with the 13 visibility flags (0/1)
       appended. ``valid[t]`` is False where frame t has positions for fewer than half of the
       joints the clip ever positions (its values are interpolated: finite but less reliable).
    4. ``angle_repeats=K`` appends the 8 mirror-invariant joint angles of :func:`keypoint_angles`, K times, as the
       ``pose`` features carry them (the research protocol's features are the 26 coordinates, K=0).

    >>> xy = np.zeros((2, 13, 2)); xy[:, 1:3, 1] = -10.0  # shoulders 10 px above the hips
    >>> kp = Keypoints(xy, np.ones((2, 13), bool), np.zeros((2, 4)), (100, 100), "front")
    >>> values, valid = keypoint_features(kp)
    >>> values.shape, float(values[0, 3]), bool(valid.all())  # left shoulder y: -10 px / 10 px torso
    ((2, 26), -1.0, True)
    """
    known = np.isfinite(keypoints.xy[..., 0])  # (T, 13)
    xy = _fill_over_time(keypoints.xy)  # (T, 13, 2); NaN only for joints never positioned
    hips_known = known[:, HIPS].any()
    centre = np.nanmean(xy[:, HIPS] if hips_known else xy, axis=1)  # (T, 2)
    values = (xy - centre[:, None, :]) / _scale(xy, known, keypoints.bbox)
    values = np.nan_to_num(values, nan=0.0).reshape(len(xy), -1)  # (T, 26)
    if with_visibility:
        values = np.concatenate([values, keypoints.visibility.astype(float)], axis=1)  # (T, 39)
    if angle_repeats:
        values = np.concatenate([values] + [keypoint_angles(keypoints)] * angle_repeats, axis=1)
    ever = known.any(axis=0).sum()
    valid = known.sum(axis=1) >= max(1, ever / 2)
    return values.astype(np.float32), valid


PENN_TO_LANDMARK = (0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)  # each Penn joint's mediapipe landmark


def keypoint_angles(keypoints: Keypoints) -> np.ndarray:
    """``(T, 8)`` knee, hip, elbow and shoulder angles in the image plane, radians, each left/right pair sorted
    (:func:`~mvsync.features.joint_angles.mirror_invariant_angles` on the 13 joints, placed where mediapipe's
    landmarks are; missing joints filled over time as for the coordinates, 0 where a joint is never positioned).

    >>> xy = np.zeros((1, 13, 2)); xy[0, [7, 9, 11], :] = [[0, 0], [0, 1], [1, 1]]  # left hip, knee, ankle: 90 deg
    >>> kp = Keypoints(xy, np.ones((1, 13), bool), np.zeros((1, 4)), (9, 9), "front")
    >>> round(float(np.degrees(keypoint_angles(kp)[0, 1])), 1)  # the knees, sorted: the right one is undefined (0)
    90.0
    """
    from ..features.joint_angles import mirror_invariant_angles

    xy = _fill_over_time(keypoints.xy)  # (T, 13, 2)
    landmarks = np.full((len(xy), 33, 2), np.nan)
    landmarks[:, list(PENN_TO_LANDMARK)] = xy
    return mirror_invariant_angles(landmarks, dims=2)


def _scale(xy: np.ndarray, known: np.ndarray, bbox: np.ndarray) -> float:
    """Median torso length in pixels, or a box-height estimate when the clip has no shoulders or hips."""
    if known[:, HIPS].any() and known[:, SHOULDERS].any():
        torso = np.linalg.norm(np.nanmean(xy[:, SHOULDERS], axis=1) - np.nanmean(xy[:, HIPS], axis=1), axis=1)
        scale = float(np.median(torso))
    else:
        scale = TORSO_PER_BOX_HEIGHT * float(np.median(bbox[:, 3] - bbox[:, 1])) if len(bbox) else 0.0
    return scale if scale > 1e-6 else 1.0


def derived_key_events(keypoints: Keypoints, action: str) -> dict[str, float]:
    """One key event DERIVED from the keypoints of a clip (a heuristic, never an annotation).

    The rule per action is in ``DERIVED_EVENT_RULES`` (e.g. golf_swing: the frame where the
    higher wrist is highest; squat: the frame where the hip midpoint is lowest).
    Event names start with ``derived_`` so they cannot be mistaken for annotated events.
    Returns ``{name: frame}``; the frame is NaN if the joints are never positioned.

    >>> from mvsync.datasets.penn_keypoints import Keypoints
    >>> xy = np.zeros((3, 13, 2)); xy[:, 7:9, 1] = [[5, 5], [9, 9], [7, 7]]  # hips lowest at frame 1
    >>> derived_key_events(Keypoints(xy, np.ones((3, 13), bool), np.zeros((3, 4)), (9, 9), "front"), "squat")
    {'derived_lowest_hip': 1.0}
    """
    if action not in DERIVED_EVENT_RULES:
        raise ConfigError(
            f"action {action!r}: no derived key event rule; known: {', '.join(sorted(DERIVED_EVENT_RULES))}"
        )
    name, _, joints, extreme = DERIVED_EVENT_RULES[action]
    y = keypoints.xy[:, joints, 1]  # (T, J) image y, NaN where missing
    known = np.isfinite(y).any(axis=1)
    if not known.any():
        return {name: math.nan}
    per_frame = np.where(known, _per_frame_y(y, joints, extreme), np.nan)  # (T,)
    frame = np.nanargmin(per_frame) if extreme == "min" else np.nanargmax(per_frame)
    return {name: float(frame)}


def _per_frame_y(y: np.ndarray, joints: list[int], extreme: str) -> np.ndarray:
    """The higher wrist for the "highest wrist" rules; otherwise the midpoint of the known joints."""
    finite = np.isfinite(y)
    if joints == WRISTS and extreme == "min":
        return np.where(finite, y, np.inf).min(axis=1)
    return np.where(finite, y, 0.0).sum(axis=1) / np.maximum(finite.sum(axis=1), 1)


def _fill_over_time(xy: np.ndarray) -> np.ndarray:
    out = np.full_like(xy, np.nan)
    steps = np.arange(len(xy))
    for j in range(xy.shape[1]):
        known = np.isfinite(xy[:, j, 0])
        if known.any():
            for c in range(2):
                out[:, j, c] = np.interp(steps, steps[known], xy[known, j, c])
    return out

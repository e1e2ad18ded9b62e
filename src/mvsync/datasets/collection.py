"""One loader for everything ``mvsync train`` and ``mvsync eval`` read: labelled per-frame feature sequences.

Sources, detected from the folder's layout unless ``dataset`` names one:

- a feature folder: ``DATA/<action>/<clip>.npz`` written by ``mvsync features`` (one sub-folder per action);
- ``penn_action``: ``DATA/labels/NNNN.mat``: keypoint features (no RGB needed), or features extracted (and
  cached) from the RGB frames ``DATA/frames/NNNN/*.jpg``;
- ``pouring``: ``DATA/videos/<split>/*.mp4`` (+ labels), features extracted (and cached) from the videos;
- ``gen_mvs``: videos with one ``<name>.json`` annotation each, features extracted from the videos.

``features="frames"`` asks for no features at all: each sequence then stands for the clip's pixels (a
:data:`~mvsync.types.FRAMES` stand-in pointing at the video file or frame folder) for TCC's frame encoders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import ConfigError, InputError
from ..features import extract_features, load_features
from ..io import probe
from ..types import FRAMES, Features
from .base import Clip, create_dataset
from .penn_keypoints import DERIVED_EVENT_RULES, derived_key_events

log = logging.getLogger(__name__)

KEYPOINTS = "keypoints"  # the feature kind of Penn Action's annotated joints


@dataclass(frozen=True, eq=False)
class LabeledSequence:
    """One clip's per-frame features plus what is annotated about it."""

    name: str
    action: str
    split: str
    features: Features
    labels: np.ndarray | None = None  # (L,) per-frame phase labels, if annotated
    events: dict[str, float] = field(default_factory=dict)  # annotated key events: name -> frame


def detect_layout(data: Path) -> str:
    """``"features"``, ``"penn_action"``, ``"pouring"`` or ``"gen_mvs"`` from what is inside ``data``."""
    if not data.is_dir():
        raise InputError(f"{data}: no such folder")
    if any((data / "labels").glob("*.mat")):
        return "penn_action"
    if (data / "videos").is_dir():
        return "pouring"
    if any(data.glob("*/*.npz")):
        return "features"
    if any(data.rglob("*.json")):
        return "gen_mvs"
    raise InputError(
        f"{data}: unknown layout; expected <action>/<clip>.npz feature files, labels/NNNN.mat (Penn Action), "
        "videos/<split>/ (Pouring) or videos with .json annotations (Gen-MVS)"
    )


def load_collection(
    data: str | Path,
    *,
    dataset: str | None = None,
    features: str | None = None,
    split: str | None = None,
    action: str | list[str] | None = None,
    max_per_action: int | None = None,
    phase_labels: str | Path | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> list[LabeledSequence]:
    """Read labelled sequences from a feature folder or a dataset root.

    ``features`` defaults to ``keypoints`` for Penn Action, to what the files hold for a feature
    folder, and to ``pose`` for video datasets; ``"frames"`` gives pixel stand-ins (see the module notes) and
    any extractor name (``pose``, ``appearance``, ``resnet50``...) extracts from the RGB frames.
    ``action`` keeps one action or several (a list, or names separated by commas); a name the data does not hold
    raises :class:`InputError` listing the ones it does. ``max_per_action`` keeps the first N clips of each
    action (in name order) for quick runs.

    >>> seqs = load_collection("feats/")  # <action>/<clip>.npz feature files
    >>> sorted({s.action for s in seqs}), [s.name for s in seqs], seqs[0].features.values.shape
    (['pedal', 'ride'], ['b', 'd', 'a', 'c'], (131, 32))

    A dataset root, here Penn Action's (keypoint features from its labels)::

        seqs = load_collection("Penn_Action", split="train", max_per_action=20)
    """
    data = Path(data)
    layout = dataset or detect_layout(data)
    actions = action_names(action)
    if layout == "features":
        seqs = _from_feature_folder(data, features)
        _check_actions(data, actions, {s.action for s in seqs})
    else:
        options = {"phase_labels": phase_labels} if layout == "penn_action" and phase_labels else {}
        source = create_dataset(layout, data, **options)
        every = source.clips(split=split)
        _check_actions(data, actions, {c.action for c in every})
        clips = _first_per_action([c for c in every if actions is None or c.action in actions], max_per_action)
        if layout == "penn_action":
            seqs = _from_penn(source, clips, features, cache_dir, progress)
        else:
            seqs = _from_videos(clips, features or "pose", cache_dir, progress)
    seqs = [s for s in seqs
            if (split is None or s.split in (split, "all")) and (actions is None or s.action in actions)]
    if layout == "features":
        seqs = _first_per_action(seqs, max_per_action)
    if not seqs:
        raise InputError(f"{data}: no clips (split={split}, action={action})")
    return seqs


def action_names(action: str | list[str] | None) -> list[str] | None:
    """``"squat,golf_swing"``, ``["squat", "golf_swing"]`` or ``["squat,golf_swing"]`` as a list of names (None:
    every action).

    >>> action_names(["squat,golf_swing", "pullup"])
    ['squat', 'golf_swing', 'pullup']
    """
    if action is None:
        return None
    items = [action] if isinstance(action, str) else list(action)
    names = [name.strip() for item in items for name in str(item).split(",") if name.strip()]
    return list(dict.fromkeys(names)) or None


def _check_actions(data: Path, actions: list[str] | None, available: set[str]) -> None:
    unknown = [a for a in actions or () if a not in available]
    if unknown:
        raise InputError(f"{data}: no clips of action {', '.join(unknown)}; the actions there: "
                         f"{', '.join(sorted(available)) or 'none'}")


def _from_feature_folder(data: Path, features: str | None) -> list[LabeledSequence]:
    seqs = []
    for path in sorted(data.glob("*/*.npz")):
        if path.parent.name.startswith("."):
            continue  # hidden folders (e.g. a feature cache) are not actions
        feats = load_features(path)
        if features is not None and feats.kind != features:
            raise ConfigError(f"{path}: holds {feats.kind} features, not {features}")
        seqs.append(LabeledSequence(path.stem, path.parent.name, "all", feats))
    kinds = {s.features.kind for s in seqs}
    if len(kinds) > 1:
        raise InputError(f"{data}: mixes feature kinds {sorted(kinds)}; use one kind per folder")
    return seqs


def _from_penn(penn, clips: list[Clip], features: str | None, cache_dir, progress: bool) -> list[LabeledSequence]:
    kind = features or KEYPOINTS
    if kind != KEYPOINTS:  # from the RGB frames: a frame folder reads like a video
        clips = [replace(c, video_path=_frame_folder(c, penn.root)) for c in clips]
        from_rgb = {s.name: s.features for s in _from_videos(clips, kind, cache_dir, progress)}
    seqs = []
    for clip in tqdm(clips, desc="penn_action labels", disable=not progress, unit="clip"):
        keypoints = penn.keypoints(clip)
        if kind == KEYPOINTS:
            feats = replace(penn.features(clip, keypoints=keypoints), kind=KEYPOINTS)
        else:
            feats = from_rgb[clip.name]
        # No phase annotations ship with the labels: add events derived from the joints (named derived_*) for the
        # actions that have a rule; the others (e.g. bowl, strum_guitar) get none.
        derived = derived_key_events(keypoints, clip.action) if clip.action in DERIVED_EVENT_RULES else {}
        events = {**derived, **clip.events}
        seqs.append(LabeledSequence(clip.name, clip.action, clip.split, feats, clip.labels, events))
    return seqs


def _frame_folder(clip: Clip, root: Path) -> Path:
    if not clip.frame_paths:
        raise InputError(f"{root / 'frames' / clip.name}: no RGB frames for clip {clip.name}; features other than "
                         f"{KEYPOINTS!r} come from ROOT/frames/NNNN/*.jpg (the full Penn_Action release)")
    return clip.frame_paths[0].parent


def _from_videos(clips: list[Clip], kind: str, cache_dir, progress: bool) -> list[LabeledSequence]:
    missing = [c.name for c in clips if c.video_path is None]
    if missing:
        raise InputError(f"{missing[0]}: no video file for this clip ({len(missing)} clips without video)")
    if kind == FRAMES:
        feats = [_pixels(c.video_path) for c in clips]
    else:
        feats = extract_features([c.video_path for c in clips], kind=kind, cache_dir=cache_dir, progress=progress)
    return [LabeledSequence(c.name, c.action, c.split, f, c.labels, c.events) for c, f in zip(clips, feats)]


def _pixels(path: Path) -> Features:
    info = probe(path)  # a video file, or an image folder at its nominal frame rate
    return Features.frames_of(path, np.arange(info.num_frames) / info.fps, info.fps)


def _first_per_action(items: list, limit: int | None) -> list:
    if limit is None:
        return items
    counts: dict[str, int] = {}
    kept = []
    for item in items:
        counts[item.action] = counts.get(item.action, 0) + 1
        if counts[item.action] <= limit:
            kept.append(item)
    return kept


"""What every dataset loader returns (``Clip``), the ``DATASETS`` registry, and small shared helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from ..errors import InputError
from ..registry import Registry

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")


@dataclass(frozen=True, eq=False)
class Clip:
    """One video of a dataset: where its pixels are, and what is annotated about it.

    >>> clip = Clip("0001", "golf_swing", "train", num_frames=3, labels=np.array([0, 1, 1]))
    >>> clip.has_rgb, clip.events
    (False, {})
    """

    name: str  # unique within the dataset, e.g. "0001" or "train/pour_03"
    action: str  # action class, e.g. "golf_swing"
    split: str  # "train", "val", "test" or "all"
    num_frames: int | None = None  # when known without decoding (from the labels), else None
    video_path: Path | None = None  # a video file (Pouring, gen_mvs), or None
    frame_paths: tuple[Path, ...] = ()  # one image per frame (Penn Action frames/NNNN/), or ()
    labels: np.ndarray | None = None  # (num_frames,) int64 per-frame phase labels, or None
    events: dict[str, float] = field(default_factory=dict)  # ANNOTATED key events: name -> frame (NaN: missing)
    meta: dict[str, Any] = field(default_factory=dict)  # dataset specifics (Penn Action: view, mat_path)

    @property
    def has_rgb(self) -> bool:
        return self.video_path is not None or bool(self.frame_paths)


class ClipDataset(Protocol):
    """What a registered loader offers: ``Loader(root, **options).clips(split=..., action=...)``."""

    def __init__(self, root: str | Path, **options: Any) -> None: ...

    def clips(self, *, split: str | None = None, action: str | None = None) -> list[Clip]: ...


DATASETS: Registry[type[ClipDataset]] = Registry("dataset")


def create_dataset(name: str, root: str | Path, **options: Any) -> ClipDataset:
    """Open a registered dataset by name, e.g. ``create_dataset("penn_action", "data/Penn_Action")``."""
    return DATASETS.get(name)(root, **options)


def event_matrix(
    items: Sequence[Clip | Mapping[str, float]], names: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """Stack per-clip events into ``(names, (N, E) float array)`` for :func:`mvsync.evaluate.key_event_sync_error`.

    ``items`` are clips (their annotated ``events``) or plain ``{name: frame}`` dicts (e.g.
    derived events). ``names`` defaults to every event name in order of first appearance;
    an event a clip lacks is NaN.

    >>> event_matrix([{"start": 0, "end": 9}, {"start": 2}])
    (['start', 'end'], array([[ 0.,  9.],
           [ 2., nan]]))
    """
    dicts = [item.events if isinstance(item, Clip) else item for item in items]
    if names is None:
        names = list(dict.fromkeys(k for d in dicts for k in d))
    table = np.array([[_frame(d.get(n)) for n in names] for d in dicts], dtype=float).reshape(len(dicts), len(names))
    return list(names), table


def filter_clips(clips: list[Clip], split: str | None, action: str | None) -> list[Clip]:
    """Keep the clips of one split and/or action (None keeps all)."""
    return [c for c in clips if (split is None or c.split == split) and (action is None or c.action == action)]


def check_root(root: str | Path, layout: str) -> Path:
    """The dataset folder as a Path; a one-line InputError naming the expected layout if it is missing."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder; expected {layout}")
    return root


def find_video(folder: Path, stem: str) -> Path | None:
    """The video file ``folder/stem.<ext>`` for any known video extension, or None."""
    for ext in VIDEO_EXTENSIONS:
        for candidate in (folder / f"{stem}{ext}", folder / f"{stem}{ext.upper()}"):
            if candidate.is_file():
                return candidate
    return None


def _frame(value: float | None) -> float:
    return math.nan if value is None else float(value)

"""Multiview Pouring (Sermanet et al. 2018; per-frame phases from TCC, Dwibedi et al. 2019).

On-disk layout::

    ROOT/videos/<split>/<name>.mp4        one video per clip (.mp4 .mov .avi .mkv .webm .m4v)
    ROOT/labels/<split>/<name>.npy        optional: per-frame phase labels (.npy, .txt or .csv)

``<split>`` is any folder name (TCC uses ``train`` and ``val``). Label files hold one integer
per video frame (formats in :mod:`mvsync.datasets.phases`). TCC publishes Pouring as
TFRecords (JPEG frames + ``frame_labels``); export each sequence to a video and a ``.npy`` of
its labels to use this loader. Label lengths are not checked against the videos here (that
needs decoding: compare with ``mvsync.io.probe(path).num_frames``). Annotated key events are the phase starts
(``phase_1_start`` ...), read from the labels.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import InputError
from .base import DATASETS, VIDEO_EXTENSIONS, Clip, check_root, filter_clips
from .phases import PHASE_FILE_SUFFIXES, events_from_phases, read_phase_file

log = logging.getLogger(__name__)

LAYOUT = "ROOT/videos/<split>/<name>.mp4 and ROOT/labels/<split>/<name>.npy (Pouring)"


@DATASETS.register("pouring")
class Pouring:
    """Pouring clips with their per-frame phase labels. With the dataset downloaded::

        clips = Pouring("/data/pouring").clips(split="val")
    """

    def __init__(self, root: str | Path, *, action: str = "pouring") -> None:
        self.root = check_root(root, LAYOUT)
        self.action = action  # every clip shows the same action
        self._clips: list[Clip] | None = None

    def clips(self, *, split: str | None = None, action: str | None = None) -> list[Clip]:
        """Every clip (sorted by split, then name), optionally of one split."""
        if self._clips is None:
            self._clips = self._index()
        return filter_clips(self._clips, split, action)

    def _index(self) -> list[Clip]:
        videos = sorted(
            p for p in (self.root / "videos").glob("*/*") if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS
        )
        if not videos:
            raise InputError(f"{self.root / 'videos'}: no videos; expected {LAYOUT}")
        labels = {video: self._labels(video) for video in videos}
        num_phases = max((int(lab.max()) + 1 for lab in labels.values() if lab is not None), default=1)
        return [
            Clip(
                name=f"{video.parent.name}/{video.stem}",
                action=self.action,
                split=video.parent.name,
                num_frames=None if lab is None else len(lab),
                video_path=video,
                labels=lab,
                events={} if lab is None else events_from_phases(lab, num_phases),
            )
            for video, lab in labels.items()
        ]

    def _labels(self, video: Path) -> np.ndarray | None:
        folder = self.root / "labels" / video.parent.name
        for suffix in PHASE_FILE_SUFFIXES:
            if (folder / f"{video.stem}{suffix}").is_file():
                return read_phase_file(folder / f"{video.stem}{suffix}")
        log.info("%s: no phase labels in %s", video, folder)
        return None

"""A person, and how many, in a few frames spread over a clip: what ``features="auto"`` looks at before it runs pose.

Why: ``auto`` chooses pose only when one person shows in most frames of every clip. Deciding that from a full pose
pass made ``auto`` cost a pose pass even where it then chose appearance (a bike ride: 7.6x the decoding time,
against 1.8x for appearance itself). Here the pose model (static image mode) runs on ``SAMPLE_FRAMES`` frames
spread evenly over the clip, and on a few of the frames with a person a second time with that person painted out
(as the pose extractor counts people). A clip whose sample clearly shows no person, or several people, settles the
choice; anything less clear still goes to the full pass (:mod:`mvsync.features.auto`). The frames are read in one
pass up to the last one (a full decode: a small part of a pose pass's time).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import probe, read_frames_at
from .pose import _even, _landmarks, _pose_model, _quiet_stderr, another_person

SAMPLE_FRAMES = 16  # frames looked at per clip
PEOPLE_CHECKS = 6  # of those with a person, how many are searched again for a second one
SAMPLE_SIDE = 640  # decoded at most this large, as the pose extractor decodes


@dataclass(frozen=True)
class PeopleSample:
    """What the frames looked at in ``path`` showed: ``person``, the share of them with a person; ``several``, the
    share of those searched again (at most ``PEOPLE_CHECKS`` of those with a person) with a second person."""

    path: Path
    frames: int
    person: float
    several: float


def sample_people(paths: list[str | Path], *, frames: int = SAMPLE_FRAMES, min_detection_confidence: float = 0.5):
    """Per clip of ``paths``, one after the other (a generator: stop when the answer is known), a
    :class:`PeopleSample` of ``frames`` frames spread evenly over it (the first and last included), one pose model
    for all; see the module docstring."""
    with _pose_model(min_detection_confidence, static=True) as model:
        for path in paths:
            with _quiet_stderr():  # the graph's one-time warning on its first landmarks (see the pose extractor)
                sample = _sample(model, Path(path), frames)
            yield sample


def _sample(model, path: Path, frames: int) -> PeopleSample:
    info = probe(path)
    scale = min(1.0, SAMPLE_SIDE / max(info.width, info.height))
    size = (_even(info.width * scale), _even(info.height * scale))
    count = max(1, min(frames, info.num_frames))
    wanted = np.unique(np.round(np.linspace(0, max(info.num_frames - 1, 0), count)).astype(int))
    images = read_frames_at(path, wanted.tolist(), size=size)
    seen = {int(i): _landmarks(model, images[int(i)]) for i in wanted}
    found = [i for i, landmarks in seen.items() if landmarks is not None]
    checked = [found[k] for k in np.unique(np.linspace(0, len(found) - 1, min(PEOPLE_CHECKS, len(found))).astype(int))]
    others = sum(another_person(model, images[i], seen[i]) for i in checked)
    return PeopleSample(path, len(wanted), len(found) / len(wanted), others / len(checked) if checked else 0.0)

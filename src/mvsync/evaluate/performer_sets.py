"""The multi-performer sets of the benchmark: RepCount cuts (human-annotated) and Penn Action clips (derived events),
each replayed through a random retiming (:mod:`mvsync.evaluate.performers`).

>>> from mvsync.datasets.repcount import RepCountVideo
>>> rng = np.random.default_rng(0)
>>> marks = np.array([[10, 30], [30, 50], [50, 70], [70, 90]])
>>> video = RepCountVideo("v", "squat", rng.normal(size=(100, 33, 3)), np.ones(100, bool), marks)
>>> cut = repcount_cut(video, np.random.default_rng(1), retime=False)
>>> cut.values.shape[1], cut.events.round(1).tolist()  # 3 repetitions: 4 boundaries
(212, [5.0, 25.0, 45.0, 65.0])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..datasets.penn_action import PennAction
from ..datasets.penn_keypoints import derived_key_events, keypoint_features
from ..datasets.repcount import RepCountVideo, landmark_features, load_repcount
from ..features.pose import ANGLE_REPEATS
from .performers import PerformerCut, random_retiming, retime_cut

REPETITIONS = 3  # repetitions per RepCount cut (4 annotated boundaries)
MARGIN = 0.5  # at most this many repetitions of real motion before and after the cut (drawn at random)
MIN_FOUND = 0.8  # a cut is used when a person was found in at least this share of its frames


def repcount_cut(video: RepCountVideo, rng: np.random.Generator, *, repetitions: int = REPETITIONS,
                 retime: bool = True) -> PerformerCut | None:
    """The first ``repetitions`` repetitions of ``video`` with up to ``MARGIN`` of a repetition before and after,
    retimed at random (``retime``); None when the video has fewer repetitions or too few frames with a person."""
    if len(video.boundaries) < repetitions:
        return None
    marks = video.boundaries[:repetitions]
    events = np.concatenate([[marks[0, 0]], marks[:, 1]]).astype(float)  # start, then the end of each repetition
    rep = float(np.mean(marks[:, 1] - marks[:, 0]))
    start = max(0, int(round(events[0] - rng.uniform(0, MARGIN) * rep)))
    stop = min(video.num_frames, int(round(events[-1] + rng.uniform(0, MARGIN) * rep)) + 1)
    values, valid = landmark_features(video.landmarks[start:stop], video.found[start:stop])
    if valid.mean() < MIN_FOUND:
        return None
    events = events - start
    if retime:
        values, valid, events = retime_cut(values, valid, events, random_retiming(len(values), rng))
    return PerformerCut(video.name, video.action, values, valid, events)


def repcount_sets(root: str | Path, *, seed: int = 0, retime: bool = True, max_per_group: int | None = None
                  ) -> dict[str, list[PerformerCut]]:
    """``{exercise: cuts}`` for every usable RepCount video under ``root``, one seeded draw per video."""
    rng = np.random.default_rng(seed)
    sets: dict[str, list[PerformerCut]] = {}
    for video in load_repcount(root):
        cut = repcount_cut(video, rng, retime=retime)
        if cut is not None and (max_per_group is None or len(sets.get(cut.group, [])) < max_per_group):
            sets.setdefault(cut.group, []).append(cut)
    return {group: cuts for group, cuts in sets.items() if len(cuts) >= 2}


def penn_sets(root: str | Path, actions: list[str], *, per_action: int, seed: int = 0, retime: bool = True
              ) -> dict[str, list[PerformerCut]]:
    """``{action: cuts}``: the first ``per_action`` test clips of each action (``root/labels/NNNN.mat``, in name order), with
    their derived key event, retimed at random like the RepCount cuts (films do not start on the action). The
    features are the keypoints' coordinates and, as the ``pose`` features carry them, their 8 mirror-invariant joint
    angles (2-D) ``ANGLE_REPEATS`` times (macro x no warping with ``consensus``, 15 clips per action, seeds 0-2:
    0.892x coordinates only, 0.836x with the angles, every action below no warping)."""
    rng = np.random.default_rng(seed)
    data = PennAction(root)
    sets: dict[str, list[PerformerCut]] = {}
    for action in actions:
        cuts = []
        for clip in data.clips(split="test", action=action):
            if len(cuts) >= per_action:
                break
            keypoints = data.keypoints(clip)
            event = np.array(list(derived_key_events(keypoints, action).values()), float)
            if not np.isfinite(event).all():
                continue
            values, valid = keypoint_features(keypoints, angle_repeats=ANGLE_REPEATS)
            if retime:
                values, valid, event = retime_cut(values, valid, event, random_retiming(len(values), rng))
            cuts.append(PerformerCut(clip.name, action, values, valid, event))
        if len(cuts) >= 2:
            sets[action] = cuts
    return sets

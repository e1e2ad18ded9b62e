"""``features="auto"``, the default of :func:`mvsync.sync`: pose when ONE person is found in most frames of every
clip, otherwise appearance, which works on any content (a ball throw, a puck on a table).

Several people (a street, a gym with bystanders): mediapipe's pose follows one person per frame, and nothing makes
it the same person in every clip; on pedestrians, pose synced copies of one scene up to 2 s apart where appearance
was within 0.06 s. So a clip where a second person shows in ``SEVERAL_PEOPLE`` of the frames checked (the pose
extractor's ``several_people``) makes ``auto`` choose appearance; ``--features pose`` still uses pose, with a warning.

First the pose model looks at 16 frames of each clip (:mod:`~mvsync.features.people_sample`): a clip whose
sample shows a person in at most ``CLEARLY_NOBODY`` of the share pose needs (40% of them), or a second person in
at least ``CLEARLY_SEVERAL`` of those searched again, settles the choice for appearance with no pose pass (a bike
ride: 7.6x the decoding time before, 2.8x now: ``docs/benchmarks.md``). Otherwise pose is extracted, for the choice,
and kept when chosen (and cached either way), so choosing costs little more than pose itself when the clips show
people.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io import is_image_folder
from ..types import Features
from .extract import extract_features
from .people_sample import sample_people
from .pose import SEVERAL_PEOPLE

log = logging.getLogger(__name__)

MIN_PERSON_SHARE = 0.5  # pose is chosen when every clip shows a person in more than this share of its frames
CLEARLY_NOBODY = 0.8  # a sample with a person in at most this part of min_person_share: appearance, no pose pass
CLEARLY_SEVERAL = 0.5  # a sample with a second person in at least this share of the frames checked: the same
CLEARLY_ONE = 0.75  # a sample with one person in this share of its frames: the full pass decides, no more samples


@dataclass(frozen=True)
class FeatureChoice:
    """The features ``auto`` chose, their kind and why (one line, for the log and ``sync.json``)."""

    features: list[Features]
    kind: str
    reason: str


def choose_features(
    paths: list[str | Path],
    *,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    failures: list[str] | None = None,
    min_person_share: float = MIN_PERSON_SHARE,
    fps: float | None = None,
) -> FeatureChoice:
    """Extract pose for every clip; keep it if each clip shows a person in more than ``min_person_share`` of its
    frames, otherwise extract the appearance features instead. ``fps`` samples the clips (every extractor's option).
    It runs the pose model (mediapipe), so on clips of one golfer::

        choice = choose_features(["a.mp4", "b.mp4"])
        choice.kind, choice.reason  # ('pose', 'pose: one person in at least 97% of the frames of every clip')
    """
    settled = _settled_by_sample(paths, CLEARLY_NOBODY * min_person_share)
    if settled is not None:
        log.info("%s", settled)
        features = extract_features(paths, kind="appearance", cache_dir=cache_dir, progress=progress,
                                    failures=failures, fps=fps)
        return FeatureChoice(features, "appearance", settled)
    pose = extract_features(paths, kind="pose", min_detected=0.0, cache_dir=cache_dir, progress=progress,
                            failures=failures, fps=fps)
    if not pose:
        return FeatureChoice([], "pose", "pose: no usable clip")
    shares = [f.meta["detected"] / f.num_frames for f in pose]
    worst = min(range(len(pose)), key=shares.__getitem__)
    crowd = max(range(len(pose)), key=lambda i: pose[i].meta.get("several_people", 0.0))
    several = pose[crowd].meta.get("several_people", 0.0)
    if shares[worst] > min_person_share and several < SEVERAL_PEOPLE:
        reason = f"pose: one person in at least {shares[worst]:.0%} of the frames of every clip"
        return FeatureChoice(pose, "pose", reason)
    if shares[worst] > min_person_share:
        reason = (f"appearance: several people in {pose[crowd].path.name} (a second person in {several:.0%} of the "
                  "frames checked); pose follows one person and may follow different people in different clips "
                  "(--features pose to use it anyway)")
    else:
        low = pose[worst]
        reason = (f"appearance: pose found a person in only {low.meta['detected']} of {low.num_frames} frames of "
                  f"{low.path.name} (pose needs more than {min_person_share:.0%} in every clip)")
    log.info("%s", reason)
    features = extract_features([f.path for f in pose], kind="appearance", cache_dir=cache_dir, progress=progress,
                                failures=failures, fps=fps)
    return FeatureChoice(features, "appearance", reason)


def _settled_by_sample(paths: list[str | Path], nobody: float) -> str | None:
    """The reason to choose appearance without a pose pass, when a clip's sample shows a person in at most
    ``nobody`` of its frames or several people. None when no sample settles it: the clips are sampled in order until
    one shows ONE person in ``CLEARLY_ONE`` of its frames (then the full pass decides, and a sample of every clip
    would only add to it), or a clip is an image folder or cannot be read (the full pass decides and reports)."""
    if any(is_image_folder(path) for path in paths):
        return None
    try:
        for sample in sample_people(paths):
            if sample.person <= nobody:
                return (f"appearance: pose found a person in only {round(sample.person * sample.frames)} of "
                        f"{sample.frames} frames spread over {sample.path.name} (pose needs one person in most frames)")
            if sample.several >= CLEARLY_SEVERAL:
                return (f"appearance: several people in {sample.path.name} (a second person in {sample.several:.0%} "
                        f"of the frames checked of {sample.frames} spread over it); pose follows one person and may "
                        "follow different people in different clips (--features pose to use it anyway)")
            if sample.person >= CLEARLY_ONE and sample.several == 0:
                return None
    except InputError:
        return None
    return None

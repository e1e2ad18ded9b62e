"""``features="auto"``, the default of :func:`mvsync.sync` (issue 13): pose when a person is found in most frames of
every clip, otherwise appearance, which works on any content (a ball throw, a puck on a table).

Pose is extracted once, for the choice, and kept when chosen (and cached either way), so choosing costs nothing
more than pose itself when the clips show people.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..types import Features
from .extract import extract_features

log = logging.getLogger(__name__)

MIN_PERSON_SHARE = 0.5  # pose is chosen when every clip shows a person in more than this share of its frames


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

    >>> choice = choose_features(["a.mp4", "b.mp4"])  # doctest: +SKIP
    >>> choice.kind, choice.reason  # doctest: +SKIP
    ('pose', 'pose: a person in at least 97% of the frames of every clip')
    """
    pose = extract_features(paths, kind="pose", min_detected=0.0, cache_dir=cache_dir, progress=progress,
                            failures=failures, fps=fps)
    if not pose:
        return FeatureChoice([], "pose", "pose: no usable clip")
    shares = [f.meta["detected"] / f.num_frames for f in pose]
    worst = min(range(len(pose)), key=shares.__getitem__)
    if shares[worst] > min_person_share:
        reason = f"pose: a person in at least {shares[worst]:.0%} of the frames of every clip"
        return FeatureChoice(pose, "pose", reason)
    low = pose[worst]
    reason = (f"appearance: pose found a person in only {low.meta['detected']} of {low.num_frames} frames of "
              f"{low.path.name} (pose needs more than {min_person_share:.0%} in every clip)")
    log.info("%s", reason)
    features = extract_features([f.path for f in pose], kind="appearance", cache_dir=cache_dir, progress=progress,
                                failures=failures, fps=fps)
    return FeatureChoice(features, "appearance", reason)

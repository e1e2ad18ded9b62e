"""A generic multi-video sync dataset (Gen-MVS style): videos, each with one JSON annotation beside it.

On-disk layout (subfolders allowed; a clip's name is its path below ROOT without extension)::

    ROOT/golf/swing_01.mp4
    ROOT/golf/swing_01.json
    ROOT/squat/s_07.mov
    ROOT/squat/s_07.json

Annotation file (frame indices are 0-based frames of that video; ``null`` = not annotated)::

    {
      "action": "golf_swing",                      required: the action class
      "start": 12,                                 optional: first frame of the action
      "key_events": {"top": 40, "impact": 55},     optional: named key events, or a list
                                                   [40, 55] (named key_1, key_2, ...)
      "end": 80,                                   optional: last frame of the action
      "split": "train",                            optional (default "all")
      "phases": [0, 0, 1, 1, ...]                  optional: per-frame phase labels
    }

The clip's events are, in this order, ``start``, the key events, ``end`` (those present);
they must not decrease. Every JSON must have a video with the same stem in its folder.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import InputError
from .base import DATASETS, Clip, check_root, filter_clips, find_video
from .phases import as_phase_array

LAYOUT = "ROOT/**/<name>.mp4 each with ROOT/**/<name>.json (gen_mvs)"


@DATASETS.register("gen_mvs")
class GenMVS:
    """Clips from a folder of videos with one JSON annotation each (the layout above)::

        clips = GenMVS("my_videos").clips(action="golf_swing")
    """

    def __init__(self, root: str | Path) -> None:
        self.root = check_root(root, LAYOUT)
        self._clips: list[Clip] | None = None

    def clips(self, *, split: str | None = None, action: str | None = None) -> list[Clip]:
        """Every annotated clip (sorted by name), optionally of one split and/or action."""
        if self._clips is None:
            annotations = sorted(self.root.rglob("*.json"))
            if not annotations:
                raise InputError(f"{self.root}: no .json annotations; expected {LAYOUT}")
            self._clips = [read_annotation(path, self.root) for path in annotations]
        return filter_clips(self._clips, split, action)


def read_annotation(path: Path, root: Path) -> Clip:
    """One clip from its JSON annotation (format in the module docstring)."""
    data = _load_json(path)
    video = find_video(path.parent, path.stem)
    if video is None:
        raise InputError(f"{path}: no video named {path.stem}.* beside it")
    if not isinstance(data.get("action"), str) or not data["action"]:
        raise InputError(f"{path}: missing 'action' (a non-empty string)")
    labels = as_phase_array(data["phases"], f"{path}: phases") if data.get("phases") is not None else None
    return Clip(
        name=path.relative_to(root).with_suffix("").as_posix(),
        action=data["action"],
        split=str(data.get("split", "all")),
        num_frames=None if labels is None else len(labels),
        video_path=video,
        labels=labels,
        events=_events(data, path),
    )


def _events(data: dict[str, Any], path: Path) -> dict[str, float]:
    keys = data.get("key_events", {})
    if isinstance(keys, list):
        keys = {f"key_{i + 1}": v for i, v in enumerate(keys)}
    if not isinstance(keys, dict):
        raise InputError(f"{path}: key_events must be a list of frames or an object of name: frame")
    start = {"start": data["start"]} if "start" in data else {}
    end = {"end": data["end"]} if "end" in data else {}
    named = {**start, **keys, **end}
    events = {name: _frame(value, f"{path}: {name}") for name, value in named.items()}
    present = [(n, f) for n, f in events.items() if not math.isnan(f)]
    for (a, fa), (b, fb) in zip(present, present[1:]):
        if fb < fa:
            raise InputError(f"{path}: event {b} (frame {fb:g}) comes before {a} (frame {fa:g})")
    return events


def _frame(value: Any, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise InputError(f"{where}: expected a frame index >= 0 or null, got {value!r}")
    return float(value)


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data

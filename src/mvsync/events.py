"""Key events: a moment marked once in one clip, carried to every clip through the sync map (issue 10, section 4).

Like :mod:`mvsync.result`, any stage may import this module. An :class:`Event` is made by
:meth:`mvsync.result.SyncResult.with_event` and saved in ``sync.json`` under ``"events"``::

    {"name": "impact", "clip": 1, "time_s": 2.5,      # marked in clip 1 (index into "videos") at 2.5 s
     "timeline_s": 2.52,                               # the same moment on the common timeline
     "clip_times_s": [2.48, 2.5, null]}               # every clip's matching time; null: no content there
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class Event:
    """A named moment of one clip and where it falls in every clip and on the timeline."""

    name: str  # what the user called it ("impact"); unique within a result
    clip: int  # the clip it was marked in (index into SyncResult.videos)
    time_s: float  # the marked moment, seconds from that clip's start
    timeline_s: float  # the same moment on the common timeline, seconds
    clip_times_s: tuple[float, ...]  # each clip's matching time in seconds, NaN where a clip has no content there

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clip": self.clip,
            "time_s": round(self.time_s, 6),
            "timeline_s": round(self.timeline_s, 6),
            "clip_times_s": [None if not math.isfinite(t) else round(t, 6) for t in self.clip_times_s],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Event":
        """Raises ``KeyError``, ``TypeError`` or ``ValueError`` on a malformed entry (the caller names the file)."""
        return cls(
            name=str(data["name"]),
            clip=int(data["clip"]),
            time_s=float(data["time_s"]),
            timeline_s=float(data["timeline_s"]),
            clip_times_s=tuple(math.nan if t is None else float(t) for t in data["clip_times_s"]),
        )


def check_event_name(name: str, taken: list[str]) -> None:
    """An event name is a non-empty single line, not used by another event of the same result."""
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise ConfigError(f"name: expected a non-empty one-line event name, got {name!r}")
    if name in taken:
        raise ConfigError(f"name: an event named {name!r} already exists; choose another name")


def events_near(events: tuple[Event, ...], time_s: float, window_s: float) -> list[str]:
    """Names of the events whose timeline time is within ``window_s`` seconds of ``time_s``.

    >>> events_near((Event("impact", 0, 1.0, 1.2, (1.0,)),), 1.0, 0.5)
    ['impact']
    """
    return [e.name for e in events if np.isfinite(e.timeline_s) and abs(e.timeline_s - time_s) <= window_s]

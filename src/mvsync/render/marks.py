"""Marks: the lines, angles and notes a coach draws on one clip at one moment of the common timeline.

They live in ``marks.json`` beside ``sync.json`` (the player saves it there when served by ``mvsync serve``, or
downloads it under file://), are shown by the player from their moment for ``hold_s`` seconds, and are burnt into
``synced.mp4``, ``pair.mp4`` and ``ghost.mp4`` with ``mvsync render --marks marks.json``. Points are in normalised
image coordinates of the clip's picture (0-1 left to right, top to bottom), so a mark stays on the body whatever the
size it is shown at::

    {"version": 1, "marks": [{"clip": 0, "timeline_s": 1.2, "kind": "angle", "points": [[0.4, 0.3], [0.5, 0.6],
     [0.7, 0.6]], "text": "", "hold_s": 1.0}]}

>>> mark = Mark(clip=0, timeline_s=1.0, kind="angle", points=((0.0, 0.0), (0.0, 1.0), (1.0, 1.0)))
>>> round(mark.degrees(), 1)  # at the middle point, in the picture's pixels (a square one here)
90.0
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..atomic import atomic_write
from ..errors import InputError, OutputExistsError

MARKS_FILE = "marks.json"
HOLD_S = 1.0  # a mark is shown this long from its moment (the player and the videos alike)
POINTS = {"line": 2, "angle": 3, "text": 1}  # how many points each kind of mark has
COLOR = (255, 214, 0)  # marks are drawn in yellow, over every clip's colours


@dataclass(frozen=True)
class Mark:
    """One mark on clip ``clip`` (index into ``sync.json``'s videos) at ``timeline_s`` on the common timeline."""

    clip: int
    timeline_s: float
    kind: str  # "line", "angle" (the angle at the middle point is written beside it) or "text"
    points: tuple[tuple[float, float], ...]  # normalised image coordinates
    text: str = ""
    hold_s: float = HOLD_S

    def shown_at(self, timeline_s: float) -> bool:
        """Whether the mark is on screen at ``timeline_s`` (from its moment, for ``hold_s``)."""
        return self.timeline_s - 1e-6 <= timeline_s <= self.timeline_s + self.hold_s

    def degrees(self, size: tuple[int, int] = (1, 1)) -> float:
        """An angle mark's angle at its middle point, measured in a picture of ``size`` pixels."""
        (ax, ay), (bx, by), (cx, cy) = [(x * size[0], y * size[1]) for x, y in self.points]
        u, v = (ax - bx, ay - by), (cx - bx, cy - by)
        norms = math.hypot(*u) * math.hypot(*v)
        if norms == 0:
            return float("nan")
        return math.degrees(math.acos(max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1]) / norms))))


def check_mark(raw: Any, n_clips: int, where: str) -> Mark:
    """A :class:`Mark` from its JSON form, or :class:`InputError` saying what is wrong at ``where``."""
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected an object with clip, timeline_s, kind and points")
    try:
        clip, time_s, kind = raw["clip"], float(raw["timeline_s"]), raw["kind"]
        points = tuple((float(x), float(y)) for x, y in raw["points"])
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"{where}: expected clip, timeline_s, kind and points [[x, y], ...] ({err!r})") from None
    if kind not in POINTS:
        raise InputError(f"{where}: kind {kind!r}: expected one of {', '.join(POINTS)}")
    if len(points) != POINTS[kind]:
        raise InputError(f"{where}: a {kind} mark has {POINTS[kind]} points, got {len(points)}")
    if isinstance(clip, bool) or not isinstance(clip, int) or not 0 <= clip < n_clips:
        raise InputError(f"{where}: clip {clip!r} is not one of the {n_clips} clips (0..{n_clips - 1})")
    if not all(math.isfinite(v) for p in points for v in p) or not math.isfinite(time_s):
        raise InputError(f"{where}: points and timeline_s must be finite numbers")
    hold = float(raw.get("hold_s", HOLD_S))
    if not 0 <= hold <= 3600:
        raise InputError(f"{where}: hold_s {hold} is not 0..3600 seconds")
    return Mark(clip, time_s, kind, points, str(raw.get("text", "")), hold)


def load_marks(path: str | Path, n_clips: int) -> tuple[Mark, ...]:
    """The marks of a ``marks.json`` for a result of ``n_clips`` clips; :class:`InputError` naming the file and the
    mark at fault."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a marks file ({err})") from None
    marks = data.get("marks") if isinstance(data, dict) else None
    if not isinstance(marks, list):
        raise InputError(f"{path}: expected {{\"marks\": [...]}}")
    return tuple(check_mark(raw, n_clips, f"{path}: mark {i}") for i, raw in enumerate(marks))


def save_marks(marks: tuple[Mark, ...] | list[Mark], path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``marks`` to ``path`` atomically (an existing file only with ``overwrite``)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    with atomic_write(path) as handle:
        json.dump({"version": 1, "marks": [marks_record(m) for m in marks]}, handle, indent=1)
    return path


def marks_record(mark: Mark) -> dict:
    """A mark as JSON (``marks.json``, the player's data)."""
    record = asdict(mark)
    record["points"] = [list(p) for p in mark.points]
    return record


def draw_marks(draw, marks: tuple[Mark, ...], clip: int, timeline_s: float, origin: tuple[int, int],
               size: tuple[int, int], font) -> None:
    """Draw clip ``clip``'s marks shown at ``timeline_s`` with a PIL ``draw`` onto the clip's picture, which lies at
    ``origin`` with ``size`` pixels."""
    for mark in marks:
        if mark.clip != clip or not mark.shown_at(timeline_s):
            continue
        xy = [(origin[0] + x * size[0], origin[1] + y * size[1]) for x, y in mark.points]
        if mark.kind in ("line", "angle"):
            draw.line(xy, fill=COLOR, width=3, joint="curve")
            for x, y in xy:
                draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=COLOR)
        label = f"{mark.degrees(size):.0f} deg" if mark.kind == "angle" else mark.text
        if label:
            x, y = xy[1] if mark.kind == "angle" else xy[0]
            draw.text((x + 6, y - 16), label, fill=COLOR, font=font, stroke_width=2, stroke_fill=(0, 0, 0))

"""``SyncResult``: the synchronization contract, saved as ``sync.json`` (format version 1).

Like :mod:`mvsync.types`, any stage may import this module.

Format::

    {"version": 1, "method": "dtw", "features": "pose",
     "timeline": {"fps": 25.0, "length": 250},
     "videos": [{"path": "a.mp4", "fps": 25.0, "num_frames": 250,
                 "source_time": [0.0, 0.04, ...],    # seconds, one per timeline frame, or null
                 "source_frame": [0.0, 1.0, ...]}],  # the same moment as a fractional frame index
     "events": [{"name": "impact", "clip": 0, "time_s": 2.5, "timeline_s": 2.5,   # optional (issue 10):
                 "clip_times_s": [2.5, ...]}],                                   # see mvsync.events
     "base_dir": "/home/me/golf"}   # optional: the folder relative video paths were given from

A relative video path is kept as it was given. ``save`` records the working folder it was given from
(``base_dir``), so :meth:`SyncResult.load` finds the clips again from any other working folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write
from .errors import ConfigError, InputError, OutputExistsError
from .events import Event, check_event_name

FORMAT_VERSION = 1


@dataclass(frozen=True)
class VideoTrack:
    """Where one video is at each step of the common timeline."""

    path: str
    fps: float
    num_frames: int
    source_time: np.ndarray  # (T,) float seconds, NaN where the video has no content
    source_frame: np.ndarray  # (T,) fractional frame index, NaN where the video has no content


@dataclass(frozen=True)
class SyncResult:
    """Every video mapped onto one timeline of ``length`` frames at ``fps``.

    >>> result = SyncResult.load("out/sync.json")
    >>> round(float(result.map_time(2.0, 0, 1)), 2)  # the time in clip 1 showing what clip 0 shows at 2 s
    2.74
    """

    method: str
    features: str
    fps: float
    length: int
    videos: list[VideoTrack]
    extra: dict[str, Any] = field(default_factory=dict)  # method details (reference, costs...), saved as-is
    events: tuple[Event, ...] = ()  # key moments carried to every clip (see with_event), saved as "events"

    def __post_init__(self) -> None:
        for track in self.videos:
            if track.source_frame.shape != (self.length,) or track.source_time.shape != (self.length,):
                raise ValueError(f"{track.path}: track length does not match the timeline ({self.length})")
        for event in self.events:
            if len(event.clip_times_s) != len(self.videos) or not 0 <= event.clip < len(self.videos):
                raise ValueError(f"event {event.name!r}: does not match the {len(self.videos)} videos")

    @property
    def timeline_s(self) -> np.ndarray:
        return np.arange(self.length) / self.fps

    def map_time(self, time_s: float | np.ndarray, i: int, j: int) -> float | np.ndarray:
        """The time in video ``j`` that matches ``time_s`` in video ``i`` (NaN outside j's content)."""
        step = self._timeline_step(self.videos[i].source_time, time_s, self.clip_end_s(i))
        return _sample(self.videos[j].source_time, step)

    def clip_end_s(self, i: int) -> float:
        """The last moment of video ``i`` that can be mapped: its last frame's time, in seconds."""
        track = self.videos[i]
        return float(max(np.nanmax(track.source_time), (track.num_frames - 1) / track.fps))

    def transfer(self, time_s: float, from_clip: int) -> np.ndarray:
        """The moment ``time_s`` of clip ``from_clip`` in every clip: ``(n_videos,)`` seconds, NaN where a clip has
        no content there (it starts later or ends sooner); ``from_clip``'s own entry is ``time_s``.

        >>> result = SyncResult.load("out/sync.json")
        >>> result.transfer(2.5, 1).round(2)  # what clip 1 shows at 2.5 s, in clips 0, 1, 2
        array([1.81, 2.5 , 1.57])
        """
        time_s = self._check_clip_time(time_s, from_clip)
        times = np.array([self.map_time(time_s, from_clip, j) for j in range(len(self.videos))], dtype=float)
        times[from_clip] = time_s  # exact, where the map would round through the timeline
        return times

    def timeline_time(self, time_s: float, from_clip: int) -> float:
        """Where the moment ``time_s`` of clip ``from_clip`` falls on the common timeline, in seconds."""
        time_s = self._check_clip_time(time_s, from_clip)
        step = self._timeline_step(self.videos[from_clip].source_time, time_s, self.clip_end_s(from_clip))
        return float(step) / self.fps

    def with_event(self, name: str, clip: int, time_s: float) -> "SyncResult":
        """A copy of this result with one more event: ``name`` marked at ``time_s`` seconds of clip ``clip``
        (an index into ``videos``) and carried to the timeline and every clip.

        >>> result = SyncResult.load("out/sync.json").with_event("impact", 1, 2.5)
        >>> event = result.events[-1]
        >>> event.name, round(event.timeline_s, 2), [round(t, 2) for t in event.clip_times_s]
        ('impact', 1.81, [1.81, 2.5, 1.57])
        """
        check_event_name(name, [e.name for e in self.events])
        time_s = self._check_clip_time(time_s, clip, clip_name="clip")
        times = self.transfer(time_s, clip)
        event = Event(name, clip, float(time_s), self.timeline_time(time_s, clip), tuple(float(t) for t in times))
        return replace(self, events=(*self.events, event))

    def propagate(self, labels: np.ndarray | list, from_clip: int) -> list[np.ndarray]:
        """Per-frame labels of clip ``from_clip`` carried to every clip through the sync map (TPL's ``apply_warp``
        use, issue 11): each frame of clip ``j`` takes the label of the frame of ``from_clip`` that shows the same
        moment (the nearest one). A frame outside ``from_clip``'s content (before it starts or after it ends on
        the timeline) takes its first or last label. ``from_clip``'s own entry is ``labels`` unchanged.

        >>> result = SyncResult.load("out/sync.json")
        >>> phases = result.propagate([0] * 40 + [1] * 60, from_clip=0)  # clip 0's 100 frames: two phases
        >>> [p.shape for p in phases]  # one label per frame of each clip
        [(100,), (131,), (83,)]
        >>> [int(p.argmax()) for p in phases]  # the first frame of phase 1 in each clip
        [40, 56, 35]
        """
        self._check_clip(from_clip, "from_clip")
        labels = np.asarray(labels)
        source = self.videos[from_clip]
        if labels.ndim != 1 or len(labels) != source.num_frames:
            raise InputError(f"labels: {labels.shape[0] if labels.ndim else 0} labels for the {source.num_frames} "
                             f"frames of clip {from_clip} ({source.path}); give one label per frame")
        out = []
        for j in range(len(self.videos)):
            frames = self.frame_map(j, from_clip)  # (L_j,) fractional frames of from_clip, NaN outside its content
            held = _hold_ends(frames)
            out.append(labels.copy() if j == from_clip else labels[np.clip(np.rint(held), 0, len(labels) - 1).astype(int)])
        return out

    def _check_clip(self, clip: int, clip_name: str) -> None:
        if isinstance(clip, bool) or not isinstance(clip, (int, np.integer)) or not 0 <= clip < len(self.videos):
            n = len(self.videos)
            raise ConfigError(f"{clip_name}: {clip!r} is out of range for {n} videos (0..{n - 1})")

    def _check_clip_time(self, time_s: float, clip: int, *, clip_name: str = "from_clip") -> float:
        """``time_s`` as a float, within clip ``clip``; errors name the caller's parameters."""
        self._check_clip(clip, clip_name)
        try:
            time_s = float(time_s)
        except (TypeError, ValueError):
            raise ConfigError(f"time_s: expected seconds (a number), got {time_s!r}") from None
        end_s = self.clip_end_s(clip)
        if not 0.0 <= time_s <= end_s:
            path = self.videos[clip].path
            raise ConfigError(f"time_s: {time_s:g} s is outside clip {clip} ({path}: 0 to {end_s:.3f} s)")
        return time_s

    def frame_map(self, i: int, j: int) -> np.ndarray:
        """For every frame of video ``i``, the matching fractional frame of video ``j``."""
        track = self.videos[i]
        step = self._timeline_step(track.source_frame, np.arange(track.num_frames, dtype=float), track.num_frames - 1)
        return _sample(self.videos[j].source_frame, step)

    def _timeline_step(self, track: np.ndarray, value: float | np.ndarray, end: float) -> float | np.ndarray:
        """Timeline step showing ``value`` of a clip (time or frame). Values of the clip before its first mapped
        moment (or after its last) map to the first (last) step; values outside ``[0, end]`` are NaN."""
        finite = np.flatnonzero(np.isfinite(track))
        xs, steps = track[finite], finite.astype(float)
        keep = np.concatenate([[True], np.diff(xs) > 0])  # a flat stretch maps to its first step
        step = np.interp(value, xs[keep], steps[keep])
        outside = (np.asarray(value) < 0) | (np.asarray(value) > end)
        return np.where(outside, np.nan, step) if np.ndim(step) else (np.nan if outside else float(step))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "method": self.method,
            "features": self.features,
            "timeline": {"fps": self.fps, "length": self.length},
            "videos": [
                {
                    "path": t.path,
                    "fps": t.fps,
                    "num_frames": t.num_frames,
                    "source_time": _to_list(t.source_time, 6),
                    "source_frame": _to_list(t.source_frame, 4),
                }
                for t in self.videos
            ],
            **({"extra": self.extra} if self.extra else {}),
            **({"events": [e.to_dict() for e in self.events]} if self.events else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "sync.json") -> "SyncResult":
        if data.get("version") != FORMAT_VERSION:
            raise InputError(f"{source}: unsupported sync.json version {data.get('version')!r} (expected {FORMAT_VERSION})")
        try:
            videos = [
                VideoTrack(
                    path=v["path"],
                    fps=float(v["fps"]),
                    num_frames=int(v["num_frames"]),
                    source_time=_from_list(v["source_time"]),
                    source_frame=_from_list(v["source_frame"]),
                )
                for v in data["videos"]
            ]
            return cls(
                method=data["method"],
                features=data["features"],
                fps=float(data["timeline"]["fps"]),
                length=int(data["timeline"]["length"]),
                videos=videos,
                extra=data.get("extra", {}),
                events=tuple(Event.from_dict(e) for e in data.get("events", [])),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"{source}: malformed sync.json ({type(err).__name__}: {err})") from None

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write ``sync.json`` atomically (temporary file, then rename)."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{path}: already exists")
        data = self.to_dict()
        if any(not Path(t.path).is_absolute() for t in self.videos):
            data["base_dir"] = os.getcwd()  # where the relative paths start (see load)
        with atomic_write(path) as handle:
            handle.write(json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "SyncResult":
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InputError(f"{path}: not valid JSON ({err})") from None
        result = cls.from_dict(data, source=str(path))
        base = data.get("base_dir")
        if not isinstance(base, str):
            return result
        return replace(result, videos=[replace(t, path=_found_from(t.path, Path(base))) for t in result.videos])


def _found_from(path: str, base: Path) -> str:
    """A relative ``path`` as given, where it exists from here; else from ``base`` (the folder it was given from),
    where it exists there; else as given (its reader then says it is missing)."""
    if Path(path).is_absolute() or Path(path).exists() or not (base / path).exists():
        return path
    return str(base / path)


def _sample(track: np.ndarray, step: float | np.ndarray) -> float | np.ndarray:
    steps = np.arange(len(track), dtype=float)
    finite = np.isfinite(track)
    out = np.interp(step, steps[finite], track[finite], left=np.nan, right=np.nan)
    return float(out) if np.ndim(out) == 0 else out


def _hold_ends(values: np.ndarray) -> np.ndarray:
    """NaN before the first finite value and after the last replaced by those values (all NaN: zeros)."""
    finite = np.flatnonzero(np.isfinite(values))
    if not len(finite):
        return np.zeros_like(values)
    out = values.copy()
    out[: finite[0]], out[finite[-1] + 1 :] = values[finite[0]], values[finite[-1]]
    return out


def _to_list(values: np.ndarray, digits: int) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), digits) for v in values]


def _from_list(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


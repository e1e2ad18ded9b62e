"""``SyncResult``: the synchronization contract, saved as ``sync.json`` (format version 1).

Like :mod:`mvsync.types`, any stage may import this module.

Format::

    {"version": 1, "method": "dtw", "features": "pose",
     "timeline": {"fps": 25.0, "length": 250},
     "videos": [{"path": "a.mp4", "fps": 25.0, "num_frames": 250,
                 "source_time": [0.0, 0.04, ...],    # seconds, one per timeline frame, or null
                 "source_frame": [0.0, 1.0, ...]}]}  # the same moment as a fractional frame index
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write
from .errors import InputError, OutputExistsError

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

    >>> result = SyncResult.load("out/sync.json")  # doctest: +SKIP
    >>> result.map_time(2.0, 0, 1)  # the time in clip 1 showing what clip 0 shows at 2 s  # doctest: +SKIP
    """

    method: str
    features: str
    fps: float
    length: int
    videos: list[VideoTrack]
    extra: dict[str, Any] = field(default_factory=dict)  # method details (reference, costs...), saved as-is

    def __post_init__(self) -> None:
        for track in self.videos:
            if track.source_frame.shape != (self.length,) or track.source_time.shape != (self.length,):
                raise ValueError(f"{track.path}: track length does not match the timeline ({self.length})")

    @property
    def timeline_s(self) -> np.ndarray:
        return np.arange(self.length) / self.fps

    def map_time(self, time_s: float | np.ndarray, i: int, j: int) -> float | np.ndarray:
        """The time in video ``j`` that matches ``time_s`` in video ``i`` (NaN outside j's content)."""
        track = self.videos[i]
        end_s = max(np.nanmax(track.source_time), (track.num_frames - 1) / track.fps)
        step = self._timeline_step(track.source_time, time_s, end_s)
        return _sample(self.videos[j].source_time, step)

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
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"{source}: malformed sync.json ({type(err).__name__}: {err})") from None

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write ``sync.json`` atomically (temporary file, then rename)."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{path}: already exists")
        with atomic_write(path) as handle:
            handle.write(json.dumps(self.to_dict(), indent=1))
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
        return cls.from_dict(data, source=str(path))


def _sample(track: np.ndarray, step: float | np.ndarray) -> float | np.ndarray:
    steps = np.arange(len(track), dtype=float)
    finite = np.isfinite(track)
    out = np.interp(step, steps[finite], track[finite], left=np.nan, right=np.nan)
    return float(out) if np.ndim(out) == 0 else out


def _to_list(values: np.ndarray, digits: int) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), digits) for v in values]


def _from_list(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


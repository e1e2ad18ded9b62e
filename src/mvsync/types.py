"""Frozen dataclasses passed between the stages: io -> features -> align -> sync -> render."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What a container says about its video stream (see :func:`mvsync.io.probe`)."""

    path: Path
    fps: float  # average frames per second
    num_frames: int  # decodable video frames (counted, not guessed, when the container does not say)
    duration_s: float
    width: int  # as displayed: the container's rotation (phone clips) applied
    height: int
    has_audio: bool
    codec: str
    rotation: int = 0  # degrees counter-clockwise (0, 90, 180, 270) the decoder's pictures are turned for display


@dataclass(frozen=True)
class Frame:
    """One decoded frame."""

    image: np.ndarray  # (H, W, 3) uint8 RGB
    time_s: float  # presentation time in seconds from the stream start
    index: int  # 0-based decode order


FRAMES = "frames"  # the Features.kind of a clip's raw pixels: no values (L, 0); the frames are read from ``path``


@dataclass(frozen=True)
class Features:
    """Per-frame features of one video: ``values[t]`` describes the frame shown at ``times_s[t]``."""

    values: np.ndarray  # (L, C) float32; rows of invalid frames are finite but meaningless
    valid: np.ndarray  # (L,) bool; False where the extractor saw nothing usable (e.g. no person)
    times_s: np.ndarray  # (L,) float64 presentation times
    kind: str  # extractor name, e.g. "pose"
    path: Path
    fps: float
    meta: dict[str, Any] = field(default_factory=dict)  # extractor report (e.g. interpolated frame count)

    def __post_init__(self) -> None:
        n = len(self.values)
        assert self.values.ndim == 2 and self.valid.shape == (n,) and self.times_s.shape == (n,)

    @property
    def num_frames(self) -> int:
        return len(self.values)

    @property
    def num_channels(self) -> int:
        return self.values.shape[1]

    @classmethod
    def frames_of(cls, path: Path, times_s: np.ndarray, fps: float) -> "Features":
        """The :data:`FRAMES` stand-in for a clip whose pixels feed the model directly (TCC's frame encoders)."""
        n = len(times_s)
        return cls(np.zeros((n, 0), np.float32), np.ones(n, bool), np.asarray(times_s, float), FRAMES, Path(path), fps)

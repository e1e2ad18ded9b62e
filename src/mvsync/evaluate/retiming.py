"""Known retimings of a real clip: exact ground truth for synchronization.

A retimed copy shows, at each of its frames, a known frame of the source clip ("content
frame"). After synchronization, two clips are in sync at a timeline step when they show the
same content frame; the error is the difference, in source-clip frames.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..io import VideoWriter, probe, read_frames
from ..result import SyncResult


@dataclass(frozen=True)
class Retiming:
    """A monotone time warp applied to a source clip."""

    tempo: float = 1.0  # source frames per output frame (1.25 plays faster)
    lead_in: int = 0  # frames frozen on the first source frame before the motion starts
    tail: int = 0  # frames frozen on the last source frame after it ends
    ease: float = 0.0  # in [-0.9, 0.9]: a smooth speed change along the clip (0: constant tempo)
    pause: int = 0  # frames frozen mid-motion, at ``pause_at`` of the way through the source
    pause_at: float = 0.5

    def content_frames(self, num_source: int) -> np.ndarray:
        """The source frame shown at each output frame (integers, monotone)."""
        return np.round(self.content_times(num_source)).astype(int)

    def content_times(self, num_source: int) -> np.ndarray:
        """The (fractional) source frame shown at each output frame, monotone."""
        n_motion = max(2, int(round((num_source - 1) / self.tempo)) + 1)
        u = np.linspace(0.0, 1.0, n_motion)
        motion = (u + self.ease * u * (1 - u)) * (num_source - 1)  # monotone for |ease| < 1
        if self.pause:
            cut = int(np.searchsorted(motion, self.pause_at * (num_source - 1)))
            motion = np.concatenate([motion[:cut], np.full(self.pause, motion[min(cut, n_motion - 1)]), motion[cut:]])
        return np.concatenate([np.zeros(self.lead_in), motion, np.full(self.tail, num_source - 1.0)])


def retime_values(values: np.ndarray, retiming: Retiming) -> tuple[np.ndarray, np.ndarray]:
    """A retimed copy of a per-frame sequence ``values`` ``(L, C)`` (features, keypoints), read by linear
    interpolation at the retiming's content times; returns ``(copy (L', C), content_times (L',))``."""
    content = retiming.content_times(len(values))
    lower = np.floor(content).astype(int)
    upper = np.minimum(lower + 1, len(values) - 1)
    frac = (content - lower)[:, None]
    return (1 - frac) * values[lower] + frac * values[upper], content


DEMO_RETIMINGS = (
    Retiming(tempo=1.0, lead_in=0),
    Retiming(tempo=0.8, lead_in=12, tail=4),
    Retiming(tempo=1.25, lead_in=5, ease=0.3),
    Retiming(tempo=0.9, lead_in=20, ease=-0.4),
    Retiming(tempo=1.1, lead_in=8, tail=10, ease=0.5),
)

# Six copies that span what performers do: tempo 0.7-1.4x, lead-ins up to 30 frames, a pause early and one late, a
# tail, and speed changes (the known-truth Penn test and the label-propagation benchmark).
VARIED_RETIMINGS = (
    Retiming(1.0),
    Retiming(0.7, lead_in=10),
    Retiming(1.4, lead_in=3, pause=8, pause_at=0.3),
    Retiming(0.85, lead_in=30, ease=0.4),
    Retiming(1.2, tail=25, ease=-0.4),
    Retiming(0.75, lead_in=16, pause=10, pause_at=0.7),
)


def write_retimed(
    source: str | Path,
    out_dir: str | Path,
    retimings: tuple[Retiming, ...] = DEMO_RETIMINGS,
    *,
    size: tuple[int, int] | None = None,
    max_frames: int | None = None,
    crf: int = 0,
    progress: bool = False,
) -> list[tuple[Path, np.ndarray]]:
    """Write one retimed copy of ``source`` per retiming into ``out_dir``.

    Returns ``[(path, content_frames)]``. The source frames are decoded once (the clip
    must be short: it is held in memory) and optionally resized and cut to ``max_frames``.
    ``crf=0`` (x264 lossless, the default) makes the copies' pixels the same on every run: lossy
    x264 is not deterministic across processes (measured: 1 run in 20 decodes differently), which
    would make every figure computed on the copies drift between runs.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = probe(source)
    frames = [f.image for f in itertools.islice(read_frames(source, size=size), max_frames)]
    height, width = frames[0].shape[:2]
    clips = []
    for k, retiming in enumerate(tqdm(retimings, desc="retime", disable=not progress, unit="clip")):
        content = retiming.content_frames(len(frames))
        path = out_dir / f"{Path(source).stem}_{k}_tempo{retiming.tempo:g}.mp4"
        with VideoWriter(path, fps=info.fps, size=(width, height), crf=crf, overwrite=True) as writer:
            for idx in content:
                writer.write(frames[idx])
        clips.append((path, content))
    return clips


def content_error(result: SyncResult, contents: list[np.ndarray], *, reference: int | None = None) -> np.ndarray:
    """Per (timeline step, clip) error in source frames against a reference clip.

    ``contents[i]`` is clip i's content-frame array (from :func:`write_retimed`). Each clip is
    compared with the reference at every timeline step where both have content, using the frame
    a viewer sees (the nearest source frame). Returns a flat array of absolute errors.
    """
    ref = reference if reference is not None else (result.extra.get("reference") or 0)
    ref_content = _shown_content(result.videos[ref].source_frame, contents[ref])
    errors = []
    for i, track in enumerate(result.videos):
        if i == ref:
            continue
        shown = _shown_content(track.source_frame, contents[i])
        both = np.isfinite(shown) & np.isfinite(ref_content)
        errors.append(np.abs(shown[both] - ref_content[both]))
    return np.concatenate(errors)


def _shown_content(source_frame: np.ndarray, content: np.ndarray) -> np.ndarray:
    out = np.full(len(source_frame), np.nan)
    finite = np.isfinite(source_frame)
    idx = np.clip(np.round(source_frame[finite]).astype(int), 0, len(content) - 1)
    out[finite] = content[idx]
    return out

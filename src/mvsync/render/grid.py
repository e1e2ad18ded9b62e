"""Grid video: every clip plays at the common timeline's pace, side by side.

Each clip is read by its own streaming reader; because a track's source frames never go
backwards, every reader only moves forward and memory holds one frame per clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from tqdm.auto import tqdm

from ..errors import ConfigError, InputError
from ..io import VideoWriter, probe, read_audio, read_frames
from ..result import SyncResult, VideoTrack
from ..types import VideoInfo
from .base import WRITERS

LABEL_HEIGHT = 20
BAR_HEIGHT = 8
EMPTY_GRAY = 24


@dataclass(frozen=True)
class GridOptions:
    """How the grid video looks."""

    cell_width: int = 320  # pixels per cell, before the label strip
    cell_height: int | None = None  # None: from the clips' median aspect ratio
    audio: bool = True  # include the reference clip's audio when it has one
    crf: int = 23  # x264 quality (lower is better and larger)


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns for ``n`` cells: as square as possible, wider than tall."""
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


@WRITERS.register("grid")
def render_grid(
    result: SyncResult,
    path: str | Path,
    *,
    options: GridOptions = GridOptions(),
    overwrite: bool = False,
    progress: bool = False,
) -> Path:
    """Write ``path`` (mp4): all clips in a grid, in sync, with names, source times and a progress bar.

    >>> render_grid(SyncResult.load("out/sync.json"), "out/synced.mp4")  # doctest: +SKIP
    """
    infos = [probe(track.path) for track in result.videos]  # once per clip: sizes, audio
    cell = _cell_size(infos, options)
    rows, cols = grid_shape(len(result.videos))
    size = (cols * cell[0], rows * (cell[1] + LABEL_HEIGHT) + BAR_HEIGHT)
    audio = _reference_audio(result, infos) if options.audio else None
    cursors = [_TrackCursor(track, info, cell) for track, info in zip(result.videos, infos)]
    font = ImageFont.load_default(size=13)
    with VideoWriter(path, fps=result.fps, size=size, audio=audio, crf=options.crf, overwrite=overwrite) as writer:
        for step in tqdm(range(result.length), desc="render grid", disable=not progress, unit="frame"):
            canvas = Image.new("RGB", size, (0, 0, 0))
            draw = ImageDraw.Draw(canvas)
            for k, cursor in enumerate(cursors):
                x, y = (k % cols) * cell[0], (k // cols) * (cell[1] + LABEL_HEIGHT)
                canvas.paste(Image.fromarray(cursor.image_at(step)), (x, y + LABEL_HEIGHT))
                draw.text((x + 4, y + 3), cursor.label(step), fill=(235, 235, 235), font=font)
            _draw_progress(draw, size, step, result.length)
            writer.write(np.asarray(canvas))
    return Path(path)


class _TrackCursor:
    """Forward-only access to one clip's frames, letterboxed into a cell."""

    def __init__(self, track: VideoTrack, info: VideoInfo, cell: tuple[int, int]) -> None:
        scale = min(cell[0] / info.width, cell[1] / info.height)
        self.fit = (max(2, int(info.width * scale)), max(2, int(info.height * scale)))
        self.cell = cell
        self.track = track
        self.name = Path(track.path).name
        self._frames: Iterator = read_frames(track.path, size=self.fit)
        self._current = None
        self._blank = np.full((cell[1], cell[0], 3), EMPTY_GRAY, np.uint8)

    def image_at(self, step: int) -> np.ndarray:
        source = self.track.source_frame[step]
        if not np.isfinite(source):
            return self._blank
        target = min(int(round(source)), self.track.num_frames - 1)
        while self._current is None or self._current.index < target:
            nxt = next(self._frames, None)
            if nxt is None:
                break  # a short or truncated file: hold the last frame
            self._current = nxt
        if self._current is None:
            raise InputError(f"{self.track.path}: no frame could be decoded for rendering")
        return self._letterbox(self._current.image)

    def label(self, step: int) -> str:
        time_s = self.track.source_time[step]
        return f"{self.name}  {time_s:6.2f} s" if np.isfinite(time_s) else f"{self.name}  (no content)"

    def _letterbox(self, image: np.ndarray) -> np.ndarray:
        out = np.zeros((self.cell[1], self.cell[0], 3), np.uint8)
        h, w = image.shape[:2]
        y, x = (self.cell[1] - h) // 2, (self.cell[0] - w) // 2
        out[y : y + h, x : x + w] = image
        return out


def _cell_size(infos: list[VideoInfo], options: GridOptions) -> tuple[int, int]:
    if options.cell_width < 16 or (options.cell_height is not None and options.cell_height < 16):
        raise ConfigError(f"cell-size: {options.cell_width}x{options.cell_height} is too small (at least 16x16)")
    height = options.cell_height
    if height is None:
        aspects = [info.height / info.width for info in infos]
        height = options.cell_width * float(np.median(aspects))
    return _even(options.cell_width), _even(height)


def _reference_audio(result: SyncResult, infos: list[VideoInfo]) -> tuple[np.ndarray, int] | None:
    """The sound of the grid: the reference clip's audio, or with no reference (tpl) the first clip that has
    audio, resampled along the clip's track so that it follows the picture at every timeline step (this also
    keeps a variable-frame-rate reference in sync, where steps are not evenly spaced in the clip's time)."""
    ref = result.extra.get("reference")
    order = [ref] if ref is not None else range(len(result.videos))
    source = next((k for k in order if infos[k].has_audio), None)
    if source is None:
        return None
    samples, rate = read_audio(result.videos[source].path)
    return warp_audio(samples, rate, result.videos[source].source_time, result.fps), rate


def warp_audio(samples: np.ndarray, rate: int, source_time: np.ndarray, fps: float) -> np.ndarray:
    """Resample ``samples (N, channels)`` so that output time ``t / fps`` plays the clip at ``source_time[t]``
    (linear interpolation between timeline steps and between samples; silence where the clip has no content)."""
    steps = np.arange(len(source_time))
    finite = np.isfinite(source_time)
    out_times = np.arange(int(round(len(source_time) / fps * rate))) / rate  # (M,) seconds on the timeline
    xs, ys = steps[finite], source_time[finite]
    if len(xs) >= 2:  # the last step lasts one frame too: continue at the last step's pace
        xs, ys = np.append(xs, xs[-1] + 1), np.append(ys, 2 * ys[-1] - ys[-2])
    src = np.interp(out_times * fps, xs, ys)  # (M,) seconds in the clip
    position = np.clip(src * rate, 0, len(samples) - 1)
    lo = np.floor(position).astype(int)
    hi = np.minimum(lo + 1, len(samples) - 1)
    frac = (position - lo)[:, None]
    out = samples[lo] * (1 - frac) + samples[hi] * frac  # (M, channels)
    silent = ~finite[np.minimum((out_times * fps).astype(int), len(source_time) - 1)]
    out[silent] = 0.0
    return out.astype(np.float32)


def _draw_progress(draw: ImageDraw.ImageDraw, size: tuple[int, int], step: int, length: int) -> None:
    top = size[1] - BAR_HEIGHT
    draw.rectangle((0, top, size[0], size[1]), fill=(45, 45, 45))
    filled = int(round(size[0] * (step + 1) / length))
    draw.rectangle((0, top + 2, filled, size[1] - 2), fill=(80, 170, 255))


def _even(value: float) -> int:
    return max(16, int(round(value / 2)) * 2)

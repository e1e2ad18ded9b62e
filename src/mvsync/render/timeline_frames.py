"""Frames along the common timeline, shared by every video writer (grid, pair, ghost, clips): each clip's frame at a
timeline step, letterboxed into a cell; the overlays drawn on top (event labels, progress bar); and the encoding loop
with its progress bar.

A step may be fractional (slow motion plays steps 10, 10.25, 10.5, ...): a clip then shows the source frame nearest
to its map between the two steps, which is a new frame where the clip holds more frames than the timeline there, and
a repeated one where it does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import ImageDraw
from tqdm.auto import tqdm

from ..errors import InputError
from ..events import events_near
from ..io import VideoWriter, read_frames
from ..result import SyncResult, VideoTrack
from ..sync import fill_inside
from ..types import VideoInfo
from .options import GridOptions

EMPTY_GRAY = 24  # a clip with no content at a step (it starts later or ends sooner) shows this flat gray
LABEL_HEIGHT = 20  # the strip above a cell with the clip's name and time
BAR_HEIGHT = 8
EVENT_WINDOW_S = 0.5  # an event's label shows from this long before its timeline time to this long after
EVENT_COLOR = (255, 200, 0)  # the event label's background: amber, readable over any picture
SLOWMO_COLOR = (220, 50, 50)  # the "3x slower" badge's background: red, in the top right corner


def sample_steps(values: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """A per-step track ``values (T,)`` read at the (fractional) timeline ``steps (N,)``: linear between two steps,
    exact at whole steps; NaN where a step, or a neighbour of a fractional one, is NaN (no content).

    >>> sample_steps(np.array([0.0, 2.0, np.nan]), np.array([0.0, 0.5, 1.0, 1.5]))
    array([ 0.,  1.,  2., nan])
    """
    lower = np.floor(steps).astype(int)
    upper = np.minimum(lower + 1, len(values) - 1)
    frac = steps - lower
    a, b = values[lower], values[upper]
    return np.where(frac == 0, a, a + frac * (b - a))


class TrackCursor:
    """Forward-only access to one clip's frames along the timeline, letterboxed into a ``cell`` (width, height).

    Because a track's source frames never go backwards, the reader only moves forward and memory holds one frame.
    """

    def __init__(self, track: VideoTrack, info: VideoInfo, cell: tuple[int, int]) -> None:
        scale = min(cell[0] / info.width, cell[1] / info.height)
        self.fit = (max(2, int(info.width * scale)), max(2, int(info.height * scale)))
        self.cell = cell
        self.track = track
        self.frames = fill_inside(track.source_frame)  # a sync.json with gaps inside a clip: show its frames there
        self.name = Path(track.path).name
        self._frames: Iterator = read_frames(track.path, size=self.fit)
        self._current = None
        self._blank = np.full((cell[1], cell[0], 3), EMPTY_GRAY, np.uint8)

    def source_frame(self, step: float) -> float:
        """The (fractional) source frame the map gives at timeline ``step``; NaN where the clip has no content."""
        return float(sample_steps(self.frames, np.array([step]))[0])

    def image_at(self, step: float) -> np.ndarray:
        """The cell's picture at timeline ``step``: the nearest source frame, or flat gray without content.
        Steps must not go backwards from one call to the next."""
        source = self.source_frame(step)
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
        return letterbox(self._current.image, self.cell)

    def picture(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Where the clip's picture lies in its cell: ``(offset, size)`` in pixels (see :func:`letterbox`)."""
        return ((self.cell[0] - self.fit[0]) // 2, (self.cell[1] - self.fit[1]) // 2), self.fit

    def label(self, step: float) -> str:
        """The clip's name and the time of the frame shown at ``step`` (call after :meth:`image_at`)."""
        if not np.isfinite(self.source_frame(step)):
            return f"{self.name}  (no content)"
        return f"{self.name}  {self._current.time_s:6.2f} s"


def letterbox(image: np.ndarray, cell: tuple[int, int]) -> np.ndarray:
    """``image`` centred on black in a ``cell`` (width, height) at least as large."""
    if image.shape[:2] == (cell[1], cell[0]):
        return image  # a clip at its own size (clips): nothing to add
    out = np.zeros((cell[1], cell[0], 3), np.uint8)
    h, w = image.shape[:2]
    y, x = (cell[1] - h) // 2, (cell[0] - w) // 2
    out[y : y + h, x : x + w] = image
    return out


def cell_size(infos: list[VideoInfo], options: GridOptions) -> tuple[int, int]:
    """Every cell's (width, height), even: the options' width, and their height or the clips' median aspect."""
    height = options.cell_height
    if height is None:
        aspects = [info.height / info.width for info in infos]
        height = options.cell_width * float(np.median(aspects))
    return even(options.cell_width), even(height)


def even(value: float) -> int:
    return max(16, int(round(value / 2)) * 2)


def events_at(result: SyncResult, step: float) -> list[str]:
    """The names of the key events whose label shows at timeline ``step``."""
    return events_near(result.events, step / result.fps, EVENT_WINDOW_S)


def draw_event_label(draw: ImageDraw.ImageDraw, corner: tuple[int, int], names: list[str], font) -> None:
    """The names of the events near this moment in a box at the picture's top-left corner (issue 10, section 4)."""
    if not names:
        return
    text = " / ".join(names)
    left, top, right, bottom = draw.textbbox((corner[0] + 4, corner[1] + 3), text, font=font)
    draw.rectangle((corner[0], corner[1], right + 4, bottom + 3), fill=EVENT_COLOR)
    draw.text((corner[0] + 4, corner[1] + 3), text, fill=(0, 0, 0), font=font)


def slowmo_factor(windows, step: float) -> float | None:
    """How many times slower the video plays at timeline ``step``: the factor of the slow-motion window holding it
    (``windows``: :func:`~mvsync.render.slowmo.slowmo_windows`), None outside every window."""
    return next((w.factor for w in windows if w.first <= step < w.stop), None)


def draw_slowmo_badge(draw: ImageDraw.ImageDraw, width: int, factor: float | None, font) -> None:
    """A "3x slower" badge in the top right corner while a slow-motion window plays (nothing when ``factor`` is
    None)."""
    if factor is None:
        return
    text = f"{factor:g}x slower"
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = width - (right - left) - 8
    draw.rectangle((x - 4, 0, width, bottom + 5), fill=SLOWMO_COLOR)
    draw.text((x, 2), text, fill=(255, 255, 255), font=font)


def draw_progress(draw: ImageDraw.ImageDraw, size: tuple[int, int], step: float, length: int) -> None:
    """A bar along the bottom, filled up to timeline ``step`` of ``length`` (slow motion fills it slower)."""
    top = size[1] - BAR_HEIGHT
    draw.rectangle((0, top, size[0], size[1]), fill=(45, 45, 45))
    filled = int(round(size[0] * (step + 1) / length))
    draw.rectangle((0, top + 2, filled, size[1] - 2), fill=(80, 170, 255))


def encode_timeline(
    path: str | Path,
    steps: np.ndarray,
    frame_at: Callable[[float], np.ndarray],
    *,
    result: SyncResult,
    size: tuple[int, int],
    audio: tuple[np.ndarray, int] | None,
    crf: int,
    overwrite: bool,
    progress: bool,
) -> Path:
    """Write ``path`` (H.264 mp4 at the timeline's rate): one frame ``frame_at(step)`` (RGB, ``size``) per entry of
    ``steps (N,)``, and ``audio`` (``(samples (M, channels), rate)`` or None); a progress bar when ``progress``."""
    with VideoWriter(path, fps=result.fps, size=size, audio=audio, crf=crf, overwrite=overwrite) as writer:
        for step in tqdm(steps, desc=f"render {Path(path).name}", disable=not progress, unit="frame"):
            writer.write(frame_at(float(step)))
    return Path(path)

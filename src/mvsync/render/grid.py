"""Grid video: every clip plays at the common timeline's pace, side by side.

Each clip is read by its own streaming reader; because a track's source frames never go
backwards, every reader only moves forward and memory holds one frame per clip.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from tqdm.auto import tqdm

from ..errors import InputError
from ..events import events_near
from ..io import VideoWriter, probe, read_frames
from ..result import SyncResult, VideoTrack
from ..sync import fill_inside
from ..types import VideoInfo
from .audio import grid_audio
from .base import WRITERS
from .options import GridOptions, RenderOptions, check_grid_options

LABEL_HEIGHT = 20
BAR_HEIGHT = 8
EMPTY_GRAY = 24
EVENT_WINDOW_S = 0.5  # an event's label shows from this long before its timeline time to this long after
EVENT_COLOR = (255, 200, 0)  # the label's background: amber, readable over any picture


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns for ``n`` cells: as square as possible, wider than tall."""
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


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
    check_grid_options(options, infos)
    cell = _cell_size(infos, options)
    rows, cols = grid_shape(len(result.videos))
    size = (cols * cell[0], rows * (cell[1] + LABEL_HEIGHT) + BAR_HEIGHT)
    audio = grid_audio(result, infos, options.audio_from)
    cursors = [_TrackCursor(track, info, cell) for track, info in zip(result.videos, infos)]
    font = ImageFont.load_default(size=13)
    with VideoWriter(path, fps=result.fps, size=size, audio=audio, crf=options.crf, overwrite=overwrite) as writer:
        for step in tqdm(range(result.length), desc="render grid", disable=not progress, unit="frame"):
            canvas = Image.new("RGB", size, (0, 0, 0))
            draw = ImageDraw.Draw(canvas)
            near = events_near(result.events, step / result.fps, EVENT_WINDOW_S)
            for k, cursor in enumerate(cursors):
                x, y = (k % cols) * cell[0], (k // cols) * (cell[1] + LABEL_HEIGHT)
                canvas.paste(Image.fromarray(cursor.image_at(step)), (x, y + LABEL_HEIGHT))
                draw.text((x + 4, y + 3), cursor.label(step), fill=(235, 235, 235), font=font)
                _draw_event_label(draw, (x, y + LABEL_HEIGHT), near, font)
            _draw_progress(draw, size, step, result.length)
            writer.write(np.asarray(canvas))
    return Path(path)


@WRITERS.register("grid")
def write_grid(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
               progress: bool = False) -> list[Path]:
    """The ``grid`` writer: ``out_dir/synced.mp4`` (see :func:`render_grid`)."""
    return [render_grid(result, Path(out_dir) / "synced.mp4", options=options.grid, overwrite=overwrite, progress=progress)]


class _TrackCursor:
    """Forward-only access to one clip's frames, letterboxed into a cell."""

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

    def image_at(self, step: int) -> np.ndarray:
        source = self.frames[step]
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
        source = self.frames[step]
        if not np.isfinite(source):
            return f"{self.name}  (no content)"
        return f"{self.name}  {self._current.time_s:6.2f} s"  # the time of the frame shown

    def _letterbox(self, image: np.ndarray) -> np.ndarray:
        out = np.zeros((self.cell[1], self.cell[0], 3), np.uint8)
        h, w = image.shape[:2]
        y, x = (self.cell[1] - h) // 2, (self.cell[0] - w) // 2
        out[y : y + h, x : x + w] = image
        return out


def _cell_size(infos: list[VideoInfo], options: GridOptions) -> tuple[int, int]:
    height = options.cell_height
    if height is None:
        aspects = [info.height / info.width for info in infos]
        height = options.cell_width * float(np.median(aspects))
    return _even(options.cell_width), _even(height)


def _draw_event_label(draw: ImageDraw.ImageDraw, corner: tuple[int, int], names: list[str], font) -> None:
    """The names of the events near this moment in a box at the picture's top-left corner (issue 10, section 4)."""
    if not names:
        return
    text = " / ".join(names)
    left, top, right, bottom = draw.textbbox((corner[0] + 4, corner[1] + 3), text, font=font)
    draw.rectangle((corner[0], corner[1], right + 4, bottom + 3), fill=EVENT_COLOR)
    draw.text((corner[0] + 4, corner[1] + 3), text, fill=(0, 0, 0), font=font)


def _draw_progress(draw: ImageDraw.ImageDraw, size: tuple[int, int], step: int, length: int) -> None:
    top = size[1] - BAR_HEIGHT
    draw.rectangle((0, top, size[0], size[1]), fill=(45, 45, 45))
    filled = int(round(size[0] * (step + 1) / length))
    draw.rectangle((0, top + 2, filled, size[1] - 2), fill=(80, 170, 255))


def _even(value: float) -> int:
    return max(16, int(round(value / 2)) * 2)

"""Grid video: every clip plays at the common timeline's pace, side by side, with names, source times, key-event
labels and a progress bar; :func:`render_cells` also draws the two-clip ``pair`` video.

The frames are read and encoded by :mod:`mvsync.render.timeline_frames`; slow-motion windows around key events
(:mod:`mvsync.render.slowmo`) play slower, with the sound following them. Every cell holds its clip's decoder and
one frame, so a video shows at most ``GridOptions.max_cells`` clips; more are rendered as pages, one video each,
one after the other: memory is that of one page (issue 12, section 3).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import ConfigError
from ..io import probe
from ..result import SyncResult
from ..types import VideoInfo
from .audio import grid_audio
from .base import WRITERS, writes
from .marks import Mark, draw_marks
from .options import GridOptions, RenderOptions, SlowMo, check_grid_options
from .slowmo import playback_steps, slowmo_windows
from .timeline_frames import (BAR_HEIGHT, LABEL_HEIGHT, TrackCursor, cell_size, draw_event_label, draw_progress,
                              draw_slowmo_badge, slowmo_factor,
                              encode_timeline, events_at)


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns for ``n`` cells: as square as possible, wider than tall."""
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def grid_pages(n: int, max_cells: int) -> list[range]:
    """The clips of each page: ``n`` clips in pages of at most ``max_cells``, as even as possible.

    >>> grid_pages(20, 16)
    [range(0, 10), range(10, 20)]
    """
    count = math.ceil(n / max_cells)
    bounds = [round(k * n / count) for k in range(count + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]


def page_name(k: int) -> str:
    """The file of page ``k`` (0-based): ``synced.mp4``, then ``synced_2.mp4``, ..."""
    return "synced.mp4" if k == 0 else f"synced_{k + 1}.mp4"


def render_grid(
    result: SyncResult,
    path: str | Path,
    *,
    options: GridOptions = GridOptions(),
    slowmo: tuple[SlowMo, ...] = (),
    clips: range | None = None,
    marks: tuple[Mark, ...] = (),
    overwrite: bool = False,
    progress: bool = False,
) -> Path:
    """Write ``path`` (mp4): the clips in a grid, in sync, with names, source times and a progress bar; the windows
    ``slowmo`` around key events play slower; ``marks`` are drawn on their clips while they are shown.

    ``clips`` picks the result's videos to show (default: all), at most ``options.max_cells`` of them (see
    :func:`grid_pages`); the sound follows ``options.audio_from`` whichever clips are shown.

    >>> render_grid(SyncResult.load("out/sync.json"), "out/synced.mp4")
    PosixPath('out/synced.mp4')
    """
    clips = clips if clips is not None else range(len(result.videos))
    if len(clips) > options.max_cells:
        raise ConfigError(f"max_cells: {len(clips)} clips do not fit one grid of {options.max_cells}; render pages "
                          "(grid_pages) or raise max_cells")
    infos = [probe(track.path) for track in result.videos]  # once per clip: sizes, audio
    check_grid_options(options, infos)
    steps = playback_steps(result, slowmo)
    audio = grid_audio(result, infos, options.audio_from, steps)
    return render_cells(result, path, list(clips), infos, steps=steps, audio=audio, options=options,
                        windows=slowmo_windows(result, slowmo), marks=marks,
                        overwrite=overwrite, progress=progress)


@WRITERS.register("grid")
@writes("synced.mp4", "synced_*.mp4")
def write_grid(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
               progress: bool = False) -> list[Path]:
    """The ``grid`` writer: ``out_dir/synced.mp4``, and ``synced_2.mp4``... when the clips fill more than one page
    (see :func:`render_grid` and :func:`grid_pages`)."""
    pages = grid_pages(len(result.videos), options.grid.max_cells)
    return [render_grid(result, Path(out_dir) / page_name(k), options=options.grid, slowmo=options.export.slowmo,
                        clips=clips, marks=options.marks, overwrite=overwrite, progress=progress)
            for k, clips in enumerate(pages)]


def render_cells(
    result: SyncResult,
    path: str | Path,
    clips: list[int],
    infos: list[VideoInfo],
    *,
    steps: np.ndarray,
    audio: tuple[np.ndarray, int] | None,
    options: GridOptions,
    overwrite: bool,
    progress: bool,
    windows=(),
    marks: tuple[Mark, ...] = (),
) -> Path:
    """Write ``path`` (mp4): the clips ``clips`` (indices into the result's videos; ``infos`` are all of them) in a
    grid of labelled cells, one frame per timeline step of ``steps``, with ``audio``; a badge says how much slower
    the video plays inside the slow-motion ``windows``."""
    cell = cell_size([infos[k] for k in clips], options)
    rows, cols = grid_shape(len(clips))
    size = (cols * cell[0], rows * (cell[1] + LABEL_HEIGHT) + BAR_HEIGHT)
    cursors = [TrackCursor(result.videos[k], infos[k], cell) for k in clips]
    font = ImageFont.load_default(size=13)

    def frame_at(step: float) -> np.ndarray:
        canvas = Image.new("RGB", size, (0, 0, 0))
        draw = ImageDraw.Draw(canvas)
        near = events_at(result, step)
        for k, cursor in enumerate(cursors):
            x, y = (k % cols) * cell[0], (k // cols) * (cell[1] + LABEL_HEIGHT)
            canvas.paste(Image.fromarray(cursor.image_at(step)), (x, y + LABEL_HEIGHT))
            if marks:
                (dx, dy), fit = cursor.picture()
                draw_marks(draw, marks, clips[k], step / result.fps, (x + dx, y + LABEL_HEIGHT + dy), fit, font)
            draw.text((x + 4, y + 3), cursor.label(step), fill=(235, 235, 235), font=font)
            draw_event_label(draw, (x, y + LABEL_HEIGHT), near, font)
        draw_slowmo_badge(draw, size[0], slowmo_factor(windows, step), font)
        draw_progress(draw, size, step, result.length)
        return np.asarray(canvas)

    return encode_timeline(path, steps, frame_at, result=result, size=size, audio=audio, crf=options.crf,
                           overwrite=overwrite, progress=progress)

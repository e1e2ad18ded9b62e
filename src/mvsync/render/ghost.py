"""``ghost``: two chosen clips overlaid in one picture, the second at a chosen opacity (issue 10, section 3), so that
a coach sees where two takes part at the same moment of the action."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..io import probe
from ..result import SyncResult
from .audio import pair_audio_candidates, timeline_audio
from .base import WRITERS, writes
from .marks import draw_marks
from .options import RenderOptions, check_render_options
from .slowmo import playback_steps, slowmo_windows
from .timeline_frames import (BAR_HEIGHT, LABEL_HEIGHT, TrackCursor, cell_size, draw_event_label, draw_progress,
                              draw_slowmo_badge, slowmo_factor,
                              encode_timeline, events_at)

GHOST_FILE = "ghost.mp4"


def blend(first: np.ndarray, second: np.ndarray, opacity: float) -> np.ndarray:
    """``second`` laid over ``first`` at ``opacity`` (0: only ``first``; 1: only ``second``), as uint8 RGB.

    >>> blend(np.zeros((1, 1, 3), np.uint8), np.full((1, 1, 3), 200, np.uint8), 0.25)[0, 0]
    array([50, 50, 50], dtype=uint8)
    """
    mixed = (1.0 - opacity) * first.astype(np.float32) + opacity * second.astype(np.float32)
    return np.round(mixed).astype(np.uint8)


@WRITERS.register("ghost")
@writes("ghost.mp4")
def write_ghost(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
                progress: bool = False) -> list[Path]:
    """``out_dir/ghost.mp4``: the clips ``options.export.pair`` letterboxed into one cell of the grid's size, the
    second over the first at ``options.export.opacity``, with both names and times above (one line each), the
    slow-motion windows and the sound of one of the two (as ``pair``).

    >>> from mvsync.render.options import ExportOptions
    >>> result = SyncResult.load("out/sync.json")
    >>> write_ghost(result, Path("out"), options=RenderOptions(export=ExportOptions(opacity=0.3)))
    [PosixPath('out/ghost.mp4')]
    """
    infos = [probe(track.path) for track in result.videos]
    check_render_options(options, infos)
    first, second = options.export.pair
    opacity = options.export.opacity
    steps = playback_steps(result, options.export.slowmo)
    audio = timeline_audio(result, pair_audio_candidates(result, infos, options.grid.audio_from, (first, second)),
                           GHOST_FILE, steps)
    cell = cell_size([infos[first], infos[second]], options.grid)
    top = 2 * LABEL_HEIGHT  # one label line per clip: both names and times fit a small cell
    size = (cell[0], top + cell[1] + BAR_HEIGHT)
    under, over = (TrackCursor(result.videos[k], infos[k], cell) for k in (first, second))
    windows = slowmo_windows(result, options.export.slowmo)
    font = ImageFont.load_default(size=13)

    def frame_at(step: float) -> np.ndarray:
        canvas = Image.new("RGB", size, (0, 0, 0))
        canvas.paste(Image.fromarray(blend(under.image_at(step), over.image_at(step), opacity)), (0, top))
        draw = ImageDraw.Draw(canvas)
        for k, cursor in ((first, under), (second, over)):  # both clips' marks, on the one picture
            (dx, dy), fit = cursor.picture()
            draw_marks(draw, options.marks, k, step / result.fps, (dx, top + dy), fit, font)
        draw.text((4, 3), under.label(step), fill=(235, 235, 235), font=font)
        draw.text((4, LABEL_HEIGHT + 3), f"+ {over.label(step)}  ({opacity:.0%})", fill=(235, 235, 235), font=font)
        draw_event_label(draw, (0, top), events_at(result, step), font)
        draw_slowmo_badge(draw, size[0], slowmo_factor(windows, step), font)
        draw_progress(draw, size, step, result.length)
        return np.asarray(canvas)

    return [encode_timeline(Path(out_dir) / GHOST_FILE, steps, frame_at, result=result, size=size, audio=audio,
                            crf=options.grid.crf, overwrite=overwrite, progress=progress)]

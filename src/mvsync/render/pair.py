"""``pair``: two chosen clips side by side in sync (issue 10, section 3), the grid's cells for just those two."""

from __future__ import annotations

from pathlib import Path

from ..io import probe
from ..result import SyncResult
from .audio import pair_audio_candidates, timeline_audio
from .base import WRITERS, writes
from .grid import render_cells
from .options import RenderOptions, check_render_options
from .slowmo import playback_steps, slowmo_windows

PAIR_FILE = "pair.mp4"


@WRITERS.register("pair")
@writes("pair.mp4")
def write_pair(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
               progress: bool = False) -> list[Path]:
    """``out_dir/pair.mp4``: the clips ``options.export.pair`` side by side, labelled like the grid, with the slow-motion
    windows ``options.export.slowmo``, the sound of one of the two (see
    :func:`~mvsync.render.audio.pair_audio_candidates`) and the grid's cell size.

    >>> from mvsync.render.options import ExportOptions
    >>> result = SyncResult.load("out/sync.json")
    >>> write_pair(result, Path("out"), options=RenderOptions(export=ExportOptions(pair=(0, 2))))
    [PosixPath('out/pair.mp4')]
    """
    infos = [probe(track.path) for track in result.videos]
    check_render_options(options, infos)
    pair = options.export.pair
    steps = playback_steps(result, options.export.slowmo)
    sound = pair_audio_candidates(result, infos, options.grid.audio_from, pair)
    audio = timeline_audio(result, sound, PAIR_FILE, steps)
    return [render_cells(result, Path(out_dir) / PAIR_FILE, list(pair), infos, steps=steps, audio=audio,
                         options=options.grid, overwrite=overwrite, progress=progress,
                         windows=slowmo_windows(result, options.export.slowmo), marks=options.marks)]

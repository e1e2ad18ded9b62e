"""``clips``: every input clip retimed onto the common timeline, one mp4 each (issue 10, section 3).

Frame ``t`` of ``clips/<name>.mp4`` shows the source frame that ``sync.json`` maps to timeline step ``t``, at the
clip's own size, and its sound (when it has one) is time-stretched along the same map at its own pitch: the files
can be dropped into any video editor side by side and play in sync. Where a clip has no content (it starts later or
ends sooner than the timeline) its file shows flat gray and is silent. The clip's marks (``render --marks``) are
drawn on its file while they are shown, as on the grid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..atomic import ensure_folder
from ..errors import OutputExistsError
from ..io import probe
from ..result import SyncResult
from .audio import timeline_audio
from .base import WRITERS, writes
from .marks import Mark, draw_marks
from .options import RenderOptions
from .timeline_frames import TrackCursor, encode_timeline

CLIPS_FOLDER = "clips"


def clip_file_names(result: SyncResult) -> list[str]:
    """``<stem>.mp4`` per clip, in the result's order; clips of the same stem (from different folders) are told
    apart by their index: ``<index>_<stem>.mp4``."""
    stems = [Path(track.path).stem for track in result.videos]
    return [f"{k}_{stem}.mp4" if stems.count(stem) > 1 else f"{stem}.mp4" for k, stem in enumerate(stems)]


@WRITERS.register("clips")
@writes("clips")
def write_clips(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
                progress: bool = False) -> list[Path]:
    """``out_dir/clips/<name>.mp4`` per clip (see the module docstring), at the timeline's rate and length, encoded
    at the grid's quality (``options.grid.crf``).

    >>> from mvsync.render.options import RenderOptions
    >>> write_clips(SyncResult.load("out/sync.json"), Path("again"), options=RenderOptions())
    [PosixPath('again/clips/a.mp4'), PosixPath('again/clips/b.mp4'), PosixPath('again/clips/c.mp4')]
    """
    folder = Path(out_dir) / CLIPS_FOLDER
    targets = [folder / name for name in clip_file_names(result)]
    clashes = [target for target in targets if target.exists() and not overwrite]
    if clashes:  # before any clip is encoded
        raise OutputExistsError(f"{clashes[0]}: already exists")
    ensure_folder(folder)
    steps = np.arange(result.length, dtype=float)  # every timeline step once: the map, not a slowed copy of it
    for k, (track, target) in enumerate(zip(result.videos, targets)):
        info = probe(track.path)
        size = (info.width, info.height)
        audio = timeline_audio(result, [k] if info.has_audio else [], f"{CLIPS_FOLDER}/{target.name}")
        frame_at = _with_marks(TrackCursor(track, info, size).image_at, options.marks, k, result.fps, size)
        encode_timeline(target, steps, frame_at, result=result, size=size, audio=audio, crf=options.grid.crf,
                        overwrite=overwrite, progress=progress)
    return targets


def _with_marks(frame_at, marks: tuple[Mark, ...], clip: int, fps: float, size: tuple[int, int]):
    """``frame_at`` with clip ``clip``'s marks drawn on the frames where they are shown (itself when it has none)."""
    own = tuple(mark for mark in marks if mark.clip == clip)
    if not own:
        return frame_at
    font = ImageFont.load_default(size=max(13, size[1] // 40))

    def drawn(step: float) -> np.ndarray:
        frame = frame_at(step)
        if not any(mark.shown_at(step / fps) for mark in own):  # most frames: as they are, no picture round trip
            return frame
        image = Image.fromarray(frame)
        draw_marks(ImageDraw.Draw(image), own, clip, step / fps, (0, 0), size, font)
        return np.asarray(image)

    return drawn

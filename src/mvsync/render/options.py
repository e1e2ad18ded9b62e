"""Options of the writers, checked when built and against the clips before any work starts (issue 13).

:class:`RenderOptions` is what every writer receives; each output's own options are one field of it (``grid``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..types import VideoInfo

AUTO_AUDIO = "auto"
MIN_CELL = 16


@dataclass(frozen=True)
class GridOptions:
    """How the grid video looks and sounds. Invalid values raise :class:`ConfigError` at once.

    >>> GridOptions(cell_width=0)
    Traceback (most recent call last):
    mvsync.errors.ConfigError: cell_width: 0 pixels is too small (at least 16)
    """

    cell_width: int = 320  # pixels per cell, before the label strip
    cell_height: int | None = None  # None: from the clips' median aspect ratio
    # whose sound plays: "auto" is the reference clip, or else the first clip with an audio track (never silence
    # when a clip has sound); an int is that clip (index into the result's videos); None is no sound
    audio_from: int | str | None = AUTO_AUDIO
    crf: int = 23  # x264 quality (lower is better and larger)

    def __post_init__(self) -> None:
        for name in ("cell_width", "cell_height"):
            value = getattr(self, name)
            if value is None and name == "cell_height":
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name}: expected a whole number of pixels, got {value!r}")
            if value < MIN_CELL:
                raise ConfigError(f"{name}: {value} pixels is too small (at least {MIN_CELL})")
        audio = self.audio_from
        if audio is not None and audio != AUTO_AUDIO and (isinstance(audio, bool) or not isinstance(audio, int) or audio < 0):
            raise ConfigError(f"audio_from: expected a clip index (0, 1, ...), {AUTO_AUDIO!r} or None, got {audio!r}")
        if isinstance(self.crf, bool) or not isinstance(self.crf, int) or not 0 <= self.crf <= 51:
            raise ConfigError(f"crf: expected 0..51 (x264 quality), got {self.crf!r}")


def check_grid_options(options: GridOptions, infos: list[VideoInfo]) -> None:
    """What only the clips can tell: ``audio_from`` names a clip that exists and has sound.

    ``infos`` are the clips of the result in its order (as :func:`mvsync.sync.check_sync` probed them)."""
    k = options.audio_from
    if k is None or k == AUTO_AUDIO:
        return
    if k >= len(infos):
        raise ConfigError(f"audio_from: clip {k} is out of range for {len(infos)} videos (0..{len(infos) - 1})")
    if not infos[k].has_audio:
        raise ConfigError(f"audio_from: clip {k} ({infos[k].path}) has no audio track")


@dataclass(frozen=True)
class RenderOptions:
    """Everything a writer may need to know beyond the result: one field per output that has options.

    >>> RenderOptions(grid=GridOptions(cell_width=160)).grid.cell_width
    160
    """

    grid: GridOptions = field(default_factory=GridOptions)  # the grid video (``grid``)


def check_render_options(options: RenderOptions, infos: list[VideoInfo]) -> None:
    """What only the clips can tell, for every output's options (``infos``: the result's clips, in its order)."""
    check_grid_options(options.grid, infos)

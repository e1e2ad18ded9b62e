"""Options of the writers, checked when built and against the clips before any work starts (issue 13).

:class:`RenderOptions` is what every writer receives; each output's own options are one field of it (``grid``,
``export``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..types import VideoInfo
from .marks import Mark

AUTO_AUDIO = "auto"
MIN_CELL = 16
MAX_CELLS = 16  # clips per grid video: each open clip holds its decoder and a frame (issue 12, section 3)
MAX_SLOWMO = 16.0  # slower than 16x a window is a still picture; a typo (--slowmo impact:40) rather than a wish


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
    max_cells: int = MAX_CELLS  # clips per video; more clips are rendered as pages synced.mp4, synced_2.mp4, ...

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
        if isinstance(self.max_cells, bool) or not isinstance(self.max_cells, int) or self.max_cells < 1:
            raise ConfigError(f"max_cells: expected a positive number of clips per video, got {self.max_cells!r}")


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
class SlowMo:
    """Play the window of ``seconds`` of timeline centred on the key event ``event`` ``factor`` times slower
    (issue 10, section 3).

    >>> SlowMo("impact", 0.5)
    Traceback (most recent call last):
    mvsync.errors.ConfigError: factor: expected a number above 1 and at most 16 (times slower), got 0.5
    """

    event: str  # the name of a key event of the result (sync.json's "events", --event)
    factor: float  # how many times slower the window plays (2: half speed)
    seconds: float = 1.0  # the window's length on the common timeline, centred on the event

    def __post_init__(self) -> None:
        if not isinstance(self.event, str) or not self.event.strip():
            raise ConfigError(f"event: expected the name of a key event, got {self.event!r}")
        for name, low, high in (("factor", 1.0, MAX_SLOWMO), ("seconds", 0.0, float("inf"))):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= high:
                what = "times slower" if name == "factor" else "seconds of timeline"
                bound = f"above {low:g} and at most {high:g}" if high != float("inf") else f"above {low:g}"
                raise ConfigError(f"{name}: expected a number {bound} ({what}), got {value!r}")


@dataclass(frozen=True)
class ExportOptions:
    """What the two-clip exports (``pair``, ``ghost``) show, and the slow-motion windows of the grid, pair and ghost
    videos. Invalid values raise :class:`ConfigError` at once.

    >>> ExportOptions(opacity=1.5)
    Traceback (most recent call last):
    mvsync.errors.ConfigError: opacity: expected 0..1 (the second clip's weight in the ghost), got 1.5
    """

    pair: tuple[int, int] = (0, 1)  # the two clips of pair.mp4 and ghost.mp4 (indices into the result's videos)
    opacity: float = 0.5  # ghost.mp4: the second clip's weight (0: only the first, 1: only the second)
    slowmo: tuple[SlowMo, ...] = ()  # windows played slower, around key events

    def __post_init__(self) -> None:
        pair = self.pair
        if (not isinstance(pair, tuple) or len(pair) != 2
                or any(isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in pair)):
            raise ConfigError(f"pair: expected two clip indices (0, 1, ...), got {pair!r}")
        if pair[0] == pair[1]:
            raise ConfigError(f"pair: expected two different clips, got {pair[0]} twice")
        opacity = self.opacity
        if isinstance(opacity, bool) or not isinstance(opacity, (int, float)) or not 0.0 <= opacity <= 1.0:
            raise ConfigError(f"opacity: expected 0..1 (the second clip's weight in the ghost), got {opacity!r}")
        events = [s.event for s in self.slowmo]
        twice = sorted({e for e in events if events.count(e) > 1})
        if twice:
            raise ConfigError(f"slowmo: event {twice[0]!r} has two windows; give it one")


def check_export_options(options: ExportOptions, infos: list[VideoInfo], event_names: list[str] | None = None) -> None:
    """What only the clips and the result can tell: the pair's clips exist, and each slow-motion window names a
    key event (``event_names``; None: not known yet, not checked)."""
    for k in options.pair:
        if k >= len(infos):
            raise ConfigError(f"pair: clip {k} is out of range for {len(infos)} videos (0..{len(infos) - 1})")
    if event_names is not None:
        check_slowmo_events(options.slowmo, event_names)


def check_slowmo_events(slowmo: tuple[SlowMo, ...], event_names: list[str]) -> None:
    """Each slow-motion window names one of the key events ``event_names``."""
    for window in slowmo:
        if window.event not in event_names:
            known = f"events: {', '.join(event_names)}" if event_names else "the result has no key events"
            raise ConfigError(f"slowmo: no key event named {window.event!r} ({known})")


@dataclass(frozen=True)
class PlayerOptions:
    """How the HTML player (``player``) gets its media.

    >>> PlayerOptions(link_media=True).link_media
    True
    """

    # browser-playable clips are linked (a hard link, else a symbolic one) instead of copied: no extra disk space,
    # but the player then depends on the original files (a symbolic link breaks when they move)
    link_media: bool = False
    # each clip's pose skeleton and joint angles in the page, from its pose features: None takes them from the
    # feature cache when they are there (the sync used pose, or auto looked at them) and draws none otherwise; True
    # extracts them when missing (one pose pass); False draws none. Clips where nobody is found have none.
    skeleton: bool | None = None
    cache_dir: str | None = None  # the feature cache the pose features are read from (None: the default)
    # when the skeleton is extracted here (skeleton=True, not in the cache): the pose model runs on at most this many
    # frames per second, the landmarks between interpolated (the pose extractor's model_rate; None: every frame)
    pose_rate: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.link_media, bool):
            raise ConfigError(f"link_media: expected True or False, got {self.link_media!r}")
        rate = self.pose_rate
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
            raise ConfigError(f"pose_rate: expected a positive number of frames per second or None, got {rate!r}")
        if self.skeleton is not None and not isinstance(self.skeleton, bool):
            raise ConfigError(f"skeleton: expected True, False or None (from the cache), got {self.skeleton!r}")


@dataclass(frozen=True)
class RenderOptions:
    """Everything a writer may need to know beyond the result: one field per output that has options.

    >>> RenderOptions(grid=GridOptions(cell_width=160)).grid.cell_width
    160
    """

    grid: GridOptions = field(default_factory=GridOptions)  # the grid video (``grid``; size and sound of all videos)
    export: ExportOptions = field(default_factory=ExportOptions)  # ``pair``, ``ghost`` and slow motion
    player: PlayerOptions = field(default_factory=PlayerOptions)  # the HTML player (``player``)
    # lines, angles and notes drawn on clips (marks.json, :mod:`mvsync.render.marks`): burnt into grid, pair and
    # ghost, and shown by the player
    marks: tuple[Mark, ...] = ()


def check_render_options(options: RenderOptions, infos: list[VideoInfo], event_names: list[str] | None = None) -> None:
    """What only the clips can tell, for every output's options (``infos``: the result's clips, in its order;
    ``event_names``: the result's key events, or None where they are not known yet)."""
    check_grid_options(options.grid, infos)
    check_export_options(options.export, infos, event_names)

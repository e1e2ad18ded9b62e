"""Slow motion around key events (issue 10, section 3): which timeline step each frame of a video shows.

Normally frame ``n`` of a video shows timeline step ``n``. Inside a window of ``seconds`` centred on a key event
the steps advance by ``1 / factor`` per frame, so the window lasts ``factor`` times longer and everything outside it
plays as before. The steps between whole ones show the source frames the map gives there (see
:mod:`mvsync.render.timeline_frames`), and the sound follows the same steps at its own pitch
(:func:`mvsync.render.audio.timeline_audio`), so picture and sound stay together.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from ..result import SyncResult
from .options import SlowMo, check_slowmo_events


class Window(NamedTuple):
    """One slow-motion window on the timeline: steps ``first`` to ``stop - 1``, played ``factor`` times slower."""

    event: str
    first: int
    stop: int
    factor: float


def playback_steps(result: SyncResult, slowmo: tuple[SlowMo, ...] = ()) -> np.ndarray:
    """The timeline step (fractional inside slow-motion windows) shown at each frame of a video: ``(N,)``, with
    ``N = length`` plus ``round((factor - 1) * (stop - first))`` per window.

    >>> result = SyncResult.load("out/sync.json").with_event("impact", 0, 2.0)  # at step 50 of 100
    >>> steps = playback_steps(result, (SlowMo("impact", 2.0, 0.4),))  # the 0.4 s around it at half speed
    >>> len(steps)  # the window's 11 steps (45 to 55) are shown twice as long
    111
    >>> steps[43:48].tolist(), steps[65:70].tolist()
    ([43.0, 44.0, 45.0, 45.5, 46.0], [55.0, 55.5, 56.0, 57.0, 58.0])
    """
    pieces, start = [], 0
    for window in slowmo_windows(result, slowmo):
        frames = int(round((window.stop - window.first) * window.factor))
        pieces.append(np.arange(start, window.first, dtype=float))
        pieces.append(window.first + np.arange(frames) * ((window.stop - window.first) / frames))
        start = window.stop
    pieces.append(np.arange(start, result.length, dtype=float))
    return np.concatenate(pieces)


def slowmo_windows(result: SyncResult, slowmo: tuple[SlowMo, ...]) -> list[Window]:
    """Each window's timeline steps, in timeline order: the steps within ``seconds / 2`` of the event (at least its
    own), cut to the timeline. Raises :class:`ConfigError` for an unknown event and for windows that overlap."""
    check_slowmo_events(slowmo, [e.name for e in result.events])
    at = {e.name: e.timeline_s for e in result.events}
    windows: list[Window] = []
    for wish in sorted(slowmo, key=lambda w: at[w.event]):
        if not math.isfinite(at[wish.event]):
            raise ConfigError(f"slowmo: key event {wish.event!r} has no place on the timeline")
        centre, half = at[wish.event] * result.fps, wish.seconds * result.fps / 2
        low, high = round(centre - half, 6), round(centre + half, 6)  # 2.3 s * 25 fps is 57.49999...: step 57.5
        first = min(max(0, math.ceil(low)), result.length - 1)
        stop = max(first + 1, min(result.length, math.floor(high) + 1))
        if windows and first < windows[-1].stop:
            raise ConfigError(f"slowmo: the windows around {windows[-1].event!r} and {wish.event!r} overlap; "
                              "shorten them (EVENT:FACTOR:SECONDS)")
        windows.append(Window(wish.event, first, stop, wish.factor))
    return windows

"""The videos' sound: one clip's audio, played along its track of the timeline at its own pitch (issue 13).

Sound never sinks a run: a track that cannot be read at all is left out with a warning (the video is still
written), and ``auto`` then tries the next clip with sound.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import read_audio
from ..result import SyncResult
from ..types import VideoInfo
from .options import AUTO_AUDIO
from .stretch import wsola
from .timeline_frames import sample_steps

log = logging.getLogger(__name__)


def grid_audio(result: SyncResult, infos: list[VideoInfo], audio_from: int | str | None,
               steps: np.ndarray | None = None) -> tuple[np.ndarray, int] | None:
    """``(samples (M, channels), rate)`` for the grid's timeline (or its ``steps``, see
    :func:`~mvsync.render.slowmo.playback_steps`), or None (no clip with readable sound, or none asked for)."""
    return timeline_audio(result, audio_candidates(result, infos, audio_from), "synced.mp4", steps)


def timeline_audio(result: SyncResult, candidates: list[int], video: str,
                   steps: np.ndarray | None = None) -> tuple[np.ndarray, int] | None:
    """The sound of the first of the clips ``candidates`` whose track reads, played along the timeline ``steps``
    (default: every step once) at its own pitch: ``(samples (M, channels), rate)``, or None. ``video`` names the
    file it is for, in the warnings."""
    steps = np.arange(result.length, dtype=float) if steps is None else steps
    for k in candidates:
        track = result.videos[k]
        try:
            samples, rate = read_audio(track.path)
        except InputError as err:
            log.warning("%s; %s is written without its sound", err, video)
            continue
        if len(samples) == 0:
            log.warning("%s: the audio track holds no sound; %s is written without it", track.path, video)
            continue
        log.info("sound of %s: %s", video, Path(track.path).name)
        return warp_audio(samples, rate, sample_steps(track.source_time, steps), result.fps), rate
    return None


def audio_candidates(result: SyncResult, infos: list[VideoInfo], audio_from: int | str | None) -> list[int]:
    """The clips whose sound may play, in order: the one asked for, or for ``auto`` the reference first, then every
    other clip with an audio track."""
    if audio_from is None:
        return []
    if audio_from != AUTO_AUDIO:
        return [int(audio_from)]
    ref = result.extra.get("reference")
    order = ([ref] if ref is not None else []) + [k for k in range(len(infos)) if k != ref]
    return [k for k in order if infos[k].has_audio]


def pair_audio_candidates(result: SyncResult, infos: list[VideoInfo], audio_from: int | str | None,
                          pair: tuple[int, int]) -> list[int]:
    """The sound of a two-clip video (``pair``, ``ghost``): the clip ``audio_from`` names when it is one of the two,
    else as ``auto`` among the two; None: no sound."""
    if audio_from is None:
        return []
    if audio_from in pair and not isinstance(audio_from, bool):
        return [int(audio_from)]
    return [k for k in audio_candidates(result, infos, AUTO_AUDIO) if k in pair]


def warp_audio(samples: np.ndarray, rate: int, source_time: np.ndarray, fps: float) -> np.ndarray:
    """Play ``samples (N, channels)`` so that output time ``t / fps`` is the clip at ``source_time[t]``, at the
    clip's own pitch (:func:`~mvsync.render.stretch.wsola`), silent where the clip has no content."""
    return wsola(samples, timeline_positions(source_time, fps, rate), rate)


def timeline_positions(source_time: np.ndarray, fps: float, rate: int) -> np.ndarray:
    """For every output sample of a timeline of ``len(source_time)`` steps at ``fps``, the input sample (fractional)
    of the clip heard there: linear between steps, NaN where the clip has no content (also variable frame rate:
    the steps need not be evenly spaced in the clip's time)."""
    steps = np.arange(len(source_time))
    finite = np.isfinite(source_time)
    out_steps = np.arange(int(round(len(source_time) / fps * rate))) * (fps / rate)  # (M,) timeline steps
    xs, ys = steps[finite], source_time[finite]
    if len(xs) == 0:
        return np.full(len(out_steps), np.nan)
    if len(xs) >= 2:  # the last step lasts one frame too: continue at the last step's pace
        xs, ys = np.append(xs, xs[-1] + 1), np.append(ys, 2 * ys[-1] - ys[-2])
    positions = np.interp(out_steps, xs, ys) * rate  # (M,)
    content = finite[np.minimum(out_steps.astype(int), len(source_time) - 1)]
    return np.where(content, positions, np.nan)

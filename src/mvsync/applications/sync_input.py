"""What every application starts from: a ``sync.json`` of an earlier run, or clips that are synchronised first.

The check is split from the work, as in :mod:`mvsync.sync`: :func:`check_sync_input` reads the ``sync.json`` (and
checks that its clips exist) or probes the clips, fast, so a bad input is refused before an output folder is
created; :meth:`SyncInput.resolve` then synchronises if needed and extracts the features the result was made with
(from the feature cache, when ``mvsync sync`` already extracted them).

>>> source = check_sync_input(["out/sync.json"])  # or clips, which resolve() synchronises
>>> result = source.resolve(progress=True)  # here the loaded result: nothing to synchronise
>>> features = source.features(result)  # the kind the result was made with, from the cache or extracted
>>> result.features, [f.values.shape for f in features]
('appearance', [(100, 32), (131, 32), (83, 32)])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..result import SyncResult
from ..sync import SyncPlan, check_sync, run_plan
from ..types import Features


@dataclass(frozen=True)
class SyncInput:
    """A checked input: a loaded ``result`` (from a ``sync.json``) or a ``plan`` to synchronise clips."""

    result: SyncResult | None = None
    plan: SyncPlan | None = None
    cache_dir: str | None = None  # feature cache (None: the default)

    @property
    def clips(self) -> list[Path]:
        """The clips, in the order of the result's videos (for a plan: the usable clips as given)."""
        if self.result is not None:
            return [Path(track.path) for track in self.result.videos]
        return [info.path for info in self.plan.infos]

    @property
    def frame_counts(self) -> list[int]:
        """Each clip's frame count (for a plan: probed, before decoding)."""
        if self.result is not None:
            return [track.num_frames for track in self.result.videos]
        return [info.num_frames for info in self.plan.infos]

    def resolve(self, *, progress: bool = False) -> SyncResult:
        """The sync result: the loaded one, or the clips synchronised now."""
        return self.result if self.result is not None else run_plan(self.plan, progress=progress)

    def features(self, result: SyncResult, *, kind: str | None = None, progress: bool = False) -> list[Features]:
        """The per-frame features of the result's clips: of ``kind``, or of the kind the result was made with."""
        from ..features import extract_features

        return extract_features([track.path for track in result.videos], kind=kind or result.features,
                                cache_dir=self.cache_dir, progress=progress)


def check_sync_input(inputs: list[str | Path], *, cache_dir: str | None = None, **sync_options: Any) -> SyncInput:
    """``inputs`` is one ``sync.json`` (or the folder holding it) or two or more clips; ``sync_options`` are
    :class:`~mvsync.sync.SyncConfig` fields for the clips (refused with a ``sync.json``, which is synced already).

    Raises :class:`InputError` naming a missing ``sync.json`` or clip, before anything is decoded.
    """
    paths = [Path(p) for p in inputs]
    if len(paths) == 1 and (paths[0].is_dir() or paths[0].suffix == ".json"):
        given = {key: value for key, value in sync_options.items() if value is not None}
        if given:
            raise ConfigError(f"{', '.join(sorted(given))}: sync options apply to clips, not to {paths[0]} "
                              "(already synchronised)")
        return SyncInput(result=load_synced(paths[0]), cache_dir=cache_dir)
    options = {key: value for key, value in sync_options.items() if value is not None}
    return SyncInput(plan=check_sync(paths, cache_dir=cache_dir, **options), cache_dir=cache_dir)


def load_synced(path: str | Path) -> SyncResult:
    """A ``sync.json`` (or its folder) whose clips all exist; paths in it count from the folder ``mvsync sync``
    ran in, like ``mvsync render``'s."""
    path = Path(path)
    result = SyncResult.load(path / "sync.json" if path.is_dir() else path)
    for track in result.videos:
        if not Path(track.path).is_file():
            raise InputError(f"{track.path}: no such file (a clip listed in {path}; paths there are as given to "
                             "mvsync sync, relative to the folder it ran in)")
    return result


def clip_index(result_or_clips: SyncResult | list[Path], clip: str) -> int:
    """The index of ``clip``: a 0-based index, a path as listed, or a file name that names exactly one clip.

    >>> clip_index([Path("a/x.mp4"), Path("b/y.mp4")], "y.mp4")
    1
    """
    paths = ([Path(t.path) for t in result_or_clips.videos] if isinstance(result_or_clips, SyncResult)
             else [Path(p) for p in result_or_clips])
    if clip.isdigit():
        index = int(clip)
        if index >= len(paths):
            raise ConfigError(f"clip {clip}: out of range for {len(paths)} clips (0..{len(paths) - 1})")
        return index
    matches = [k for k, p in enumerate(paths) if p == Path(clip)] or [k for k, p in enumerate(paths) if p.name == clip]
    if len(matches) != 1:
        names = ", ".join(p.name for p in paths)
        what = "names several clips" if matches else "is none of the clips"
        raise ConfigError(f"clip {clip}: {what} ({names}); give its index (0-based) or its path")
    return matches[0]

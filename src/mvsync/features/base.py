"""The feature-extractor contract and its registry."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, ClassVar, Iterator

import numpy as np

from ..io import read_frames
from ..registry import Registry
from ..types import Features, Frame, VideoInfo

FEATURES: Registry[type["FeatureExtractor"]] = Registry("features")


class FeatureExtractor:
    """Turns one video into per-frame features ``(L, C)`` plus a validity mask.

    Subclasses set ``name`` and ``version`` (part of the cache key: bump it whenever the
    output changes), declare a frozen ``Config`` dataclass deriving from this one (every extractor
    takes ``fps``), and implement :meth:`extract`, reading the clip with :meth:`frames`.
    :meth:`finalize` runs once over the whole set (e.g. a PCA fitted across videos); its
    input is what the cache stores. What it fits goes into every clip's ``meta`` as arrays (:func:`fitted_state`), so
    that a trained model can bring it back (``finalize(features, fitted=...)``) for clips extracted later.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    # Config fields that change how, not what, is computed (left out of the cache key).
    execution_fields: ClassVar[tuple[str, ...]] = ()
    # True when each clip's features are centred on the clip's own mean (appearance): a part cut from a clip then
    # differs from it by a constant, which finding one inside the other must take out (mvsync.align.placement).
    centred_per_clip: ClassVar[bool] = False

    @dataclasses.dataclass(frozen=True)
    class Config:
        fps: float | None = None  # sample frames at this rate by presentation time (long clips); None: every frame

    def __init__(self, **config: Any) -> None:
        from ..errors import ConfigError

        fields = {f.name for f in dataclasses.fields(self.Config)}
        unknown = sorted(set(config) - fields)
        if unknown:
            raise ConfigError(
                f"{self.name}: unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(fields)) or 'none'}"
            )
        self.config = self.Config(**config)
        fps = self.config.fps
        if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0):
            raise ConfigError(f"{self.name} fps: must be a positive number of frames per second, got {fps!r}")

    pool_min_clips: ClassVar[int] = 8  # from this many clips to extract, a local process pool by default...
    pool_min_frames: ClassVar[int] = 0  # ...when they hold this many frames in all (parallel.default_jobs)

    def config_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self.config)

    def cache_config(self) -> dict[str, Any]:
        """The config fields that decide the output (the part of the cache key that is not the video)."""
        return {k: v for k, v in self.config_dict().items() if k not in self.execution_fields}

    def extract(self, path: Path, *, progress: bool = False) -> Features:
        raise NotImplementedError

    def frames(self, path: Path, *, size: tuple[int, int] | None = None, every: int = 1) -> Iterator[Frame]:
        """The clip's frames as this extractor samples them (``fps``), one decoded frame in memory at a time."""
        return read_frames(path, size=size, every=every, fps=self.config.fps)

    def expected_frames(self, info: VideoInfo) -> int:
        """How many frames :meth:`frames` yields, about (for progress bars)."""
        if self.config.fps is None:
            return info.num_frames
        return max(1, min(info.num_frames, math.ceil(info.num_frames / info.fps * self.config.fps)))

    def check(self, features: Features) -> None:
        """Raise :class:`~mvsync.errors.InputError` when one clip's features are unusable. Runs on fresh and cached
        features alike, so the options it reads belong in ``execution_fields`` (they do not change the output)."""

    def finalize(self, features: list[Features], *, fitted: dict[str, np.ndarray] | None = None) -> list[Features]:
        """Set-level step after every video is extracted (identity by default). ``fitted``: the state an earlier
        call fitted (:func:`fitted_state` of its output), applied as it is instead of being fitted to this set."""
        return features

    @classmethod
    def fits_the_set(cls) -> bool:
        """Whether :meth:`finalize` fits something to the clips extracted together (appearance's PCA): the same clip
        then gets other features in another set, so a model trained on them does not see new clips as it saw its
        training clips."""
        return cls.finalize is not FeatureExtractor.finalize


PER_CLIP_META = ("pictures",)  # array-valued meta that describes each clip (its frames' pictures), not the set's fit


def fitted_state(features: list[Features]) -> dict[str, np.ndarray] | None:
    """What :meth:`FeatureExtractor.finalize` fitted to a set (e.g. appearance's PCA basis): the array-valued ``meta``
    of its clips, which all share it; None when there is none or the extractor fits nothing to the set.

    >>> from mvsync import load_features
    >>> state = fitted_state([load_features("feats/ride/a.npz")])  # appearance features keep their PCA basis
    >>> {name: values.shape for name, values in state.items()}
    {'basis_mean': (1728,), 'basis_components': (32, 1728)}
    """
    if not features or features[0].kind not in FEATURES.names() or not FEATURES.get(features[0].kind).fits_the_set():
        return None  # per-clip arrays (pose's image landmarks) are not fitted to the set
    state = {k: v for k, v in features[0].meta.items() if isinstance(v, np.ndarray) and k not in PER_CLIP_META}
    return state or None


def create_extractor(kind: str, **config: Any) -> FeatureExtractor:
    """Build a registered extractor by name, e.g. ``create_extractor("appearance", size=32)``."""
    return FEATURES.get(kind)(**config)

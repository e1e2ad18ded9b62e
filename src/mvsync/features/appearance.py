"""Appearance features: tiny frames, normalised against brightness and contrast, reduced by PCA.

Needs no weights and works for any content (pouring, machines, animals), which makes it the
fallback when pose finds no person.

Memory (issue 12, section 3): a clip is kept as its uint8 thumbnails (1728 bytes per frame at 24x24) until the set's
PCA is known; the PCA is fitted from the streamed covariance (:class:`~mvsync.features.pca_basis.PCABasis`) and each
clip is projected chunk by chunk, so no float copy of the set's frames is ever stacked.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError
from ..io import probe
from ..types import Features
from .base import FEATURES, FeatureExtractor
from .pca_basis import PCABasis
from .pictures import picture, stack_pictures, zscore_rows

CHUNK = 256  # rows standardised and projected at a time (1.7 MiB of float32 at 24x24)
BASIS_PREFIX = "basis_"  # meta keys of the fitted PCA basis (arrays), kept with the features and in checkpoints


@FEATURES.register("appearance")
class AppearanceExtractor(FeatureExtractor):
    """Per frame: a ``size``×``size`` RGB thumbnail, z-scored (so a global brightness offset or
    contrast gain changes nothing); per video: the mean frame is removed (static background);
    across the set: PCA to ``n_components`` (or a basis fitted before: ``finalize(..., fitted=...)``).

    >>> from mvsync import extract_features
    >>> feats = extract_features(["a.mp4", "b.mp4"], kind="appearance")
    >>> [f.values.shape for f in feats]  # (frames, n_components): one PCA basis for the two clips
    [(100, 32), (131, 32)]
    """

    name = "appearance"
    centred_per_clip = True  # the clip's mean frame is removed
    version = "4"  # 4: each frame's picture kept; 3: frames read upright (display rotation); 2: the cached rows are
    # the uint8 thumbnails

    @dataclasses.dataclass(frozen=True)
    class Config(FeatureExtractor.Config):
        size: int = 24  # thumbnail side in pixels
        n_components: int = 32  # PCA dimensions kept (fewer if the set has fewer frames)

    def extract(self, path: Path, *, progress: bool = False) -> Features:
        info = probe(path)  # fast (hundreds of frames/s): no per-frame progress bar
        side = self.config.size
        thumbnails = np.empty((self.expected_frames(info) + 1, side * side * 3), np.uint8)  # (L, D), filled in place
        times, pictures = [], []
        for frame in self.frames(path, size=(side, side)):
            if len(times) == len(thumbnails):  # the header's frame count was short: grow by half
                thumbnails = np.concatenate([thumbnails, np.empty_like(thumbnails[: len(thumbnails) // 2 + 1])])
            thumbnails[len(times)] = frame.image.ravel()  # uint8: 4x smaller than its float z-scores
            pictures.append(picture(frame.image))
            times.append(frame.time_s)
        if len(times) < 2:
            raise InputError(f"{path}: only {len(times)} frame(s); need at least 2 to synchronize")
        thumbnails = thumbnails[: len(times)]  # finalize turns them into features
        return Features(thumbnails, np.ones(len(times), bool), np.asarray(times), self.name, Path(path), info.fps,
                        {"pictures": stack_pictures(pictures)})  # each frame's picture (see .pictures)

    def finalize(self, features: list[Features], *, fitted: dict[str, np.ndarray] | None = None) -> list[Features]:
        means = [_clip_mean(f.values) for f in features]  # (D,) each: the clip's mean frame
        if fitted is None:
            chunks = (chunk for f, mean in zip(features, means) for chunk in _centred_chunks(f.values, mean))
            basis = PCABasis.fit(chunks, n_components=self.config.n_components)
        else:
            basis = PCABasis.from_arrays(fitted, BASIS_PREFIX)
            _check_basis(basis, features[0].values.shape[1])
        meta = {"pca_components": basis.n_components, **basis.to_arrays(BASIS_PREFIX)}
        return [
            dataclasses.replace(f, values=_project(f.values, mean, basis), meta={**f.meta, **meta})
            for f, mean in zip(features, means)
        ]


def _chunks(thumbnails: np.ndarray) -> Iterator[np.ndarray]:
    for start in range(0, len(thumbnails), CHUNK):
        yield zscore_rows(thumbnails[start : start + CHUNK])  # (m, D) float32


def _clip_mean(thumbnails: np.ndarray) -> np.ndarray:
    return sum(chunk.sum(axis=0, dtype=np.float64) for chunk in _chunks(thumbnails)) / len(thumbnails)


def _centred_chunks(thumbnails: np.ndarray, mean: np.ndarray) -> Iterator[np.ndarray]:
    for chunk in _chunks(thumbnails):
        yield chunk - mean.astype(np.float32)


def _project(thumbnails: np.ndarray, mean: np.ndarray, basis: PCABasis) -> np.ndarray:
    return np.concatenate([basis.project(chunk) for chunk in _centred_chunks(thumbnails, mean)])  # (L, n) float32


def _check_basis(basis: PCABasis, dim: int) -> None:
    if basis.components.shape[1] != dim:
        raise InputError(f"appearance basis: fitted on {basis.components.shape[1]} values per frame, these clips have "
                         f"{dim} (another thumbnail size?)")

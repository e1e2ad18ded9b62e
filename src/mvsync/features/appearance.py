"""Appearance features: tiny frames, normalised against brightness and contrast, reduced by PCA.

Needs no weights and works for any content (pouring, machines, animals), which makes it the
fallback when pose finds no person.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from ..errors import InputError
from ..io import probe
from ..types import Features
from .base import FEATURES, FeatureExtractor


@FEATURES.register("appearance")
class AppearanceExtractor(FeatureExtractor):
    """Per frame: a ``size``×``size`` RGB thumbnail, z-scored (so a global brightness offset or
    contrast gain changes nothing); per video: the mean frame is removed (static background);
    across the set: PCA to ``n_components``.

    >>> feats = extract_features(paths, kind="appearance")  # doctest: +SKIP
    """

    name = "appearance"
    version = "1"

    @dataclasses.dataclass(frozen=True)
    class Config(FeatureExtractor.Config):
        size: int = 24  # thumbnail side in pixels
        n_components: int = 32  # PCA dimensions kept (fewer if the set has fewer frames)

    def extract(self, path: Path, *, progress: bool = False) -> Features:
        info = probe(path)  # fast (hundreds of frames/s): no per-frame progress bar
        side = self.config.size
        rows, times = [], []
        for frame in self.frames(path, size=(side, side)):
            rows.append(_standardize(frame.image.astype(np.float32).ravel()))
            times.append(frame.time_s)
        if len(rows) < 2:
            raise InputError(f"{path}: only {len(rows)} frame(s); need at least 2 to synchronize")
        values = np.stack(rows)  # (L, side*side*3)
        return Features(values, np.ones(len(rows), bool), np.asarray(times), self.name, Path(path), info.fps)

    def finalize(self, features: list[Features]) -> list[Features]:
        centred = [f.values - f.values.mean(axis=0, keepdims=True) for f in features]
        stacked = np.concatenate(centred)  # (sum L, D)
        n = min(self.config.n_components, stacked.shape[0] - 1, stacked.shape[1])
        pca = PCA(n_components=n, svd_solver="randomized", random_state=0).fit(stacked)
        return [
            dataclasses.replace(f, values=pca.transform(c).astype(np.float32), meta={**f.meta, "pca_components": n})
            for f, c in zip(features, centred)
        ]


def _standardize(pixels: np.ndarray) -> np.ndarray:
    std = pixels.std()
    return (pixels - pixels.mean()) / (std if std > 1e-6 else 1.0)

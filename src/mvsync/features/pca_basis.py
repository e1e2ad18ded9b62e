"""A PCA basis fitted from a stream of row chunks: memory holds the ``(D, D)`` scatter matrix and one chunk, never the
stacked rows, so fitting does not grow with the number of frames (issue 12, section 3).

The result is the exact PCA of all the rows (eigenvectors of their covariance), not an approximation from a sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
from scipy.linalg import eigh
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn


@dataclass(frozen=True, eq=False)
class PCABasis:
    """``project(rows) = (rows - mean) @ components.T``.

    >>> basis = PCABasis.fit([np.random.default_rng(0).normal(size=(100, 6))], n_components=2)
    >>> basis.project(np.zeros((3, 6))).shape
    (3, 2)
    """

    mean: np.ndarray  # (D,) float64: the rows' mean
    components: np.ndarray  # (n, D) float64: orthonormal rows, by decreasing variance

    @classmethod
    def fit(cls, chunks: Iterable[np.ndarray], *, n_components: int) -> "PCABasis":
        """Fit on every row of ``chunks`` (each ``(m, D)``), read once. Keeps ``min(n_components, rows - 1, D)``
        components; each one's sign is fixed (largest entry positive) so that the same rows give the same basis."""
        count, total, scatter = 0, None, None
        for chunk in chunks:
            chunk = np.asarray(chunk, np.float32)  # (m, D)
            if total is None:
                total, scatter = np.zeros(chunk.shape[1]), np.zeros((chunk.shape[1], chunk.shape[1]))
            count += len(chunk)
            total += chunk.sum(axis=0, dtype=np.float64)
            scatter += chunk.T @ chunk  # (D, D), float32 product summed in float64
        if count < 2:
            raise ValueError(f"PCA needs at least 2 rows, got {count}")
        mean = total / count
        covariance = scatter  # in place: one (D, D) matrix in memory
        covariance -= count * np.outer(mean, mean)
        covariance /= count - 1
        dim = len(mean)
        n = min(n_components, count - 1, dim)
        # One BLAS thread: LAPACK's threads on a (D, D) of this size wait on each other when the cores are busy
        # (measured at D = 1728 on a loaded 2-core machine: 15 s with the default threads, 0.26 s with one).
        with threadpool_limits(1):
            values, vectors = eigh(covariance, subset_by_index=[dim - n, dim - 1])  # ascending
        components = vectors[:, ::-1].T  # (n, D), largest variance first
        signs = np.sign(components[np.arange(n), np.abs(components).argmax(axis=1)])
        return cls(mean, components * signs[:, None])

    @property
    def n_components(self) -> int:
        return len(self.components)

    def project(self, rows: np.ndarray) -> np.ndarray:
        """``(m, D)`` rows to ``(m, n)`` float32 coordinates."""
        return ((np.asarray(rows, np.float64) - self.mean) @ self.components.T).astype(np.float32)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The basis as named arrays (for feature files and checkpoints)."""
        return {f"{prefix}mean": self.mean, f"{prefix}components": self.components}

    @classmethod
    def from_arrays(cls, arrays: dict, prefix: str) -> "PCABasis":
        mean, components = arrays[f"{prefix}mean"], arrays[f"{prefix}components"]
        return cls(np.asarray(mean, np.float64), np.asarray(components, np.float64))

"""Gaussian smoothing of per-frame features over time, valid frames only (``mvsync sync --smooth SIGMA``).

Feature extractors jitter from frame to frame (a pose detector's keypoints on a still talking head, compression noise
in thumbnails); an aligner matching noisy frames one by one makes local mistakes. Smoothing each channel over time
with a Gaussian of ``sigma`` frames averages the jitter out. Invalid frames (no person found) neither contribute nor
change: the weights are renormalised over the valid neighbours (a normalised convolution).

>>> values = np.array([[0.0], [3.0], [0.0], [9.0]]); valid = np.array([True, True, True, False])
>>> smooth_over_time(values, valid, 1.0).round(2).ravel().tolist()
[0.73, 1.27, 1.04, 9.0]
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d


def smooth_over_time(values: np.ndarray, valid: np.ndarray, sigma: float) -> np.ndarray:
    """``values`` ``(L, C)`` smoothed over time (axis 0) by a Gaussian of ``sigma`` frames over the ``valid`` frames;
    invalid rows are returned as they were. ``sigma = 0`` returns ``values`` unchanged."""
    if sigma == 0:
        return values
    weight = valid.astype(np.float64)[:, None]  # (L, 1)
    total = gaussian_filter1d(np.where(weight > 0, values, 0.0), sigma, axis=0, mode="nearest")  # (L, C) float64
    norm = gaussian_filter1d(weight, sigma, axis=0, mode="nearest")  # (L, 1) the valid share of each window
    out = np.divide(total, norm, out=np.array(values, dtype=np.float64), where=norm > 1e-9)
    return np.where(weight > 0, out, values).astype(values.dtype, copy=False)

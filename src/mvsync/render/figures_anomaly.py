"""The anomaly map as a picture (issue 11, section 6): one heat strip per clip under the shared timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..result import SyncResult
from .figures import _pyplot, save_figure


def render_anomaly_strips(timeline_scores: np.ndarray, timeline_flagged: np.ndarray, threshold: float,
                          result: SyncResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a PNG (or SVG) with one heat strip per clip: its anomaly score at each timeline step (``(N, T)``,
    see :class:`~mvsync.applications.anomaly.AnomalyMap`), gray where it has no content, and its flagged steps
    (``(N, T)`` bool) marked by a red bar under the strip.

    >>> from mvsync import load_features
    >>> from mvsync.applications.anomaly import anomaly_map
    >>> result = SyncResult.load("out/sync.json")
    >>> features = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz", "feats/ride/c.npz")]
    >>> amap = anomaly_map(result, features)
    >>> render_anomaly_strips(amap.timeline_scores, amap.timeline_flagged, amap.threshold, result, "anomaly.png")
    PosixPath('anomaly.png')
    """
    plt = _pyplot()
    n_clips, length = timeline_scores.shape
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.45 * n_clips), dpi=110)
    vmax = max(2 * threshold, float(np.nanmax(timeline_scores)) if np.isfinite(timeline_scores).any() else 1.0)
    cmap = plt.get_cmap("magma").with_extremes(bad="0.85")  # gray: no content
    extent = (0, length / result.fps, n_clips, 0)
    image = ax.imshow(np.ma.masked_invalid(timeline_scores), aspect="auto", cmap=cmap, vmin=0, vmax=vmax,
                      extent=extent, interpolation="nearest")
    for i in range(n_clips):
        steps = np.flatnonzero(timeline_flagged[i])
        ax.scatter(steps / result.fps, np.full(len(steps), i + 0.88), marker="s", s=4, color="red", linewidths=0)
    ax.set_yticks(np.arange(n_clips) + 0.5, [Path(t.path).name for t in result.videos], fontsize=7)
    ax.set_xlabel("common timeline (s)")
    ax.set_title(f"distance to the other clips' prototype (flagged beyond {threshold:.2f}: red)", fontsize=9)
    fig.colorbar(image, ax=ax, pad=0.01, label="RMS distance (z-scored)")
    fig.tight_layout()
    return save_figure(fig, path, overwrite=overwrite)

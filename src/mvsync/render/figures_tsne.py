"""t-SNE trajectories as a picture (issue 11, section 3; TCC supp. Fig. 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .figures import _pyplot, save_figure

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def render_tsne(points: list[np.ndarray], names: list[str], thumbnails: list[dict[int, np.ndarray]],
                path: str | Path, *, title: str = "", overwrite: bool = False) -> Path:
    """Write a PNG or SVG (from ``path``'s suffix): each clip's ``(L_i, 2)`` points as a coloured path in time order
    (a dot at its first frame), and its thumbnails (``{frame index: image}``) pinned at their points with the
    clip's colour as border. The points come from :func:`~mvsync.applications.trajectories.tsne_trajectories`;
    here, quicker, each frame's first two principal components stand in for them:

    >>> from mvsync import load_features
    >>> from mvsync.render.thumbnails import read_thumbnails
    >>> points = [load_features(p).values[:, :2] for p in ("feats/ride/a.npz", "feats/pedal/b.npz")]
    >>> thumbs = [read_thumbnails(clip, [0, 60]) for clip in ("a.mp4", "b.mp4")]  # {frame index: image}
    >>> render_tsne(points, ["a.mp4", "b.mp4"], thumbs, "tsne.png")
    PosixPath('tsne.png')
    """
    plt = _pyplot()
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage

    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    for k, (xy, name, thumbs) in enumerate(zip(points, names, thumbnails)):
        color = COLORS[k % len(COLORS)]
        ax.plot(xy[:, 0], xy[:, 1], "-", color=color, linewidth=1.2, alpha=0.8, label=name)
        ax.plot(xy[0, 0], xy[0, 1], "o", color=color, markersize=6)
        for n, (frame, image) in enumerate(sorted(thumbs.items())):
            ax.plot(xy[frame, 0], xy[frame, 1], "s", color=color, markersize=5)
            offset = (40 if n % 2 else -40, 40 if k % 2 else -40)  # away from the point, clips alternating
            box = AnnotationBbox(OffsetImage(image, zoom=0.6), tuple(xy[frame]), xybox=offset, boxcoords="offset points",
                                 bboxprops={"edgecolor": color, "linewidth": 2.5}, arrowprops={"arrowstyle": "-", "color": color})
            ax.add_artist(box)
    ax.set_title(title or "t-SNE of per-frame embeddings (dot: first frame)", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return save_figure(fig, path, overwrite=overwrite)

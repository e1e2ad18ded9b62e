"""Joint angles over the common timeline as a picture: one panel per joint, one line per clip (``mvsync angles``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .figures import _pyplot, save_figure


def render_angle_plot(values: np.ndarray, joints: tuple[str, ...], clips: tuple[str, ...], timeline_s: np.ndarray,
                      path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a PNG (or SVG): for each of ``joints``, every clip's angle (``values`` ``(N, T, J)``, degrees, NaN:
    none) against the timeline in seconds; gaps where a clip has no content or no person. With a
    :class:`~mvsync.applications.body_angles.TimelineAngles` ``table``::

        render_angle_plot(table.values, table.joints, table.clips, table.timeline_s, "angles.png")
    """
    plt = _pyplot()
    n_joints = len(joints)
    fig, axes = plt.subplots(n_joints, 1, figsize=(8, 0.6 + 1.7 * n_joints), dpi=110, sharex=True, squeeze=False)
    colors = plt.get_cmap("tab10")
    for j, (ax, joint) in enumerate(zip(axes[:, 0], joints)):
        for k, clip in enumerate(clips):
            ax.plot(timeline_s, values[k, :, j], color=colors(k % 10), linewidth=1.2, label=Path(clip).name)
        ax.set_ylabel(f"{joint}\n(degrees)", fontsize=8)
        ax.grid(True, linewidth=0.3, alpha=0.6)
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("common timeline (s)")
    axes[0, 0].legend(fontsize=7, ncol=min(4, len(clips)), loc="upper right", framealpha=0.7)
    axes[0, 0].set_title("joint angles of every clip, in sync (image plane)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, overwrite=overwrite)

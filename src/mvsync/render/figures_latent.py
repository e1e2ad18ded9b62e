"""The TPL latent before and after joint alignment as a picture (issue 11, section 4; TPL supp. Figs. 1-5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .figures import _pyplot, save_figure


def render_latent(before: list[np.ndarray], after: np.ndarray, colors_before: list[np.ndarray],
                  colors_after: np.ndarray, path: str | Path, *, color_label: str = "normalised time",
                  categorical: bool = False, overwrite: bool = False) -> Path:
    """Write a PNG or SVG: left, each clip's latent ``(L_i,)`` against its own normalised time; right, the aligned
    latents ``(N, T)`` against the common timeline; each point coloured by its value in ``colors_*`` (a phase label
    when ``categorical``, else e.g. normalised time), curves in light gray beneath.

    >>> from mvsync import load_features
    >>> from mvsync.applications.latent import tpl_latents
    >>> features = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz", "feats/ride/c.npz")]
    >>> c = tpl_latents(features, epochs=2)  # a quick fit for the example; the default is 100 epochs
    >>> render_latent(c.before, c.after, *c.colors(), "latent.png")
    PosixPath('latent.png')
    """
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=110, sharey=True)
    values = np.concatenate([*colors_before, colors_after.ravel()])
    cmap = plt.get_cmap("tab10" if categorical else "viridis")
    vmin, vmax = (0, 9) if categorical else (float(values.min()), float(values.max()))
    for z, c in zip(before, colors_before):
        t = np.linspace(0, 1, len(z))
        left.plot(t, z, color="0.8", linewidth=0.8, zorder=1)
        scatter = left.scatter(t, z, c=c, s=4, cmap=cmap, vmin=vmin, vmax=vmax, zorder=2)
    s = np.linspace(0, 1, after.shape[1])
    for z, c in zip(after, colors_after):
        right.plot(s, z, color="0.8", linewidth=0.8, zorder=1)
        right.scatter(s, z, c=c, s=4, cmap=cmap, vmin=vmin, vmax=vmax, zorder=2)
    left.set_title(f"before alignment: {len(before)} clips, own time", fontsize=9)
    right.set_title("after alignment: common timeline", fontsize=9)
    left.set_xlabel("normalised clip time")
    right.set_xlabel("normalised common time")
    left.set_ylabel("TPL latent Z")
    fig.colorbar(scatter, ax=[left, right], pad=0.01, label=color_label)
    return save_figure(fig, path, overwrite=overwrite)

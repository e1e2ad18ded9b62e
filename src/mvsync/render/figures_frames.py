"""Five moments of every clip before and after sync, agreement outlined (issue 11, section 4; TPL supp. figures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .figures import _pyplot, save_figure

GREEN, RED = (40, 170, 60), (220, 30, 30)
BORDER, GAP = 4, 6  # pixels


def frames_mosaic(cells: list[list[np.ndarray]], agree: np.ndarray) -> np.ndarray:
    """One image of ``cells`` (rows of equally sized ``(h, w, 3)`` thumbnails), each outlined green where
    ``agree`` (``(rows, cols)`` bool) and red elsewhere."""
    h, w = cells[0][0].shape[:2]
    rows, cols = agree.shape
    out = np.full((rows * (h + 2 * BORDER + GAP), cols * (w + 2 * BORDER + GAP), 3), 255, np.uint8)
    for r in range(rows):
        for c in range(cols):
            y, x = r * (h + 2 * BORDER + GAP), c * (w + 2 * BORDER + GAP)
            out[y : y + h + 2 * BORDER, x : x + w + 2 * BORDER] = GREEN if agree[r, c] else RED
            out[y + BORDER : y + BORDER + h, x + BORDER : x + BORDER + w] = cells[r][c]
    return out


def render_frames(before: np.ndarray, after: np.ndarray, names: list[str], path: str | Path, *, caption: str,
                  counts: tuple[int, int, int], overwrite: bool = False) -> Path:
    """Write a PNG or SVG: the mosaics (:func:`frames_mosaic`) before (left) and after (right) sync side by side,
    one row per clip (``names``), with the caption saying how agreement was decided; ``counts`` are (cells agreeing
    before, after, cells per side)."""
    plt = _pyplot()
    rows = len(names)
    panel_w = 5.6  # inches per side; the height follows the mosaic's aspect ratio
    fig, axes = plt.subplots(1, 2, figsize=(2 * panel_w + 1.2, 0.9 + panel_w * before.shape[0] / before.shape[1]), dpi=110)
    for ax, image, title, agreeing in zip(axes, (before, after), ("before sync (own time)", "after sync"), counts[:2]):
        ax.imshow(image)
        ax.set_title(f"{title}: {agreeing} of {counts[2]} cells agree", fontsize=9)
        ax.set_xticks([])
        row_h = image.shape[0] / rows
        ax.set_yticks((np.arange(rows) + 0.5) * row_h, names, fontsize=7)
    fig.text(0.5, 0.01, f"green: agrees with its column, red: does not ({caption})", ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return save_figure(fig, path, overwrite=overwrite)

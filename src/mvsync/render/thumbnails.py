"""A few frames of a clip, small, for the figures (decoded in one forward pass)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import probe, read_frames_at

GRAY = 200  # a cell with no content


def read_thumbnails(path: str | Path, indices: list[int], *, width: int = 96) -> dict[int, np.ndarray]:
    """``{index: (H, width, 3) uint8}`` for each wanted frame index (height from the clip's aspect ratio); a
    negative index gets a gray image of that size (no content). Raises :class:`InputError` if a frame is beyond
    what decodes."""
    info = probe(path)
    size = (width, max(2, int(round(width * info.height / info.width / 2)) * 2))
    found = read_frames_at(path, [i for i in indices if i >= 0], size=size)
    return {**found, **{i: np.full((size[1], size[0], 3), GRAY, np.uint8) for i in indices if i < 0}}

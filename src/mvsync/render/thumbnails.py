"""A few frames of a clip, small, for the figures (decoded in one forward pass)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import probe, read_frames

GRAY = 200  # a cell with no content


def read_thumbnails(path: str | Path, indices: list[int], *, width: int = 96) -> dict[int, np.ndarray]:
    """``{index: (H, width, 3) uint8}`` for each wanted frame index (height from the clip's aspect ratio); a
    negative index gets a gray image of that size (no content). Raises :class:`InputError` if a frame is beyond
    what decodes."""
    info = probe(path)
    size = (width, max(2, int(round(width * info.height / info.width / 2)) * 2))
    wanted = {i for i in indices if i >= 0}
    found = {i: np.full((size[1], size[0], 3), GRAY, np.uint8) for i in indices if i < 0}
    last = max(wanted, default=-1)
    for frame in read_frames(path, size=size):
        if frame.index in wanted:
            found[frame.index] = frame.image
        if frame.index >= last:
            break
    missing = sorted(wanted - set(found))
    if missing:
        raise InputError(f"{path}: frame {missing[0]} could not be decoded (the clip ends sooner)")
    return found

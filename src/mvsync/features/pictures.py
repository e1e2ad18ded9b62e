"""Each frame's picture, kept tiny beside the features (``Features.meta["pictures"]``): what ``sync`` compares to
find clips that are copies of one another (:mod:`mvsync.align.picture_copies`), whose pictures time them more
precisely than any feature made from them."""

from __future__ import annotations

import numpy as np
from PIL import Image

PICTURE_SIDE = 16  # pixels a side: 768 bytes a frame (12, 16 and 24 timed the benchmark's copies alike)


def picture(image: np.ndarray) -> np.ndarray:
    """The frame ``(H, W, 3)`` uint8 as a ``PICTURE_SIDE``-pixel RGB thumbnail (pixel areas averaged), flattened.

    >>> picture(np.zeros((144, 176, 3), np.uint8)).shape
    (768,)
    """
    return np.asarray(Image.fromarray(image).resize((PICTURE_SIDE, PICTURE_SIDE), Image.BOX), np.uint8).ravel()


def stack_pictures(pictures: list[np.ndarray]) -> np.ndarray:
    """The pictures of a clip's frames as one ``(L, PICTURE_SIDE ** 2 * 3)`` uint8 array (empty for no frames)."""
    return np.stack(pictures) if pictures else np.zeros((0, PICTURE_SIDE * PICTURE_SIDE * 3), np.uint8)

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


def zscore_rows(pixels: np.ndarray) -> np.ndarray:
    """Z-score each row ``(m, D)`` (a frame's pixels) against its own mean and std, as float32: a brightness offset
    or contrast gain of the whole frame changes nothing.

    >>> zscore_rows(np.array([[0, 2], [10, 30]], np.uint8)).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """
    pixels = np.asarray(pixels, np.float32)
    std = pixels.std(axis=1, keepdims=True)
    return (pixels - pixels.mean(axis=1, keepdims=True)) / np.where(std > 1e-6, std, 1.0)


def stack_pictures(pictures: list[np.ndarray]) -> np.ndarray:
    """The pictures of a clip's frames as one ``(L, PICTURE_SIDE ** 2 * 3)`` uint8 array (empty for no frames)."""
    return np.stack(pictures) if pictures else np.zeros((0, PICTURE_SIDE * PICTURE_SIDE * 3), np.uint8)

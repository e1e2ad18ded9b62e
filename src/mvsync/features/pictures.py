"""Each frame's picture, kept tiny beside the features (``Features.meta["pictures"]``): what ``sync`` compares to
find clips that are copies of one another (:mod:`mvsync.align.picture_copies`), whose pictures time them more
precisely than any feature made from them."""

from __future__ import annotations

import numpy as np
from PIL import Image

PICTURE_SIDE = 16  # pixels a side: 768 bytes a frame (12, 16 and 24 timed the benchmark's copies alike)
STILL_LEVEL = 4  # a step from one frame to the next changes some picture pixel by this much (of 255) where it moves
STILL_SHARE = 0.05  # a clip with fewer steps that move than this share of them shows no motion


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


def shows_no_motion(pictures: np.ndarray) -> bool:
    """Whether a clip's pictures ``(L, D)`` (:func:`stack_pictures`) hardly ever change: fewer than ``STILL_SHARE`` of
    the steps from one frame to the next change any pixel by ``STILL_LEVEL`` or more. A frozen recording, a still
    picture exported as a video, a scene where nothing moves: nothing in it tells one moment from another. Measured
    (share of steps that move): a frozen frame of carphone re-encoded, 0; bikes 0.98, carphone 0.99, bigbuckbunny (a
    slow scene) 0.91. A clip that waits 9 s and moves for 1 s moves in 10% of its steps: not still.

    >>> frozen = np.full((30, 768), 120, np.uint8)
    >>> moving = frozen.copy(); moving[::2, :10] = 200
    >>> shows_no_motion(frozen), shows_no_motion(moving), shows_no_motion(frozen[:2])
    (True, False, False)
    """
    if len(pictures) < 3:
        return False
    change = np.abs(np.diff(np.asarray(pictures, np.int16), axis=0)).max(axis=1)
    return float(np.mean(change >= STILL_LEVEL)) < STILL_SHARE

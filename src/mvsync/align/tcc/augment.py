"""Training augmentation, one pipeline for every algorithm (seed, "Data Augmentation").

Frames, per video (all its sampled frames get the same draw):

- flip the whole video horizontally with probability 1/2;
- brightness: add one value drawn in [-32, 32] to the raw pixels (0-255 scale);
- contrast: scale each frame's deviations from its per-channel mean by one factor drawn in [0.5, 1.5]
  (``tf.image.adjust_contrast``, as TCC's pipeline);

then clip to [0, 255].

Precomputed features cannot be brightened or flipped in general (a PCA of thumbnails, a DINO or CLIP vector
has no known mirror image), so only what has an exact meaning is applied: for ``pose`` features the flip is
the mirror of the skeleton (x negated, left and right landmarks swapped); every other kind is left unchanged.
``FEATURE_FLIPS`` maps a ``Features.kind`` to its flip.

Example
-------
>>> rng = np.random.default_rng(0)
>>> video = torch.full((3, 2, 4, 4, 3), 100.0)  # (T, k, H, W, 3)
>>> out = augment_frames(video, rng)
>>> bool(out.min() >= 0 and out.max() <= 255), out.shape
(True, torch.Size([3, 2, 4, 4, 3]))
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

from ...registry import Registry

MAX_BRIGHTNESS = 32.0  # on the 0-255 scale (TCC: BRIGHTNESS_MAX_DELTA = 32 / 255 on [0, 1] pixels)
CONTRAST_RANGE = (0.5, 1.5)
FEATURE_FLIPS: Registry[Callable[[Tensor], Tensor]] = Registry("feature flip")



def _pose_mirror() -> np.ndarray:
    """Landmark permutation left <-> right of mediapipe's 33 pose landmarks (0 is the nose; see PoseLandmark)."""
    pairs = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, 33, 2)]  # (left, right)
    mirror = np.arange(33)
    for left, right in pairs:
        mirror[left], mirror[right] = right, left
    return mirror


POSE_MIRROR = _pose_mirror()


def augment_frames(video: Tensor, rng: np.random.Generator) -> Tensor:
    """Flip, brightness and contrast with one draw for the whole video: ``(..., H, W, 3)`` floats in [0, 255]."""
    if rng.random() < 0.5:
        video = video.flip(-2)  # mirror the W axis of every frame
    video = video + float(rng.uniform(-MAX_BRIGHTNESS, MAX_BRIGHTNESS))
    factor = float(rng.uniform(*CONTRAST_RANGE))
    mean = video.mean(dim=(-3, -2), keepdim=True)  # (..., 1, 1, 3): per frame and channel
    return ((video - mean) * factor + mean).clamp(0.0, 255.0)


def augment_features(video: Tensor, kind: str, rng: np.random.Generator) -> Tensor:
    """The flip of :data:`FEATURE_FLIPS` for ``kind`` with probability 1/2 (``(..., C)``); other kinds unchanged.

    >>> x = torch.zeros(2, 132)
    >>> torch.equal(augment_features(x, "appearance", np.random.default_rng(0)), x)
    True
    """
    flip = rng.random() < 0.5  # drawn for every kind, so the random stream does not depend on the kind
    return FEATURE_FLIPS.get(kind)(video) if flip and kind in FEATURE_FLIPS else video


@FEATURE_FLIPS.register("pose")
def flip_pose(values: Tensor) -> Tensor:
    """Mirror mediapipe pose features ``(..., 132 + A)`` (33 landmarks x (x, y, z, visibility), hip-centred, then
    mirror-invariant joint angles): negate x and swap every left landmark with its right one, as the detector would
    report on a mirrored frame; the angles stay as they are.

    >>> x = torch.zeros(132); x[11 * 4] = 0.5  # left shoulder x
    >>> float(flip_pose(x)[12 * 4])  # now the right shoulder, mirrored
    -0.5
    """
    landmarks = values[..., :132].unflatten(-1, (33, 4))[..., POSE_MIRROR, :]  # (..., 33, 4), left <-> right
    sign = torch.tensor([-1.0, 1.0, 1.0, 1.0], dtype=values.dtype, device=values.device)
    return torch.cat([(landmarks * sign).flatten(-2), values[..., 132:]], dim=-1)

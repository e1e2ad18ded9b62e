"""Which frames a training step sees: TCC's random sorted positions, TCN's pairs, and their context stacks.

A training video is ``(L, C)`` float features or ``(L, H, W, 3)`` uint8 frames (in memory or read on demand). Per step,
each video of the batch contributes ``T`` frames at random sorted positions (TCC's ``offset_uniform``
sampling: distinct frames when the video has at least T, else drawn with replacement), or ``T`` such anchors
each preceded by a positive at most ``positive_window`` frames earlier (TCN). Each sampled frame brings its
context frames (:attr:`EncoderConfig.context_offsets`, clamped at the first frame).

Example
-------
>>> rng = np.random.default_rng(0)
>>> steps = sample_steps(np.arange(100), 5, rng)
>>> bool(np.all(np.diff(steps) > 0))
True
>>> context_indices(np.array([0, 20]), (15, 0)).tolist()
[[0, 0], [5, 20]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .augment import augment_features, augment_frames


@dataclass(frozen=True, eq=False)
class Video:
    """One training video."""

    data: np.ndarray  # (L, C) float32 features or (L, H, W, 3) uint8 RGB frames (or a frame_source reading them)
    valid: np.ndarray  # (L,) bool: frames that may be sampled (features of frames with no person are not)

    def __len__(self) -> int:
        return len(self.data)


@dataclass(frozen=True, eq=False)
class Batch:
    """What one optimisation step sees."""

    x: Tensor  # (B, T', k, C) features or (B, T', k, 3, H, W) frames as floats in [0, 255]
    steps: Tensor  # (B, T') frame index of every sampled frame
    lengths: Tensor  # (B,) frame count of every video


def sample_steps(candidates: np.ndarray, num_frames: int, rng: np.random.Generator) -> np.ndarray:
    """``num_frames`` sorted positions among ``candidates``; distinct when there are enough."""
    replace = len(candidates) < num_frames
    return np.sort(rng.choice(candidates, size=num_frames, replace=replace))


def sample_pairs(candidates: np.ndarray, num_frames: int, window: int, rng: np.random.Generator) -> np.ndarray:
    """TCN: ``num_frames`` sorted anchors, each preceded by a positive 1..``window`` frames before it (clamped at
    frame 0), interleaved as ``(positive, anchor, positive, anchor, ...)``: ``(2 * num_frames,)``.

    >>> pairs = sample_pairs(np.arange(50), 3, 5, np.random.default_rng(0)).reshape(3, 2)  # (positive, anchor)
    >>> bool(np.all((pairs[:, 1] - pairs[:, 0] >= 1) & (pairs[:, 1] - pairs[:, 0] <= 5)))
    True
    """
    anchors = sample_steps(candidates, num_frames, rng)
    positives = np.maximum(anchors - rng.integers(1, window + 1, size=num_frames), 0)
    return np.stack([positives, anchors], axis=1).reshape(-1)


def context_indices(steps: np.ndarray, offsets: tuple[int, ...]) -> np.ndarray:
    """``(T, k)`` frame indices of every step's context stack, oldest first, clamped at frame 0."""
    return np.maximum(steps[:, None] - np.asarray(offsets)[None, :], 0)


def video_batches(n_videos: int, batch_videos: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch: the videos in random order, in batches of ``min(batch_videos, n_videos)``; a short last batch
    is filled up with other videos drawn at random (every step compares the same number of videos).

    >>> [len(b) for b in video_batches(5, 4, np.random.default_rng(0))]
    [4, 4]
    """
    size = min(batch_videos, n_videos)
    order = rng.permutation(n_videos)
    batches = [order[i : i + size] for i in range(0, n_videos, size)]
    short = batches[-1]
    if len(short) < size:
        others = np.setdiff1d(np.arange(n_videos), short)
        batches[-1] = np.concatenate([short, rng.choice(others, size - len(short), replace=False)])
    return batches


def make_batch(
    videos: list[Video],
    chosen: np.ndarray,
    *,
    num_frames: int,
    offsets: tuple[int, ...],
    pairs: bool,
    positive_window: int,
    feature_kind: str | None,
    augment: bool,
    rng: np.random.Generator,
) -> Batch:
    """Sample frames of the videos ``chosen``, gather their context stacks and augment them per video.

    ``feature_kind`` is the :class:`~mvsync.types.Features` kind of feature videos (it selects the flip), or
    None for frame videos.
    """
    xs, all_steps = [], []
    for i in chosen:
        video = videos[i]
        candidates = np.flatnonzero(video.valid)
        steps = (sample_pairs(candidates, num_frames, positive_window, rng) if pairs
                 else sample_steps(candidates, num_frames, rng))
        x = torch.from_numpy(video.data[context_indices(steps, offsets)]).float()  # (T', k, ...)
        if augment:
            x = augment_frames(x, rng) if feature_kind is None else augment_features(x, feature_kind, rng)
        xs.append(x)
        all_steps.append(steps)
    x = torch.stack(xs)  # (B, T', k, C) or (B, T', k, H, W, 3)
    if feature_kind is None:
        x = x.permute(0, 1, 2, 5, 3, 4)  # (B, T', k, 3, H, W)
    lengths = torch.tensor([len(videos[i]) for i in chosen])
    return Batch(x.contiguous(), torch.from_numpy(np.stack(all_steps)), lengths)

"""What the TCC embedders accept: per-frame features or videos, turned into arrays.

An input is one of

- a :class:`~mvsync.types.Features` (its ``kind`` selects the feature augmentation) or an ``(L, C)`` array;
- a video file or an image-folder path (frames resized to ``image_size`` squared), or an ``(L, H, W, 3)`` uint8
  array.

Training reads the frames of a path on demand (:mod:`.frame_source`: an image folder file by file, a video file
decoded once into a memory-mapped temporary file); an array is held in memory as given. Embedding streams a path
frame by frame.

Example
-------
>>> videos, kind = load_videos([np.zeros((10, 4)), np.ones((12, 4))], image_size=224)
>>> [len(v) for v in videos], kind
([10, 12], '')
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence, Union

import numpy as np
from PIL import Image

from ...errors import InputError
from ...io import read_frames
from ...types import Features
from .frame_source import frame_source
from .sampling import Video

Input = Union[Features, np.ndarray, str, Path]


def is_frames(item: Input) -> bool:
    """True for a video or image-folder path or an ``(L, H, W, 3)`` array, False for features."""
    return isinstance(item, (str, Path)) or (isinstance(item, np.ndarray) and item.ndim == 4)


def load_videos(data: Sequence[Input], *, image_size: int) -> tuple[list[Video], str | None]:
    """Training videos in memory and the feature kind (``""`` for plain arrays, None for frames)."""
    if isinstance(data, (str, Path, Features, np.ndarray)) or len(data) == 0:
        raise InputError("data: expected a list of videos (Features, (L, C) arrays, paths or (L, H, W, 3) arrays)")
    frames = [is_frames(item) for item in data]
    if any(frames) != all(frames):
        raise InputError("data: mixes frames and features; give one kind of input")
    if frames[0]:
        return [_frame_video(item, image_size) for item in data], None
    videos = [_feature_video(i, item) for i, item in enumerate(data)]
    kinds = {item.kind for item in data if isinstance(item, Features)}
    widths = {v.data.shape[1] for v in videos}
    if len(kinds) > 1 or len(widths) > 1:
        raise InputError(f"data: features of several kinds or widths ({sorted(kinds)}, {sorted(widths)} channels)")
    return videos, kinds.pop() if kinds else ""


def iter_items(item: Input, *, image_size: int) -> Iterator[np.ndarray]:
    """One array per frame, in order: ``(C,)`` features or ``(image_size, image_size, 3)`` uint8 frames."""
    if isinstance(item, (str, Path)):  # read_frames gives arrays of their own (safe to keep)
        return (frame.image for frame in read_frames(item, size=(image_size, image_size)))
    if isinstance(item, Features):
        return iter(np.asarray(item.values, np.float32))
    array = np.asarray(item)
    if array.ndim == 4:
        return (_resize(frame, image_size) for frame in array)
    if array.ndim == 2:
        return iter(array.astype(np.float32))
    raise InputError(f"input: expected (L, C) features or (L, H, W, 3) frames, got shape {array.shape}")


def _feature_video(i: int, item: Features | np.ndarray) -> Video:
    values = item.values if isinstance(item, Features) else item
    values = np.asarray(values, np.float32)
    if values.ndim != 2 or len(values) < 2:
        raise InputError(f"data[{i}]: expected (L, C) features with L >= 2, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise InputError(f"data[{i}]: features contain NaN or inf")
    valid = np.asarray(item.valid, bool) if isinstance(item, Features) else np.ones(len(values), bool)
    if valid.sum() < 2:
        raise InputError(f"data[{i}]: only {int(valid.sum())} valid frame(s); need at least 2")
    return Video(values, valid)


def _frame_video(item: str | Path | np.ndarray, image_size: int) -> Video:
    if isinstance(item, (str, Path)):
        frames = frame_source(item, image_size)  # read on demand, not held in memory
    else:
        frames = np.stack(list(iter_items(item, image_size=image_size)))  # (L, S, S, 3) uint8
        if len(frames) < 2:
            raise InputError(f"frames: only {len(frames)} frame(s); need 2")
    return Video(frames, np.ones(len(frames), bool))


def _resize(frame: np.ndarray, size: int) -> np.ndarray:
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise InputError(f"frames: expected (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
    if frame.shape[:2] == (size, size):
        return frame
    return np.asarray(Image.fromarray(frame).resize((size, size), Image.BILINEAR))

"""Image sequences: a folder of frames (``frames/0001/000001.jpg ...``) read like a video.

Frames are the folder's ``.jpg``/``.jpeg``/``.png``/``.bmp`` files in natural name order
(``2.jpg`` before ``10.jpg``). A folder has no frame rate: frame ``i`` is shown at
``i / IMAGE_FPS`` seconds, 30 fps nominal, the rate Penn Action's frames were taken at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ..types import Frame, VideoInfo

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
IMAGE_FPS = 30.0  # nominal rate of a folder of frames (Penn Action's)


def is_image_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder holding at least one image file."""
    path = Path(path)
    return path.is_dir() and any(_is_image(p) for p in path.iterdir())


def image_paths(folder: str | Path) -> list[Path]:
    """The folder's images in natural name order; hidden files (``._0001.jpg``) are skipped.

    >>> [p.name for p in image_paths("frames/0001")]  # doctest: +ELLIPSIS
    ['000001.jpg', '000002.jpg', ..., '000100.jpg']
    """
    folder = Path(folder)
    paths = sorted((p for p in folder.iterdir() if _is_image(p)), key=lambda p: _natural_key(p.name))
    if not paths:
        raise InputError(f"{folder}: is a folder with no images ({', '.join(IMAGE_EXTENSIONS)}), not a video file")
    return paths


def probe_images(folder: str | Path, *, fps: float = IMAGE_FPS) -> VideoInfo:
    """An image folder's metadata; the size is the first image's (read from its header only).

    >>> info = probe_images("frames/0001")
    >>> info.num_frames, info.fps, info.codec, (info.width, info.height)
    (100, 30.0, 'images', (160, 68))
    """
    folder = Path(folder)
    paths = image_paths(folder)
    try:
        with Image.open(paths[0]) as img:
            width, height = img.size
    except (OSError, ValueError) as err:
        raise InputError(f"{paths[0]}: not a readable image ({_reason(err)})") from None
    n = len(paths)
    return VideoInfo(folder, fps, n, n / fps, width, height, has_audio=False, codec="images")


def read_image_frames(
    folder: str | Path, *, size: tuple[int, int] | None = None, every: int = 1, fps: float = IMAGE_FPS
) -> Iterator[Frame]:
    """Decode a folder's images one at a time, like :func:`~mvsync.io.read_frames` for a video.

    Frame ``i`` has ``time_s = i / fps``; with ``every`` only every ``every``-th image is decoded
    (indices keep counting all images). An unreadable image raises :class:`InputError` naming it.

    >>> for frame in read_image_frames("frames/0001", size=(64, 48), every=50):
    ...     print(frame.index, frame.time_s, frame.image.shape)
    0 0.0 (48, 64, 3)
    50 1.6666666666666667 (48, 64, 3)
    """
    if every < 1:
        raise ValueError(f"every: must be >= 1, got {every}")
    for index, path in enumerate(image_paths(folder)):
        if index % every == 0:
            yield Frame(image=read_image(path, size=size), time_s=index / fps, index=index)


def read_image(path: str | Path, *, size: tuple[int, int] | None = None) -> np.ndarray:
    """One image as ``(H, W, 3)`` uint8 RGB (grey and RGBA converted), resized to ``size=(w, h)``.

    >>> read_image("frames/0001/000001.jpg", size=(224, 224)).shape
    (224, 224, 3)
    """
    try:
        with Image.open(path) as img:
            if size is not None:
                img.draft("RGB", size)  # JPEG: decode at 1/2, 1/4 or 1/8 scale when still >= size (no-op otherwise)
            rgb = img.convert("RGB")
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable image ({_reason(err)})") from None
    if size is not None and rgb.size != tuple(size):
        rgb = rgb.resize(tuple(size), Image.BILINEAR)
    return np.asarray(rgb)


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".") and path.is_file()


def _natural_key(name: str) -> list[str | int]:
    # re.split with a group alternates text and digits, so keys compare str with str and int with int
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _reason(err: Exception) -> str:
    if isinstance(err, UnidentifiedImageError):  # its message repeats the full path
        return "unknown format or corrupt"
    text = str(err)
    return text.splitlines()[0] if text else type(err).__name__

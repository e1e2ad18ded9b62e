"""Training frames that are not all held in memory: what a frame-base TCC run samples its steps from.

A training step reads only ``batch_videos x num_frames x k`` frames, so a dataset of RGB clips must not be
decoded into RAM up front (Penn Action: 163k frames, 24 GB at 224 px). Two sources, both indexable like an
``(L, S, S, 3)`` uint8 array with an integer index array:

- :class:`ImageFolderFrames`, a folder of images (Penn Action's ``frames/NNNN/``): each sampled frame is read
  from its file when a step needs it (JPEG draft decoding makes that cheap);
- :class:`DecodedVideoFrames`, a video file: decoded once at ``S x S`` into a temporary ``.npy`` file that is
  memory-mapped (random access into a compressed stream would decode from the last keyframe every time). The
  file lives as long as the object.

Example
-------
>>> frames = frame_source("frames/0001", 224)  # an image folder, e.g. data/Penn_Action/frames/0001
>>> len(frames), frames[np.array([[0, 15], [3, 18]])].shape
(100, (2, 2, 224, 224, 3))
>>> frame_source("b.mp4", 64)[np.array([0, 130])].shape  # a video file: decoded once at 64 x 64
(2, 64, 64, 3)
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np

from ...errors import InputError
from ...io import image_paths, is_image_folder, probe, read_frames, read_image

log = logging.getLogger(__name__)


class ImageFolderFrames:
    """The images of a folder, read on demand at ``size x size``."""

    def __init__(self, folder: str | Path, size: int) -> None:
        self.folder = Path(folder)
        self.paths = image_paths(self.folder)
        self.size = size

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.paths), self.size, self.size, 3)

    def __getitem__(self, index: np.ndarray) -> np.ndarray:
        index = np.asarray(index)
        unique, inverse = np.unique(index, return_inverse=True)  # a context frame shared by two steps: read once
        images = np.stack([read_image(self.paths[i], size=(self.size, self.size)) for i in unique])
        return images[inverse.reshape(index.shape)]


class DecodedVideoFrames:
    """A video file decoded once at ``size x size`` into a memory-mapped temporary file."""

    def __init__(self, path: str | Path, size: int) -> None:
        self.path = Path(path)
        n = probe(self.path).num_frames  # the container's count: an upper bound on what decodes
        self._tmp = tempfile.TemporaryDirectory(prefix="mvsync-frames-")
        array = np.lib.format.open_memmap(Path(self._tmp.name) / "frames.npy", mode="w+", dtype=np.uint8,
                                          shape=(n, size, size, 3))
        count = 0
        for frame in read_frames(self.path, size=(size, size)):
            if count == n:
                log.warning("%s: more frames decode than the container's %d; training uses the first %d", self.path, n, n)
                break
            array[count] = frame.image
            count += 1
        if count < 2:
            raise InputError(f"{self.path}: only {count} frame(s) decoded; need 2")
        array.flush()
        self._frames = array[:count]

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._frames.shape

    def __getitem__(self, index: np.ndarray) -> np.ndarray:
        return np.asarray(self._frames[np.asarray(index)])


def frame_source(path: str | Path, size: int) -> ImageFolderFrames | DecodedVideoFrames:
    """The frames of a video file or an image folder, indexable without holding them all in memory."""
    path = Path(path)
    source = ImageFolderFrames(path, size) if path.is_dir() and is_image_folder(path) else DecodedVideoFrames(path, size)
    if len(source) < 2:
        raise InputError(f"{path}: only {len(source)} frame(s); training needs at least 2")
    return source

"""On-disk feature cache: a second run on the same clips does not decode them again.

The key is the video's identity (resolved path, size and modification time, or a content
hash; for a folder of images, the same over its images) plus the extractor's name, version
and config. Entries are ``.npz`` files written atomically, so an interrupted run never leaves
a corrupt entry behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import image_paths
from ..types import Features
from .store import load_features, save_features

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$MVSYNC_CACHE_DIR``, else ``$XDG_CACHE_HOME/mvsync/features``, else ``~/.cache/mvsync/features``."""
    if os.environ.get("MVSYNC_CACHE_DIR"):
        return Path(os.environ["MVSYNC_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "mvsync" / "features"


class FeatureCache:
    """Get and put :class:`Features` by (video, extractor) key.

    >>> cache = FeatureCache("my-cache")  # None: $MVSYNC_CACHE_DIR or ~/.cache/mvsync/features
    >>> key = cache.key(Path("a.mp4"), "appearance", "3", {"size": 24})  # a 32-digit hex digest
    >>> cache.get(key, Path("a.mp4")) is None  # not extracted yet
    True
    >>> cache.put(key, load_features("feats/ride/a.npz"))
    >>> cache.get(key, Path("a.mp4")).values.shape
    (100, 32)
    """

    def __init__(self, root: str | Path | None = None, *, content_hash: bool = False) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.content_hash = content_hash

    def key(self, path: Path, kind: str, version: str, config: dict[str, Any]) -> str:
        identity = _content_digest(path) if self.content_hash else _stat_identity(path)
        blob = json.dumps([identity, kind, version, config], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def get(self, key: str, path: Path) -> Features | None:
        entry = self.root / f"{key}.npz"
        if not entry.exists():
            return None
        try:
            return load_features(entry, video_path=path)
        except InputError as err:  # a damaged entry is recomputed, not fatal
            log.warning("ignoring unreadable cache entry (%s)", err)
            return None

    def put(self, key: str, features: Features) -> None:
        save_features(features, self.root / f"{key}.npz")


def _stat_identity(path: Path) -> list[Any]:
    if path.is_dir():
        return _folder_identity(path)
    stat = path.stat()
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def _folder_identity(folder: Path) -> list[Any]:
    """An image sequence's identity: editing, adding, removing or renaming a frame changes it."""
    images = image_paths(folder)
    stats = [p.stat() for p in images]
    names = hashlib.sha256("\n".join(p.name for p in images).encode()).hexdigest()[:16]  # renames keep size and mtime
    return [str(folder.resolve()), len(images), sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats), names]


def _content_digest(path: Path) -> str:
    if not path.is_dir():
        return _file_digest(path)
    digest = hashlib.sha256()
    for image in image_paths(path):  # names too: they set the frame order
        digest.update(f"{image.name}\0{_file_digest(image)}\n".encode())
    return digest.hexdigest()


def _file_digest(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()

"""Atomic file writes: a temporary file in the target's folder, renamed into place on success.

Like :mod:`mvsync.types`, any stage may import this module.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import OutputError


def ensure_folder(folder: str | Path) -> Path:
    """Create ``folder`` (and its parents) if missing, or raise :class:`OutputError` naming it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{folder}: cannot create this folder ({err.strerror or err})") from None
    return folder


def ensure_parent(path: str | Path) -> Path:
    """Create the folder ``path`` is written into (see :func:`ensure_folder`); returns ``path``."""
    ensure_folder(Path(path).parent)
    return Path(path)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path`` (its folder is created if missing); on a clean exit it replaces
    ``path``, otherwise it is removed.

    >>> with atomic_write("new/out.json") as handle:
    ...     handle.write("{}")
    2
    """
    path = ensure_parent(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as err:
        raise OutputError(f"{path.parent}: cannot write here ({err.strerror or err})") from None
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the permissions a plain open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

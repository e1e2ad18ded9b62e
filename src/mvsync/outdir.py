"""Output folders: never clobber a user's files without ``--force``, fail early when unwritable, and leave
nothing behind when a run fails."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import OutputError


def prepare_output_dir(path: str | Path, *, force: bool = False) -> Path:
    """Create ``path`` (or accept it empty); a non-empty folder needs ``force``.

    Raises :class:`OutputError` when the folder exists with content and ``force`` is False, when
    it is a file, or when nothing can be written inside it. Checked before any long work starts.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputError(f"{path}: output folder already exists and is not empty; pass --force to overwrite")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise OutputError(f"{path}: cannot write here ({err.strerror or err})") from None
    return path


@contextlib.contextmanager
def output_dir(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """:func:`prepare_output_dir` for the length of a run; if the run fails, a folder this run created
    is removed again while it is still empty (a failed run leaves nothing behind).

    >>> with output_dir("out", force=False) as out:  # doctest: +SKIP
    ...     (out / "sync.json").write_text("{}")
    """
    path = Path(path)
    created = not path.exists()
    prepared = prepare_output_dir(path, force=force)
    try:
        yield prepared
    except BaseException:
        if created and prepared.is_dir() and not any(prepared.iterdir()):
            prepared.rmdir()
        raise

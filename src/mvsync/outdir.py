"""Output folders: never clobber a user's files without ``force``, fail early when unwritable, and leave
nothing behind when a run fails (issue 13)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import OutputError, OutputExistsError


def prepare_output_dir(path: str | Path, *, force: bool = False) -> Path:
    """Create ``path`` (or accept it empty); a non-empty folder needs ``force``.

    Raises :class:`OutputExistsError` when the folder exists with content and ``force`` is False, and
    :class:`OutputError` when it is a file or nothing can be written inside it. Checked before any long work starts.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputExistsError(f"{path}: output folder already exists and is not empty")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise OutputError(f"{path}: cannot write here ({err.strerror or err})") from None
    return path


@contextlib.contextmanager
def output_dir(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """:func:`prepare_output_dir` for the length of a run. If the run fails, everything it added to the folder is
    removed again (files and folders that were not there before, the user's files stay), and so are the folders
    it created, the output folder included: a failed run leaves nothing behind.

    >>> with output_dir("new", force=False) as out:
    ...     (out / "sync.json").write_text("{}")
    2
    """
    path = Path(path)
    created = _missing_folders(path)
    prepared = prepare_output_dir(path, force=force)
    before = set(os.listdir(prepared))
    try:
        yield prepared
    except BaseException:
        remove_new_entries(prepared, before)
        for folder in created:  # deepest first; a folder someone else filled meanwhile stays
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def remove_new_entries(folder: Path, before: set[str]) -> None:
    """Delete what appeared in ``folder`` since ``before`` (a listing of its names) was taken."""
    for name in set(os.listdir(folder)) - before:
        entry = folder / name
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and each of its parents that does not exist yet, deepest first."""
    missing = []
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing.append(folder)
    return missing

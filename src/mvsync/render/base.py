"""The ``WRITERS`` registry: each output a sync result can be rendered to, and :func:`render_outputs`, which runs
the chosen ones so that a failure changes nothing in the output folder.

A writer is one function with one signature (issue 10, section 1)::

    @WRITERS.register("name")
    @writes("name.mp4")  # what it puts at the top of out_dir (fnmatch patterns): an earlier run's are replaced
    def write_name(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool, progress: bool) -> list[Path]

It writes its files inside ``out_dir`` and returns them. Adding an output is one new module with such a function,
imported in ``render/__init__.py``, and its name in :data:`mvsync.names.WRITER_NAMES`; the command line takes its
choices from there.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path
from typing import Callable, Iterable

from ..errors import OutputExistsError
from ..registry import Registry
from ..result import SyncResult
from .options import RenderOptions

Writer = Callable[..., list[Path]]
WRITERS: Registry[Writer] = Registry("writer")
RESULT_FILE = "sync.json"  # the json writer's file: every run writes it, so it tells whose outputs a folder holds


def writes(*patterns: str) -> Callable[[Writer], Writer]:
    """Declare the names (fnmatch patterns) a writer puts at the top of its output folder, so that a later run into
    the same folder can tell an earlier run's outputs from the user's own files."""
    def declare(writer: Writer) -> Writer:
        writer.outputs = patterns
        return writer

    return declare


def stale_outputs(out_dir: Path, written: list[str]) -> list[Path]:
    """What a writer makes at the top of ``out_dir`` that this run did not write (an earlier run's outputs)."""
    patterns = [p for name in WRITERS for p in getattr(WRITERS.get(name), "outputs", ())]
    return sorted(entry for entry in out_dir.iterdir() if entry.name not in written
                  and any(fnmatch.fnmatch(entry.name, p) for p in patterns))


def render_outputs(
    result: SyncResult,
    out_dir: str | Path,
    names: Iterable[str],
    *,
    options: RenderOptions = RenderOptions(),
    overwrite: bool = False,
    progress: bool = False,
) -> list[Path]:
    """Run the writers ``names`` on ``result`` into ``out_dir``; returns the files written, in that order.

    Every writer writes into one hidden staging folder inside ``out_dir``; its files are moved into place only once
    all writers succeeded, so a failing writer (or an existing file without ``overwrite``) changes nothing. A writer's
    own folder (``clips/``, ``player/``) replaces an earlier one whole, so no file of an earlier run is left in it.

    >>> [p.name for p in render_outputs(SyncResult.load("out/sync.json"), "again", ["grid", "alignment"])]
    ['synced.mp4', 'alignment.png']
    """
    writers = [(name, WRITERS.get(name)) for name in dict.fromkeys(names)]  # unknown names fail before any work
    out_dir = Path(out_dir)
    staging = out_dir / f".staged-{os.getpid()}"
    staging.mkdir(parents=True)
    try:
        staged = [path for _, write in writers
                  for path in write(result, staging, options=options, overwrite=overwrite, progress=progress)]
        finals = [out_dir / path.relative_to(staging) for path in staged]
        # what the writers made at the top of out_dir: files (sync.json) and their own folders (clips/, player/)
        tops = list(dict.fromkeys(path.relative_to(staging).parts[0] for path in staged))
        clashes = [out_dir / top for top in tops if (out_dir / top).exists() and not overwrite]
        if clashes:
            raise OutputExistsError(f"{clashes[0]}: already exists")
        stale = stale_outputs(out_dir, tops) if overwrite and _another_result(out_dir, staging) else []
        for top in tops:
            final = out_dir / top
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)  # a writer's folder is replaced whole: no file of an earlier run stays in it
            elif (final.exists() or final.is_symlink()) and (staging / top).is_dir():
                final.unlink()
            os.replace(staging / top, final)
        for entry in stale:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return finals


def _another_result(out_dir: Path, staging: Path) -> bool:
    """Whether ``out_dir`` holds an earlier run's ``sync.json`` that is not the one staged now."""
    earlier, staged = out_dir / RESULT_FILE, staging / RESULT_FILE
    if not earlier.is_file():
        return False
    return not staged.is_file() or earlier.read_bytes() != staged.read_bytes()

"""The ``json`` writer: ``sync.json``, the result every other output (and ``mvsync render``) reads."""

from __future__ import annotations

from pathlib import Path

from ..result import SyncResult
from .base import WRITERS, writes
from .options import RenderOptions


@WRITERS.register("json")
@writes("sync.json")
def write_sync_json(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
                    progress: bool = False) -> list[Path]:
    """Write ``out_dir/sync.json`` (see :meth:`SyncResult.save`)."""
    return [result.save(Path(out_dir) / "sync.json", overwrite=overwrite)]

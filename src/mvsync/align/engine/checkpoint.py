"""Checkpoint files of the alignment models: a ``torch.save`` dict tagged with a format string, read back safely.

The DTAN/TPL estimators write ``CHECKPOINT_FORMAT``; the TCC family (:mod:`~mvsync.align.tcc.embedder`) writes its
own tag through the same two functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ...atomic import atomic_write
from ...errors import InputError

CHECKPOINT_FORMAT = "mvsync-align/1"


def save_checkpoint(path: str | Path, payload: dict[str, Any], *, format: str = CHECKPOINT_FORMAT) -> None:
    """Write ``payload`` (tensors, lists, dicts and plain values only) to ``path`` atomically, tagged ``format``."""
    with atomic_write(path, "wb") as handle:
        torch.save({"format": format, **payload}, handle)


def load_checkpoint(
    path: str | Path, *, format: str | tuple[str, ...] = CHECKPOINT_FORMAT, what: str = "alignment"
) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` with one of the given ``format`` tags
    (safe loading: no pickled code). ``what`` names the expected kind in the error message."""
    path = Path(path)
    formats = (format,) if isinstance(format, str) else format
    if not path.is_file():
        raise InputError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for a corrupt or foreign file
        raise InputError(f"{path}: not a readable checkpoint ({type(err).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") not in formats:
        raise InputError(f"{path}: not an mvsync {what} checkpoint (format {' or '.join(formats)} expected)")
    return payload

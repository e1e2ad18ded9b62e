"""Feature files: one ``.npz`` per video (values, valid, times_s, a JSON header and the meta entries that are arrays).

The same format serves the cache and ``mvsync features -o DIR``, whose folders ``mvsync train``
reads back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import InputError, OutputExistsError
from ..types import Features

META_ARRAY = "meta."  # array-valued meta entries are stored as arrays under this prefix, not in the JSON header


def save_features(features: Features, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``features`` to ``path`` atomically."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {k: v for k, v in features.meta.items() if not isinstance(v, np.ndarray)}
    arrays = {META_ARRAY + k: v for k, v in features.meta.items() if isinstance(v, np.ndarray)}  # e.g. a PCA basis
    header = json.dumps({"kind": features.kind, "fps": features.fps, "path": str(features.path), "meta": meta})
    with atomic_write(path, "wb") as handle:
        np.savez(handle, values=features.values, valid=features.valid, times_s=features.times_s, header=header, **arrays)
    return path


def load_features(path: str | Path, *, video_path: str | Path | None = None) -> Features:
    """Read a feature file; ``video_path`` overrides the video path recorded in it."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            arrays = {k.removeprefix(META_ARRAY): data[k] for k in data.files if k.startswith(META_ARRAY)}
            return Features(
                values=data["values"],
                valid=data["valid"].astype(bool),
                times_s=data["times_s"],
                kind=header["kind"],
                path=Path(video_path if video_path is not None else header.get("path", path)),
                fps=float(header["fps"]),
                meta={**header.get("meta", {}), **arrays},
            )
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError, KeyError) as err:
        raise InputError(f"{path}: not a mvsync feature file ({err})") from None


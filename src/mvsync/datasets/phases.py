"""Per-frame phase labels: reading them from disk and turning them into key events.

Accepted files
--------------
One file per clip (:func:`read_phase_file`):

- ``<name>.npy``: a 1-D integer array, one phase label per frame;
- ``<name>.txt`` / ``<name>.csv``: the same integers separated by commas, spaces or newlines
  (an optional first line that is not a number, such as ``phase``, is a header and skipped).

One table for many clips (:func:`read_phase_table`), keyed by clip name (e.g. ``"0001"``):

- JSON, per-frame labels: ``{"0001": [0, 0, 1, 1, 2], ...}`` or ``{"0001": {"phases": [0, 0, 1, ...]}}``;
- JSON, phase boundaries: ``{"0001": {"boundaries": [12, 40]}}``: the first frame of phases
  1, 2, ...; frames before 12 are phase 0, frames 12..39 phase 1, frames from 40 on phase 2;
- CSV, one row per frame with a header ``name,frame,phase`` (frames 0-based, every frame listed).
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np

from ..errors import InputError

PHASE_FILE_SUFFIXES = (".npy", ".txt", ".csv")


def read_phase_file(path: str | Path) -> np.ndarray:
    """Per-frame integer phase labels of one clip, from ``.npy``, ``.txt`` or ``.csv``.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "w").write("phase\\n0\\n0\\n1\\n")
    >>> read_phase_file(path).tolist()
    [0, 0, 1]
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such phase label file")
    if path.suffix == ".npy":
        try:
            values = np.load(path, allow_pickle=False)
        except ValueError as err:
            raise InputError(f"{path}: not a readable .npy array ({err})") from None
    else:
        values = _parse_integers(path)
    return as_phase_array(values, str(path))


def read_phase_table(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """Phase labels of many clips from one JSON or CSV table (formats in the module docstring).

    Returns ``{name: {"phases": (T,) array}}`` or ``{name: {"boundaries": (K-1,) array}}``;
    :func:`resolve_phases` turns either into per-frame labels once the frame count is known.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such phase label file")
    if path.suffix == ".json":
        return _read_json_table(path)
    if path.suffix == ".csv":
        return _read_csv_table(path)
    raise InputError(f"{path}: phase label table must be .json or .csv (per-clip .npy/.txt files go in a folder)")


def resolve_phases(entry: dict[str, np.ndarray], num_frames: int, where: str) -> np.ndarray:
    """Per-frame labels from a table entry, checked against the clip's frame count.

    >>> resolve_phases({"boundaries": np.array([2])}, 4, "x").tolist()
    [0, 0, 1, 1]
    """
    if "boundaries" in entry:
        return phases_from_boundaries(entry["boundaries"], num_frames, where)
    labels = entry["phases"]
    if len(labels) != num_frames:
        raise InputError(f"{where}: {len(labels)} phase labels for {num_frames} frames")
    return labels


def phases_from_boundaries(boundaries: np.ndarray, num_frames: int, where: str = "boundaries") -> np.ndarray:
    """Per-frame labels from the first frames of phases 1..K-1: ``labels[t]`` = number of boundaries <= t.

    >>> phases_from_boundaries(np.array([1, 3]), 5).tolist()
    [0, 1, 1, 2, 2]
    """
    b = np.asarray(boundaries)
    if b.ndim != 1 or (np.diff(b) < 0).any() or (len(b) and (b[0] < 0 or b[-1] > num_frames)):
        raise InputError(f"{where}: boundaries {b.tolist()} must be non-decreasing frames in 0..{num_frames}")
    return np.searchsorted(b, np.arange(num_frames), side="right").astype(np.int64)


def events_from_phases(labels: np.ndarray, num_phases: int | None = None) -> dict[str, float]:
    """Key events of a labelled clip: ``phase_k_start`` = first frame with label >= k, for k = 1..K-1.

    Phases are assumed ordered (non-decreasing labels). An event the clip never reaches is
    NaN. Pass ``num_phases`` so that every clip of a dataset lists the same events.

    >>> events_from_phases(np.array([0, 0, 1, 1, 2]))
    {'phase_1_start': 2.0, 'phase_2_start': 4.0}
    """
    labels = np.asarray(labels)
    k_max = int(labels.max()) + 1 if num_phases is None else num_phases
    out = {}
    for k in range(1, k_max):
        reached = np.flatnonzero(labels >= k)
        out[f"phase_{k}_start"] = float(reached[0]) if len(reached) else math.nan
    return out


def as_phase_array(values: object, where: str) -> np.ndarray:
    """A 1-D int64 array of labels >= 0, or a one-line InputError."""
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) == 0:
        raise InputError(f"{where}: phase labels must be a non-empty 1-D sequence, got shape {arr.shape}")
    whole_floats = arr.dtype.kind == "f" and np.isfinite(arr).all() and (arr == np.round(arr)).all()
    if arr.dtype.kind not in "iu" and not whole_floats:
        raise InputError(f"{where}: phase labels must be integers, got dtype {arr.dtype}")
    if arr.min() < 0:
        raise InputError(f"{where}: phase labels must be >= 0, got {arr.min()}")
    return arr.astype(np.int64)


def _parse_integers(path: Path) -> np.ndarray:
    lines = path.read_text().strip().splitlines()
    if lines and not re.fullmatch(r"[\s,;]*-?\d+.*", lines[0]):
        lines = lines[1:]  # a header such as "phase"
    tokens = [t for t in re.split(r"[\s,;]+", " ".join(lines)) if t]
    try:
        return np.array([int(t) for t in tokens], dtype=np.int64)
    except ValueError as err:
        raise InputError(f"{path}: expected integers separated by commas or whitespace ({err})") from None


def _read_json_table(path: Path) -> dict[str, dict[str, np.ndarray]]:
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object keyed by clip name, got {type(data).__name__}")
    table = {}
    for name, entry in data.items():
        where = f"{path}[{name!r}]"
        if isinstance(entry, dict) and "boundaries" in entry:
            bounds = entry["boundaries"]
            table[name] = {"boundaries": as_phase_array(bounds, where) if bounds else np.zeros(0, np.int64)}
        elif isinstance(entry, dict) and "phases" in entry:
            table[name] = {"phases": as_phase_array(entry["phases"], where)}
        elif isinstance(entry, list):
            table[name] = {"phases": as_phase_array(entry, where)}
        else:
            raise InputError(f"{where}: expected a list of per-frame labels, {{'phases': [...]}} or {{'boundaries': [...]}}")
    return table


def _read_csv_table(path: Path) -> dict[str, dict[str, np.ndarray]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"name", "frame", "phase"} <= set(reader.fieldnames):
            raise InputError(f"{path}: expected a header with columns name,frame,phase, got {reader.fieldnames}")
        rows: dict[str, dict[int, int]] = {}
        try:
            for row in reader:
                rows.setdefault(row["name"], {})[int(row["frame"])] = int(row["phase"])
        except (TypeError, ValueError) as err:
            raise InputError(f"{path}: line {reader.line_num}: frame and phase must be integers ({err})") from None
    table = {}
    for name, frames in rows.items():
        if sorted(frames) != list(range(len(frames))):
            raise InputError(f"{path}: clip {name!r} does not list every frame 0..{len(frames) - 1} exactly once")
        table[name] = {"phases": as_phase_array([frames[t] for t in range(len(frames))], f"{path}[{name!r}]")}
    return table

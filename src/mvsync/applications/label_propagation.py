"""Label and phase propagation (issue 11, section 5): the per-frame labels of ONE annotated clip carried to every
other clip through the sync map, as TPL's ``apply_warp`` carries a prototype's phases to each sequence.

Labels files (:func:`read_labels`): JSON, a list with one label per frame (integers or names, e.g. ``["address",
"address", "backswing", ...]``), ``{"labels": [...]}``, ``{"phases": [...]}`` or ``{"boundaries": [12, 40]}`` (the
first frame of phases 1, 2, ...); or the per-clip ``.npy`` / ``.txt`` / ``.csv`` phase files of
:mod:`mvsync.datasets.phases`. Output (:func:`write_labels`): one ``<clip name>.json`` per clip::

    {"path": "b.mp4", "propagated_from": "a.mp4", "method": "dtw", "num_frames": 120,
     "labels": [0, 0, 0, 1, ...], "spans": [{"label": 0, "start_frame": 0, "end_frame": 37}, ...]}

>>> _ = Path("a_phases.json").write_text('{"boundaries": [40, 70]}')  # clip a: phase 1 from frame 40, 2 from 70
>>> result = SyncResult.load("out/sync.json")
>>> per_clip = result.propagate(read_labels("a_phases.json", result.videos[0].num_frames), from_clip=0)
>>> [[span["start_frame"] for span in label_spans(labels)] for labels in per_clip]  # where each phase starts
[[0, 40, 70], [0, 56, 94], [0, 35, 59]]
>>> [p.name for p in write_labels(result, per_clip, 0, "labels")]
['a.json', 'b.json', 'c.json']
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..datasets.phases import as_phase_array, phases_from_boundaries, read_phase_file
from ..errors import InputError, OutputExistsError
from ..result import SyncResult


def read_labels(path: str | Path, num_frames: int) -> np.ndarray:
    """Per-frame labels ``(num_frames,)`` (int64, or str for names) from a labels file; a file whose length is
    not ``num_frames`` is refused in one line naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such labels file")
    if path.suffix != ".json":
        labels = read_phase_file(path)
    else:
        labels = _json_labels(path, num_frames)
    if len(labels) != num_frames:
        raise InputError(f"{path}: {len(labels)} labels for a clip of {num_frames} frames; give one label per frame")
    return labels


def _json_labels(path: Path, num_frames: int) -> np.ndarray:
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    if isinstance(data, dict) and "boundaries" in data:
        bounds = data["boundaries"]
        return phases_from_boundaries(as_phase_array(bounds, str(path)) if bounds else np.zeros(0, np.int64),
                                      num_frames, str(path))
    if isinstance(data, dict):
        data = data.get("labels", data.get("phases"))
    if not isinstance(data, list) or not data:
        raise InputError(f"{path}: expected a list of per-frame labels, {{'labels': [...]}} or {{'boundaries': [...]}}")
    if all(isinstance(v, str) for v in data):
        return np.array(data, dtype=str)
    return as_phase_array(data, str(path))


def labels_for_clips(pairs: list[tuple[str, str | Path]], clips: list[Path], frame_counts: list[int]) -> list[np.ndarray]:
    """Every clip's labels from ``(clip, labels file)`` pairs (clip: an index or a file name, see
    :func:`~mvsync.applications.sync_input.clip_index`); a clip given twice, or one left out, is refused."""
    from .sync_input import clip_index

    found: dict[int, np.ndarray] = {}
    for clip, path in pairs:
        index = clip_index(clips, clip)
        if index in found:
            raise InputError(f"labels: clip {clip} ({clips[index]}) has two labels files; give one")
        found[index] = read_labels(path, frame_counts[index])
    missing = [str(clips[i]) for i in range(len(clips)) if i not in found]
    if missing:
        raise InputError(f"labels: none for {', '.join(missing)}; give every clip's labels (mvsync propagate-labels "
                         "makes them from one clip's) or none")
    return [found[i] for i in range(len(clips))]


def label_spans(labels: np.ndarray) -> list[dict]:
    """Runs of equal labels: ``[{"label", "start_frame", "end_frame"}]`` (inclusive frames), in order.

    >>> label_spans(np.array([0, 0, 1, 1, 1, 0]))
    [{'label': 0, 'start_frame': 0, 'end_frame': 1}, {'label': 1, 'start_frame': 2, 'end_frame': 4}, {'label': 0, 'start_frame': 5, 'end_frame': 5}]
    """
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change - 1, [len(labels) - 1]])
    return [{"label": labels[s].item(), "start_frame": int(s), "end_frame": int(e)} for s, e in zip(starts, ends)]


def labels_file_names(clips: list[str | Path]) -> list[str]:
    """``<clip name>.json`` per clip; two clips with the same file name are refused (their files would collide)."""
    stems = [Path(clip).stem for clip in clips]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        same = [str(clip) for clip in clips if Path(clip).stem == clashes[0]]
        raise InputError(f"{' and '.join(same)}: same file name, one {clashes[0]}.json each; rename one")
    return [f"{stem}.json" for stem in stems]


def write_labels(result: SyncResult, labels: list[np.ndarray], from_clip: int, out_dir: str | Path, *,
                 overwrite: bool = False) -> list[Path]:
    """One ``<clip name>.json`` per clip in ``out_dir`` (format in the module docstring), each written atomically;
    an existing file needs ``overwrite``. Returns the files written."""
    out_dir = Path(out_dir)
    targets = [out_dir / name for name in labels_file_names([track.path for track in result.videos])]
    for target in targets:
        if target.exists() and not overwrite:
            raise OutputExistsError(f"{target}: already exists")
    for track, clip_labels, target in zip(result.videos, labels, targets):
        record = {"path": track.path, "propagated_from": result.videos[from_clip].path, "method": result.method,
                  "num_frames": len(clip_labels), "labels": clip_labels.tolist(), "spans": label_spans(clip_labels)}
        with atomic_write(target) as handle:
            json.dump(record, handle)
    return targets


def label_accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """The share of frames whose propagated label equals the true one."""
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted {predicted.shape} and true {truth.shape} labels differ in length")
    return float(np.mean(predicted == truth))

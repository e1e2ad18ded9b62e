"""One evaluation protocol for every method: the TCC paper's per-action table, computed the same way for all.

For each action, every validation clip is embedded frame by frame by the method, then scored with
:mod:`.metrics`: Kendall's tau, cycle consistency, phase classification (SVC on the train clips' embeddings),
phase progression, retrieval precision@K (these three need per-frame phase labels), and the key-event sync
error after synchronizing the clips by DTW on the method's embeddings. Actions are macro-averaged.

Methods: a trained model (``TrainedModel``: TPL, DTAN, TCC, TCN, SaL...), a video aligner fitted on each action's
validation clips together (``aligner_embedder``: test-time TPL, as ``mvsync sync --method tpl`` does), or the
baselines that need no training (``BASELINES``): ``raw`` (the standardised input features as the embedding) and
``identity`` (each frame's normalised time: no warping at all, the floor every method must beat).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from ..align.base import VideoAligner
from ..align.dtw import DTWAligner
from ..align.standardizer import Standardizer
from ..align.trained_model import TrainedModel
from ..atomic import atomic_write
from ..datasets.base import event_matrix
from ..datasets.collection import LabeledSequence
from ..errors import InputError, OutputExistsError
from ..sync import SyncConfig, build_result
from .metrics import cycle_consistency, kendalls_tau, retrieval_ap
from .metrics_events import key_event_sync_error
from .metrics_phase import phase_classification, phase_progression

log = logging.getLogger(__name__)

Embedder = Callable[[LabeledSequence], np.ndarray]  # one clip -> (L, D) per-frame embedding

COLUMNS = ("tau", "tau_nan_pairs", "cycle", "class@0.1", "class@0.5", "class@1.0", "progress",
           "ap@5", "ap@10", "ap@15", "event_err_frames", "event_err_pct")


@dataclass
class EvalReport:
    """Per-action metric rows and their macro average; ``None`` where a metric does not apply."""

    method: str
    rows: dict[str, dict[str, float | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def macro(self) -> dict[str, float | None]:
        out = {}
        for column in COLUMNS:
            values = [r[column] for r in self.rows.values() if r.get(column) is not None]
            out[column] = float(np.mean(values)) if values else None
        return out

    def to_markdown(self) -> str:
        used = [c for c in COLUMNS if any(r.get(c) is not None for r in self.rows.values())]
        lines = [f"| {self.method} | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
        for name, row in [*self.rows.items(), ("macro average", self.macro)]:
            lines.append(f"| {name} | " + " | ".join(_fmt(row.get(c)) for c in used) + " |")
        return "\n".join(lines + ([""] if self.notes else []) + [f"- {n}" for n in self.notes])

    def to_dict(self) -> dict:
        return {"method": self.method, "columns": list(COLUMNS), "per_action": self.rows, "macro": self.macro,
                "notes": self.notes}


def comparison_markdown(reports: list[EvalReport]) -> str:
    """The TCC paper's table: one row per method, the macro average over actions of every metric.

    >>> print(comparison_markdown([EvalReport("raw", {"a": {"tau": 0.5}})]))
    | method | tau |
    |---|---|
    | raw | 0.500 |
    """
    used = [c for c in COLUMNS if any(r.macro.get(c) is not None for r in reports)]
    lines = ["| method | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
    lines += [f"| {r.method} | " + " | ".join(_fmt(r.macro.get(c)) for c in used) + " |" for r in reports]
    return "\n".join(lines)


def save_reports(reports: list[EvalReport], path: str | Path, *, overwrite: bool = False) -> Path:
    """Write every report (per action and macro) and the comparison of their macro averages as JSON."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    data = {"columns": list(COLUMNS), "comparison": {r.method: r.macro for r in reports},
            "reports": [r.to_dict() for r in reports]}
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=1)
    return path


def model_embedder(model: TrainedModel) -> Embedder:
    return lambda seq: model.embed(seq.features)


def raw_embedder(train: list[LabeledSequence]) -> Embedder:
    """The baseline: standardised input features (invalid frames at the mean)."""
    standardizer = Standardizer.fit_features([s.features for s in train])
    return lambda seq: np.nan_to_num(standardizer.apply(seq.features).T)


def identity_embedder(train: list[LabeledSequence] | None = None) -> Embedder:
    """No warping: each frame's normalised time ``t / (L - 1)``, so clips are matched by their fraction of the way
    through. A method that scores worse than this has learned warps that hurt."""
    del train  # needs none; the signature matches the other baselines
    return lambda seq: (np.arange(seq.features.num_frames) / max(seq.features.num_frames - 1, 1))[:, None]


BASELINES: dict[str, Callable[[list[LabeledSequence]], Embedder]] = {"raw": raw_embedder, "identity": identity_embedder}


def aligner_embedder(val: list[LabeledSequence], make_aligner: Callable[[], VideoAligner]) -> Embedder:
    """Test-time alignment: ``make_aligner()`` (a :class:`~mvsync.align.base.VideoAligner`) is fitted on all the
    validation clips of an action together, as ``mvsync sync`` fits the clips it is given; a frame's embedding is
    its position on that common timeline, in [0, 1] (what TPL's trained embedding is too)."""
    fitted: dict[str, dict[str, np.ndarray]] = {}

    def embed(seq: LabeledSequence) -> np.ndarray:
        if seq.action not in fitted:
            clips = [s for s in val if s.action == seq.action]
            aligner = make_aligner().fit([c.features.values for c in clips], [c.features.valid for c in clips])
            fitted[seq.action] = {c.name: frame_positions(frames, c.features.num_frames)
                                  for c, frames in zip(clips, aligner.frame_maps_)}
        return fitted[seq.action][seq.name]

    return embed


def frame_positions(frame_map: np.ndarray, num_frames: int) -> np.ndarray:
    """Each of a clip's frames placed on the timeline ``(L, 1)`` in [0, 1], from ``frame_map`` ``(T,)`` (the clip's
    fractional frame at every timeline step, monotone, NaN where it has no content); frames outside the mapped
    range sit at its ends. A frame held over several steps (a freeze) sits at the middle of its run, the rule of
    :func:`mvsync.evaluate.metrics_events.timeline_position`.

    >>> frame_positions(np.array([np.nan, 0.0, 2.0, 4.0]), 5).ravel().round(3).tolist()
    [0.333, 0.5, 0.667, 0.833, 1.0]
    >>> frame_positions(np.array([0.0, 1.0, 1.0, 1.0, 2.0]), 3).ravel().tolist()  # frame 1 held over steps 1..3
    [0.0, 0.5, 1.0]
    """
    steps = np.flatnonzero(np.isfinite(frame_map))
    values = frame_map[steps]
    # runs of one held value: np.interp needs strictly increasing points, so each run becomes its middle step
    held, first, count = np.unique(values, return_index=True, return_counts=True)
    middle = (steps[first] + steps[first + count - 1]) / 2.0
    position = np.interp(np.arange(num_frames), held, middle)  # (L,)
    return (position / max(len(frame_map) - 1, 1))[:, None]


def evaluate(
    val: list[LabeledSequence],
    *,
    embedder: Embedder,
    method: str,
    train: list[LabeledSequence] | None = None,
    stride: int = 1,
    progress: bool = False,
) -> EvalReport:
    """Score ``embedder`` on the validation clips of every action (``train`` clips feed the phase classifiers).

    The ``raw`` baseline on a feature folder (a trained model: ``embedder=model_embedder(load_model("tcc.pt"))``):

    >>> from mvsync.datasets.collection import load_collection
    >>> seqs = load_collection("feats/")  # two actions, two clips each, no split and no phase labels
    >>> report = evaluate(seqs, embedder=raw_embedder(seqs), method="raw", train=seqs)
    >>> print(report.to_markdown())  # doctest: +NORMALIZE_WHITESPACE
    | raw | tau | tau_nan_pairs | cycle |
    |---|---|---|---|
    | pedal | 0.985 | 0.000 | 0.931 |
    | ride | 0.990 | 0.000 | 0.978 |
    | macro average | 0.987 | 0.000 | 0.954 |
    <BLANKLINE>
    - 4 validation clip(s) are also train clips (the data has no split): classification and progression are
      fitted on the clips they score
    - pedal: no phase labels; classification, progression and retrieval not computed
    - ride: no phase labels; classification, progression and retrieval not computed
    """
    report = EvalReport(method)
    shared = {(s.action, s.name) for s in val} & {(s.action, s.name) for s in train or []}
    if shared:  # e.g. a feature folder has no split: say so instead of hiding a fit on the scored clips
        report.notes.append(f"{len(shared)} validation clip(s) are also train clips (the data has no split): "
                            "classification and progression are fitted on the clips they score")
    actions = sorted({s.action for s in val})
    for action in tqdm(actions, desc=f"eval {method}", disable=not progress, unit="action"):
        clips = [s for s in val if s.action == action]
        if len(clips) < 2:
            report.notes.append(f"{action}: skipped ({len(clips)} validation clip)")
            continue
        train_clips = [s for s in (train or []) if s.action == action]
        report.rows[action] = _score_action(clips, train_clips, embedder, stride, report.notes, action)
    if not report.rows:
        raise InputError("eval: no action has 2 or more validation clips")
    return report


def _score_action(clips, train_clips, embedder, stride, notes, action) -> dict[str, float | None]:
    embs = [embedder(c) for c in clips]
    tau = kendalls_tau(embs, stride=stride)
    row: dict[str, float | None] = dict.fromkeys(COLUMNS)
    row.update(tau=_finite(tau.tau), tau_nan_pairs=float(tau.n_nan_pairs), cycle=cycle_consistency(embs))
    if all(c.labels is not None for c in clips + train_clips) and train_clips:
        train_embs = [embedder(c) for c in train_clips]
        train_labels, val_labels = [c.labels for c in train_clips], [c.labels for c in clips]
        for fraction, accuracy in phase_classification(train_embs, train_labels, embs, val_labels).items():
            row[f"class@{fraction}"] = accuracy
        row["progress"] = phase_progression(train_embs, train_labels, embs, val_labels).r2
        for k, precision in retrieval_ap(embs, val_labels, stride=stride).items():
            row[f"ap@{k}"] = precision
    else:
        notes.append(f"{action}: no phase labels; classification, progression and retrieval not computed")
    row.update(_event_error(clips, embs, notes, action))
    return row


def _event_error(clips, embs, notes, action) -> dict[str, float | None]:
    names, events = event_matrix([c.events for c in clips])
    if not names or np.isnan(events).all():
        return {}
    aligner = DTWAligner().fit(embs)
    result = build_result([c.features for c in clips], aligner, SyncConfig(method="dtw-on-embedding"))
    error = key_event_sync_error(result, events)
    derived = [n for n in names if n.startswith("derived_")]
    if derived:
        notes.append(f"{action}: key events {derived} are DERIVED from keypoints, not annotated")
    return {"event_err_frames": _finite(error.overall_mean_abs_dev), "event_err_pct": _finite(error.overall_mean_pct)}


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"

"""How accurately do phase labels propagate through the sync map? Penn Action keypoints, known (derived) phases.

Run: python benchmarks/bench_label_propagation.py                      (3 actions x 8 test clips, CPU, a few minutes)
     python benchmarks/bench_label_propagation.py --actions all --clips 25   (the 9 scored actions, 25 clips each)

For each action, the first N test clips of Penn Action (../shared/data/penn_action, 2-D keypoints, one performer per
clip) are synchronised together, by `dtw` and by `tpl` (fitted on those clips, as `mvsync sync --method tpl` does),
on the keypoint features. Each clip's true phases are DERIVED from its own keypoints: phase 0 before its derived key
event (e.g. the lowest hip of a squat), phase 1 from it on (mvsync.datasets.penn_keypoints; a heuristic, never an
annotation). Clip 0's phases are propagated to the others with `SyncResult.propagate` (what `mvsync
propagate-labels` does) and scored per frame against their own derived phases. Baseline, measured in the same run:
`identity`, no warping (each frame takes the label at the same fraction of clip 0). Ratios are error rates
(1 - accuracy) relative to the baseline's: below 1 is better.

Caveat: the derived event is an extreme of the very keypoints DTW matches, which favours DTW (as in bench_penn).

Second table, exact truth: the first test clip of each action retimed into 6 copies with known warps (tempo 0.7-1.4x,
lead-ins, pauses, tails, speed changes: tests/evaluate/test_known_truth_penn.py's); 4 phases cut at 25/50/75% of the
source clip, so every copy's true phase per frame is known from the source frame it shows.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from mvsync.align import create_aligner
from mvsync.applications.label_propagation import label_accuracy
from mvsync.datasets.collection import load_collection
from mvsync.datasets.penn_keypoints import DERIVED_EVENT_RULES
from mvsync.datasets.phases import phases_from_boundaries
from mvsync.evaluate.retiming import VARIED_RETIMINGS, retime_values
from mvsync.sync import SyncConfig, build_result

PENN = Path(__file__).resolve().parents[2] / "shared" / "data" / "penn_action"
SMALL_ACTIONS = ("squat", "jumping_jacks", "pullup")
METHODS = ("identity", "dtw", "tpl")


class _Identity:
    """No warping: every clip spread evenly over one timeline (the baseline)."""

    reference_ = None

    def fit(self, seqs, masks=None) -> "_Identity":
        length = int(np.median([len(s) for s in seqs]))
        self.frame_maps_ = [np.linspace(0, len(s) - 1, length) for s in seqs]
        return self


def phases(clip) -> np.ndarray:
    """Derived phases of one clip: 0 before its derived key event, 1 from it on."""
    (frame,) = clip.events.values()
    return phases_from_boundaries(np.array([int(round(frame))]), clip.features.num_frames)


def retimed_copies(clip) -> tuple[list, list[np.ndarray]]:
    """Copies of one clip's features with known warps, and each copy's true phases (cut at 25/50/75% of the source)."""
    from dataclasses import replace

    f = clip.features
    bounds = np.rint(np.array([0.25, 0.5, 0.75]) * (f.num_frames - 1))
    copies, truth = [], []
    for retiming in VARIED_RETIMINGS:
        values, content = retime_values(np.where(f.valid[:, None], f.values, np.nan), retiming)
        copies.append(replace(f, values=np.nan_to_num(values).astype(np.float32), valid=np.isfinite(values).all(1),
                              times_s=np.arange(len(values)) / f.fps))
        truth.append(np.searchsorted(bounds, np.rint(content), side="right"))
    return copies, truth


def propagation_accuracy(features, truth: list[np.ndarray], method: str, seed: int) -> list[float]:
    """Per-frame accuracy of clip 0's labels ``truth[0]`` propagated to every other clip, synced by ``method``."""
    aligner = _Identity() if method == "identity" else create_aligner(method, **({"seed": seed} if method == "tpl" else {}))
    aligner.fit([f.values for f in features], [f.valid for f in features])
    result = build_result(features, aligner, SyncConfig(method=method, features="keypoints"))
    propagated = result.propagate(truth[0], from_clip=0)
    return [label_accuracy(p, t) for p, t in zip(propagated[1:], truth[1:])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", nargs="+", default=list(SMALL_ACTIONS),
                        help=f"actions ('all': the {len(DERIVED_EVENT_RULES)} with a derived event; default: "
                             f"{' '.join(SMALL_ACTIONS)})")
    parser.add_argument("--clips", type=int, default=8, help="test clips per action (default: 8)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # small nets: one thread is as fast, and reproducible
    actions = sorted(DERIVED_EVENT_RULES) if args.actions == ["all"] else args.actions
    tables = {"performers": ({}, dict.fromkeys(METHODS, 0.0)), "retimed": ({}, dict.fromkeys(METHODS, 0.0))}
    for action in actions:
        clips = load_collection(PENN, split="test", action=action, max_per_action=args.clips, progress=False)
        sets = {"performers": ([c.features for c in clips], [phases(c) for c in clips]),
                "retimed": retimed_copies(clips[0])}
        for table, (features, truth) in sets.items():
            rows, seconds = tables[table]
            rows[action] = {}
            for method in METHODS:
                start = time.perf_counter()
                rows[action][method] = propagation_accuracy(features, truth, method, args.seed)
                seconds[method] += time.perf_counter() - start
            print(f"{action}, {table} ({len(features)} clips): "
                  + ", ".join(f"{m} {np.mean(a):.3f}" for m, a in rows[action].items()), flush=True)
    print(f"\nPenn Action test clips, {args.clips} performers per action, 2 phases split at the derived key event; "
          f"seed {args.seed}\n")
    print(markdown(*tables["performers"]))
    print(f"\nThe first test clip of each action retimed into {len(VARIED_RETIMINGS)} copies (exact truth), 4 phases\n")
    print(markdown(*tables["retimed"]))


def markdown(rows: dict[str, dict[str, list[float]]], seconds: dict[str, float]) -> str:
    """Mean per-frame accuracy per action and method, over all propagated clips, and the error-rate ratios."""
    lines = ["| action | " + " | ".join(METHODS) + " |", "|---" * (len(METHODS) + 1) + "|"]
    for action, row in rows.items():
        lines.append(f"| {action} | " + " | ".join(f"{np.mean(row[m]):.3f}" for m in METHODS) + " |")
    overall = {m: float(np.mean([a for row in rows.values() for a in row[m]])) for m in METHODS}
    lines.append("| **all clips** | " + " | ".join(f"**{overall[m]:.3f}**" for m in METHODS) + " |")
    base = 1 - overall["identity"]
    lines.append("| error rate / identity's | " + " | ".join(f"{(1 - overall[m]) / base:.2f}" for m in METHODS) + " |")
    lines.append("| seconds | " + " | ".join(f"{seconds[m]:.1f}" for m in METHODS) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""TCC, TCN, SaL, TPL and DTAN trained on the same small real sets and scored by the same protocol.

Run: python benchmarks/bench_protocol.py [--quick]

Set 1, retimed real video: bikes.mp4 retimed into 8 copies (6 train, 2 validation... see RETIMINGS), appearance
features, phase labels at known source frames (62, 125, 187), so every metric applies. One more row trains TCC on
the RGB frames themselves (the VGG-M-like base from scratch, at 96 px to fit a CPU run).
Set 2, Penn Action keypoints (../shared/data/penn_action): a few actions, train/test split as released; key
events derived from the joints (no phase labels here, so classification/progression/retrieval are not computed).
Baseline in the same run: `raw`, the standardised input features with no training.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from mvsync.datasets.collection import LabeledSequence, load_collection
from mvsync.demo import demo_clip_path
from mvsync.evaluate import Retiming, write_retimed
from mvsync.evaluate.protocol import COLUMNS, evaluate, model_embedder, raw_embedder
from mvsync.features import extract_features
from mvsync.train import train
from mvsync.types import Features

PENN = Path(__file__).resolve().parents[2] / "shared" / "data" / "penn_action"
PHASE_STARTS = (62, 125, 187)  # source frames of bikes.mp4 where phases 1, 2, 3 start
RETIMINGS = tuple(Retiming(tempo=t, lead_in=l, ease=e) for t, l, e in [
    (1.0, 0, 0), (0.8, 12, 0), (1.25, 5, .3), (0.9, 20, -.4), (1.1, 8, .5), (0.7, 3, 0), (1.3, 15, -.2), (0.95, 0, .2)])
ALGOS = {"tpl": {"loc_depth": 3, "loc_filters": 16, "n_recurrences": 2}, "dtan": {"depth": 3, "n_filters": 16},
         "tcc": {}, "tcn": {}, "sal": {}, "tcc+tcn": {}}
FRAME_ENCODER = {"base": "vggm", "image_size": 96}


def bikes_set(tmp: Path, *, frames: bool = False) -> tuple[list[LabeledSequence], list[LabeledSequence]]:
    """The retimed bikes clips as appearance features, or (``frames``) as their RGB frames."""
    clips = write_retimed(demo_clip_path("bikes.mp4"), tmp / "bikes", RETIMINGS, size=(320, 136))
    if frames:
        feats = [Features.frames_of(path, np.arange(len(content)) / 25.0, 25.0) for path, content in clips]
    else:
        feats = extract_features([p for p, _ in clips], kind="appearance", cache_dir=tmp / "cache")
    seqs = []
    for k, ((path, content), f) in enumerate(zip(clips, feats)):
        labels = np.searchsorted(PHASE_STARTS, content, side="right")  # (L,) phase of the shown source frame
        events = {f"phase{p + 1}_start": float(np.argmax(content >= s)) for p, s in enumerate(PHASE_STARTS)}
        seqs.append(LabeledSequence(path.stem, "bikes", "train" if k < 6 else "test", f, labels, events))
    return [s for s in seqs if s.split == "train"], [s for s in seqs if s.split == "test"]


def penn_set(per_action: int) -> tuple[list[LabeledSequence], list[LabeledSequence]]:
    actions = ("golf_swing", "squat", "tennis_serve")
    train_set, test_set = [], []
    for action in actions:
        train_set += load_collection(PENN, split="train", action=action, max_per_action=per_action)
        test_set += load_collection(PENN, split="test", action=action, max_per_action=max(4, per_action // 2))
    return train_set, test_set


def run(name: str, train_set, val_set, epochs: dict[str, int], frames=None) -> None:
    print(f"\n### {name}: {len(train_set)} train / {len(val_set)} validation clips, "
          f"{train_set[0].features.kind} features\n")
    rows = {"raw (baseline, no training)": (evaluate(val_set, embedder=raw_embedder(train_set), method="raw",
                                                      train=train_set), 0.0)}
    for algo, params in ALGOS.items():
        start = time.perf_counter()
        model = train(train_set, algo=algo, epochs=epochs[algo], seed=0, **params)
        report = evaluate(val_set, embedder=model_embedder(model), method=algo, train=train_set)
        rows[f"{algo} ({epochs[algo]} epochs)"] = (report, time.perf_counter() - start)
    if frames is not None:  # the same clips as RGB frames: TCC's frame encoder, trained from scratch
        start = time.perf_counter()
        model = train(frames[0], algo="tcc", epochs=epochs["tcc-frames"], seed=0, **FRAME_ENCODER)
        report = evaluate(frames[1], embedder=model_embedder(model), method="tcc-frames", train=frames[0])
        rows[f"tcc on RGB frames (VGG-M, 96 px, {epochs['tcc-frames']} epochs)"] = (report, time.perf_counter() - start)
    used = [c for c in COLUMNS if any(r.macro.get(c) is not None for r, _ in rows.values())]
    print("| method | " + " | ".join(used) + " | train+eval (s) |")
    print("|---" * (len(used) + 2) + "|")
    for label, (report, wall) in rows.items():
        cells = ["-" if report.macro[c] is None else f"{report.macro[c]:.3f}" for c in used]
        print(f"| {label} | " + " | ".join(cells) + f" | {wall:.0f} |")
    notes = sorted({n for r, _ in rows.values() for n in r.notes})
    for note in notes:
        print(f"- {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and clips (a smoke run)")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    epochs = {a: max(2, int(round(e * scale))) for a, e in
              {"tpl": 300, "dtan": 300, "tcc": 400, "tcn": 400, "sal": 400, "tcc+tcn": 400, "tcc-frames": 60}.items()}
    with tempfile.TemporaryDirectory() as tmp:
        run("bikes.mp4 retimed (real video, known phases)", *bikes_set(Path(tmp)), epochs,
            frames=bikes_set(Path(tmp), frames=True))
    if (PENN / "labels").is_dir():
        run("Penn Action keypoints (real performers)", *penn_set(6 if args.quick else 20), epochs)
    else:
        print(f"\n{PENN}: not found; Penn Action part skipped")


if __name__ == "__main__":
    main()

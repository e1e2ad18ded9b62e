"""One trained TPL per Penn Action action (the quick set's 20 train / 15 test clips), with the test-time optimiser's
recipe (lr 5e-3, full batch, 300 steps, reduced net): does a model per class generalise to unseen clips?

Run: python benchmarks/bench_penn_per_action.py --actions squat pushup --seeds 0 1 2 [--augment 0.01] [--train-clips 20]
     [--score-train]
Prints, per action and seed: the warps' movement and key-event spread on the train clips (the shared warp undone),
and the test clips' macro event error next to raw DTW and no warping, measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_penn import QUICK, _diagnose, load  # noqa: E402

from mvsync.align.tpl_aligner import TPLAligner  # noqa: E402
from mvsync.evaluate.protocol import aligner_embedder, evaluate, identity_embedder, model_embedder, raw_embedder  # noqa: E402
from mvsync.train import train  # noqa: E402

RECIPE = dict(epochs=300, lr=5e-3, grad_clip=1.0, widths=(32, 16), loc_filters=8, loc_depth=3, n_recurrences=1,
              latent_norm="clip")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", nargs="+", default=list(QUICK["train_actions"]))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--augment", type=float, default=0.0, help="augment_variance (random CPAB warps)")
    parser.add_argument("--train-clips", type=int, default=20, help="train clips per action (0: all)")
    parser.add_argument("--score-train", action="store_true",
                        help="also score the model on its own train clips (with raw DTW, no warping and test-time TPL)")
    args = parser.parse_args()
    for action in args.actions:
        train_set = load([action], "train", args.train_clips or None)
        test_set = load([action], "test", QUICK["test_per_action"])
        raw = evaluate(test_set, embedder=raw_embedder(train_set), method="raw").macro["event_err_frames"]
        none = evaluate(test_set, embedder=identity_embedder(), method="identity").macro["event_err_frames"]
        print(f"{action}: {len(train_set)} train / {len(test_set)} test clips; raw DTW {raw:.2f}, no warping {none:.2f}")
        for seed in args.seeds:
            torch.manual_seed(seed)
            start = time.perf_counter()
            model = train(train_set, algo="tpl", seed=seed, batch_size=min(len(train_set), 64),
                          augment_variance=args.augment, **RECIPE)
            error = evaluate(test_set, embedder=model_embedder(model), method="tpl").macro["event_err_frames"]
            print(f"  seed {seed}: test error {error:.2f} ({time.perf_counter() - start:.0f} s); "
                  f"{_diagnose('tpl', model, train_set)}", flush=True)
            if args.score_train:
                scores = {name: evaluate(train_set, embedder=embedder, method=name).macro["event_err_frames"]
                          for name, embedder in (("raw DTW", raw_embedder(train_set)), ("no warping", identity_embedder()),
                                                 ("trained", model_embedder(model)),
                                                 ("test-time TPL", aligner_embedder(train_set, lambda: TPLAligner(refine=0, seed=seed))))}
                print("  on its train clips: " + ", ".join(f"{k} {v:.2f}" for k, v in scores.items()), flush=True)


if __name__ == "__main__":
    main()

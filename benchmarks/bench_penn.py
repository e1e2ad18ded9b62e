"""Does a learned alignment beat plain DTW on real multi-performer motion? Penn Action keypoints, key events.

Run: python benchmarks/bench_penn.py --quick                  (2 CPU cores, about 10 minutes)
     python benchmarks/bench_penn.py --device cuda            (the seed's scale: one GPU session)
     python benchmarks/bench_penn.py --skip tpl dtan tcc --test-per-action 25   (test-time TPL only, 9 actions, CPU)

Trains on the Penn Action train split (../shared/data/penn_action, 2D keypoints, every action jointly for TPL and
DTAN as in the TPL paper) and scores the test split with `mvsync eval`'s code: each method embeds every test clip,
the clips of an action are synchronised by DTW on those embeddings, and the key-event error is the mean distance of
each clip's event from the median, in timeline frames. Events are DERIVED from the keypoints (e.g. the lowest hip
of a squat), so only the 9 actions with a derived-event rule are scored. Rows:

- raw: DTW on the standardised keypoints (the baseline every ratio is taken against);
- identity: no warping at all (each frame's normalised time);
- tpl: TPL trained on the train split (with ``--latent-rows``, also DTW on its latent beside its position);
  dtan: DTAN trained likewise; tcc: TCC's embedding on the keypoints;
- tpl test-time: TPL fitted on each action's test clips together, as `mvsync sync --method tpl` does, unrefined
  (the D-MTAE's warps alone) and as shipped (the refinement by banded DTW to the prototype, kept only where the
  prototype explains the clips); with ``--test-time-seeds S...``, the unrefined fit once per seed and the clips'
  timeline positions averaged over those fits.

Caveat: a derived event is an extreme of the very keypoints raw DTW matches, which favours raw DTW.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from mvsync.align.tpl_aligner import TPLAligner
from mvsync.commands.options import parse_params  # the KEY=VALUE reading of `mvsync train --set`
from mvsync.datasets.collection import LabeledSequence, load_collection
from mvsync.datasets.penn_keypoints import DERIVED_EVENT_RULES
from mvsync.evaluate.protocol import EvalReport, aligner_embedder, evaluate, identity_embedder, model_embedder
from mvsync.evaluate.protocol import raw_embedder
from mvsync.train import event_spread, train, warp_displacement, within_clip_share

PENN = Path(__file__).resolve().parents[2] / "shared" / "data" / "penn_action"
RESULTS = Path(__file__).resolve().parent / "results"
ALL_ACTIONS = ("baseball_pitch", "baseball_swing", "bench_press", "bowl", "clean_and_jerk", "golf_swing", "jump_rope",
               "jumping_jacks", "pullup", "pushup", "situp", "squat", "strum_guitar", "tennis_forehand", "tennis_serve")
SCORED = tuple(a for a in ALL_ACTIONS if a in DERIVED_EVENT_RULES)

# --quick: 4 actions, 20 train and 15 test clips each, reduced nets, 100 epochs (stated in the output).
QUICK = {
    "train_actions": ("jumping_jacks", "pullup", "pushup", "squat"), "per_action": 20, "test_per_action": 15,
    "tpl": {"epochs": 100, "lr": 1e-3, "loc_filters": 8, "loc_depth": 3, "n_recurrences": 1, "latent_norm": "clip"},
    "dtan": {"epochs": 100, "lr": 1e-3, "n_filters": 8, "depth": 3, "n_recurrences": 1},
    "tcc": {"epochs": 150, "lr": 1e-3},
}
# Full: every train clip of all 15 actions, the seed's nets and batch 64; lr 1e-3 as the official TPL config.
FULL = {
    "train_actions": ALL_ACTIONS, "per_action": None, "test_per_action": None,
    "tpl": {"epochs": 300, "lr": 1e-3, "latent_norm": "clip"},
    "dtan": {"epochs": 300, "lr": 1e-4},
    "tcc": {"epochs": 3000, "lr": 1e-4},
}


def load(actions, split: str, per_action: int | None) -> list[LabeledSequence]:
    return [s for a in actions for s in load_collection(PENN, split=split, action=a, max_per_action=per_action)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 actions, 20/15 clips each, reduced nets (CPU)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=[], choices=["tpl", "dtan", "tcc", "test-time"],
                        help="rows to leave out")
    for algo in ("tpl", "dtan", "tcc"):
        parser.add_argument(f"--{algo}", nargs="*", default=[], metavar="KEY=VALUE", help=f"override {algo} options")
    parser.add_argument("--test-time", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override the test-time TPL aligner's options (e.g. loc_length=None; the rows say so)")
    parser.add_argument("--save-models", metavar="DIR", help="also save each trained model as DIR/<algo>.pt")
    parser.add_argument("--test-time-seeds", type=int, nargs="*", default=[], metavar="S",
                        help="also the unrefined test-time fit per seed, and the positions averaged over them")
    parser.add_argument("--baselines-from", metavar="JSON",
                        help="take the raw and identity rows from an earlier run's JSON on the same clips instead of "
                             "computing them (CPU work, the same on any machine; e.g. benchmarks/results/"
                             "penn_full_h200_test_time.json for the full test split)")
    parser.add_argument("--latent-rows", action="store_true",
                        help="also DTW on the trained TPL's latent z beside its timeline position (a hypothesis row)")
    parser.add_argument("--test-per-action", type=int, help="score the first N test clips of each action")
    parser.add_argument("--out", help="markdown file (default: benchmarks/results/penn_<quick|full>.md)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    plan = QUICK if args.quick else FULL
    options = {algo: {**plan[algo], **parse_params(getattr(args, algo))} for algo in ("tpl", "dtan", "tcc")}
    train_set = load(plan["train_actions"], "train", plan["per_action"])
    test_set = load([a for a in plan["train_actions"] if a in SCORED], "test",
                    args.test_per_action or plan["test_per_action"])
    setup = (f"{'quick' if args.quick else 'full'}: {len(train_set)} train clips of {len(plan['train_actions'])} "
             f"action(s), {len(test_set)} test clips of the {len({s.action for s in test_set})} scored; "
             f"tpl {options['tpl']}; dtan {options['dtan']}; tcc {options['tcc']}; device {args.device}, "
             f"seed {args.seed}")
    print(setup, flush=True)

    reports: list[EvalReport] = []
    timings: dict[str, float] = {}
    diagnostics: list[str] = []

    out = Path(args.out) if args.out else RESULTS / f"penn_{'quick' if args.quick else 'full'}.md"

    def score(name: str, embedder) -> None:
        start = time.perf_counter()
        reports.append(evaluate(test_set, embedder=embedder, method=name))
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
        print(f"{name}: macro event error {reports[-1].macro['event_err_frames']:.2f} frames", flush=True)
        write(out, setup, reports, timings, diagnostics)  # after every row: a run stopped early keeps its rows

    if args.baselines_from:
        reports.extend(earlier_baselines(Path(args.baselines_from), test_set))
        timings.update({r.method: 0.0 for r in reports})
        print(f"raw and identity rows from {args.baselines_from}", flush=True)
    else:
        score("raw", raw_embedder(train_set))
        score("identity", identity_embedder())
    for algo in ("tpl", "dtan", "tcc"):
        if algo in args.skip:
            continue
        print(f"training {algo} ...", flush=True)
        start = time.perf_counter()
        model = train(train_set, algo=algo, seed=args.seed, device=args.device, progress=sys.stderr.isatty(),
                      **options[algo])
        timings[algo] = time.perf_counter() - start
        print(f"trained {algo} in {timings[algo]:.0f} s", flush=True)
        if args.save_models:
            Path(args.save_models).mkdir(parents=True, exist_ok=True)
            model.save(Path(args.save_models) / f"{algo}.pt")
        if algo in ("tpl", "dtan"):
            diagnostics.append(_diagnose(algo, model, train_set))
            print(diagnostics[-1], flush=True)
        score(algo, model_embedder(model))
        if algo == "tpl" and args.latent_rows:
            score("tpl latent + position", latent_embedder(model))
    test_time = parse_params(args.test_time)
    named = f" ({', '.join(args.test_time)})" if args.test_time else ""
    if "test-time" not in args.skip:
        for name, refine in (("tpl test-time, unrefined", 0), ("tpl test-time, as shipped", 4)):
            fitted = aligner_embedder(test_set, lambda refine=refine: TPLAligner(
                **{"refine": refine, "seed": args.seed, "device": args.device, **test_time}))
            score(name + named, fitted)
    fits = []
    for seed in args.test_time_seeds:
        fits.append(aligner_embedder(test_set, lambda seed=seed: TPLAligner(
            **{"seed": seed, "device": args.device, **test_time, "refine": 0})))
        score(f"tpl test-time, unrefined, seed {seed}{named}", fits[-1])
    if len(fits) > 1:
        score(f"tpl test-time, unrefined, {len(fits)} fits averaged{named}",
              lambda clip: np.mean([embed(clip) for embed in fits], axis=0))

    print("\n" + markdown(reports, timings))
    print(f"wrote {out}")


def write(out: Path, setup: str, reports: list[EvalReport], timings: dict[str, float], diagnostics: list[str]) -> None:
    """The table so far (markdown) and every report (json) next to it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    body = [f"# bench_penn ({time.strftime('%Y-%m-%d')})", "", setup, "", markdown(reports, timings), "",
            *[f"- {d}" for d in diagnostics]]
    out.write_text("\n".join(body) + "\n")
    out.with_suffix(".json").write_text(json.dumps({"setup": setup, "reports": [r.to_dict() for r in reports],
                                                    "seconds": timings}, indent=1))


def earlier_baselines(path: Path, test_set: list[LabeledSequence]) -> list[EvalReport]:
    """The raw and identity reports of an earlier run's JSON, if it scored the same test clips (their count and
    actions, as its setup line states them)."""
    data = json.loads(path.read_text())
    wanted = f"{len(test_set)} test clips of the {len({s.action for s in test_set})} scored"
    if wanted not in data["setup"]:
        sys.exit(f"{path}: scored other clips ({data['setup'].split(';')[0]}), not {wanted}")
    found = [EvalReport(r["method"], r["per_action"], r["notes"]) for r in data["reports"]
             if r["method"] in ("raw", "identity")]
    if [r.method for r in found] != ["raw", "identity"]:
        sys.exit(f"{path}: has no raw and identity rows to reuse")
    return found


def latent_embedder(model):
    """Each frame's trained-TPL latent ``z`` (the 1-D signal the DTAN aligns) and its timeline position, side by side:
    DTW then matches what the encoder learned, held near the learned timeline (each channel is z-scored by DTW)."""
    def embed(seq: LabeledSequence) -> np.ndarray:
        x = model.standardizer.apply(seq.features)  # (C, L)
        z = np.nan_to_num(model.model.encode([x], [x.shape[1]])[0])  # (L,)
        return np.column_stack([z, model.embed(seq.features)[:, 0]])
    return embed


def _diagnose(algo: str, model, train_set: list[LabeledSequence]) -> str:
    """What the warnings of `mvsync train` look at, as figures: warp movement, latent share, event spread."""
    X = [model.standardizer.apply(s.features) for s in train_set]
    estimator = model.model
    learned, identity = event_spread(estimator, X, train_set)
    text = (f"{algo} on its train clips: mean |g(s) - s| {warp_displacement(estimator, X):.3f}, "
            f"event spread {learned:.4f} of the timeline (no warping {identity:.4f})")
    if hasattr(estimator, "encode"):
        text += f", latent variance within clips {100 * within_clip_share(estimator.encode(X)):.0f}%"
    return text


def markdown(reports: list[EvalReport], timings: dict[str, float]) -> str:
    """Key-event error (frames) per action and method, the macro average, its ratio to raw DTW, and wins."""
    raw = next(r for r in reports if r.method == "raw")
    actions = list(raw.rows)
    lines = ["| action | " + " | ".join(r.method for r in reports) + " |", "|---" * (len(reports) + 1) + "|"]
    for action in actions:
        cells = [_cell(r.rows.get(action, {}).get("event_err_frames")) for r in reports]
        lines.append(f"| {action} | " + " | ".join(cells) + " |")
    macro = [r.macro["event_err_frames"] for r in reports]
    lines.append("| **macro (frames)** | " + " | ".join(_cell(m) for m in macro) + " |")
    lines.append("| macro % of timeline | " + " | ".join(_cell(r.macro["event_err_pct"]) for r in reports) + " |")
    lines.append("| ratio to raw DTW | " + " | ".join(_cell(m / raw.macro["event_err_frames"]) for m in macro) + " |")
    wins = [sum(r.rows[a]["event_err_frames"] < raw.rows[a]["event_err_frames"] for a in actions) for r in reports]
    lines.append(f"| actions better than raw (of {len(actions)}) | " + " | ".join(str(w) for w in wins) + " |")
    lines.append("| seconds (train + score) | " + " | ".join(f"{timings.get(r.method, 0):.0f}" for r in reports) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.2f}"


if __name__ == "__main__":
    main()

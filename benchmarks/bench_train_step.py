"""Training-step cost of the seed's TPL net (and DTAN): steps per second and operators per step.

Run: ``python benchmarks/bench_train_step.py [--algo tpl] [--batch 64] [--length 128] [--steps 10] [--device cpu]
[--compile [--eager-too]] [--baseline SRC] [--loc-length G]``

One step is the whole of :meth:`Trainer.step`: forward, loss (ICAE prototypes, reconstruction), backward and the
AdamW update, on a batch of ``--batch`` real Penn Action keypoint sequences (26 channels; cut or NaN-padded to
``--length`` frames, lengths as recorded) with the seed's architecture (TPL: widths 128-64-32-16, InceptionTime 32
filters x 6 blocks, 4 recurrent CPAB passes of 16 cells). Operators per step (aten calls counted by the profiler,
forward and backward) measure what makes a tiny model launch-bound on a GPU: each is at least one kernel launch.

``--compile`` trains with the estimator's ``compile=True`` (``torch.compile``, batches padded to one length); the
first step's time, which includes the compilation, is printed too.

``--loc-length G`` adds a row with the localization net reading each latent averaged down to ``G`` times
(``loc_length``, the ``tpl`` sync aligner's default is 64) instead of at every frame (the seed).

``--baseline SRC`` runs the same measurement, in a subprocess, on another checkout's ``src`` folder (e.g. the main
branch before a change) and prints the ratios, so both figures come from the same machine at the same time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PENN = Path(__file__).resolve().parents[2] / "shared" / "data" / "penn_action"


def penn_batch(n: int, length: int, seed: int = 0):
    """``(x (n, 26, length) float32 NaN-padded, lengths (n,), labels (n,))`` from real Penn Action clips."""
    import numpy as np
    import torch

    from mvsync.datasets.collection import load_collection

    seqs = load_collection(PENN, split="train", max_per_action=-(-n // 15) + 1)
    pick = np.random.default_rng(seed).choice(len(seqs), n, replace=False)
    x = torch.full((n, 26, length), float("nan"))
    lengths = torch.zeros(n, dtype=torch.long)
    labels = torch.zeros(n, dtype=torch.long)
    actions = sorted({s.action for s in seqs})
    for row, k in enumerate(pick):
        data = np.where(seqs[k].features.valid[:, None], seqs[k].features.values, np.nan).T[:, :length]  # (C, L)
        data = (data - np.nanmean(data, 1, keepdims=True)) / (np.nanstd(data, 1, keepdims=True) + 1e-6)
        x[row, :, : data.shape[1]] = torch.from_numpy(data)
        lengths[row], labels[row] = data.shape[1], actions.index(seqs[k].action)
    return x, lengths, labels, len(actions)


def measure(algo: str, batch: int, length: int, steps: int, device: str, compile: bool = False,
            loc_length: int | None = None) -> dict:
    """Median seconds per step over ``steps`` timed steps (after 2 warm-up steps) and aten operators per step;
    ``compile``: the estimator's ``compile=True`` (``first_s``, the first step, includes the compilation)."""
    import torch

    from mvsync.align.engine import DTAN, TPL

    x, lengths, labels, n_classes = penn_batch(batch, length)
    extra = {"compile": True} if compile else {}  # (a baseline checkout may predate the options)
    extra.update({"loc_length": loc_length} if loc_length is not None else {})
    estimator = {"tpl": TPL, "dtan": DTAN}[algo](epochs=1, batch_size=batch, device=device, **extra)
    start = time.perf_counter()
    estimator.fit(x.numpy(), y=labels.numpy(), lengths=lengths.tolist())  # builds model and trainer: one step
    first = time.perf_counter() - start
    estimator.epochs = 100  # the timed steps are at epoch 50 of 100 (the ICAE weight mid-ramp)
    estimator.classes_ = list(range(n_classes))
    estimator.timeline_length_ = length
    trainer = estimator.trainer_
    data = {"x": x.to(device), "lengths": lengths.to(device), "labels": labels.to(device)}
    trainer.model.train()

    def step() -> None:
        trainer.step(data, 50)
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    for _ in range(2):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    ops = sum(e.count for e in prof.key_averages() if e.key.startswith("aten::"))
    return {"s_per_step": statistics.median(times), "ops_per_step": ops, "torch": torch.__version__,
            "threads": torch.get_num_threads(), "first_s": first}


def run_baseline(src: str, args: argparse.Namespace) -> dict:
    """The same measurement on another checkout's ``src`` (a subprocess, so its modules are the ones imported)."""
    cmd = [sys.executable, __file__, "--json", "--algo", args.algo, "--batch", str(args.batch), "--length",
           str(args.length), "--steps", str(args.steps), "--device", args.device, "--threads", str(args.threads)]
    cmd += ["--compile"] if args.compile else []
    # src first, then what was already on the path (on a bare GPU machine that is where av was installed)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{src}: the baseline run failed:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", default="tpl", choices=["tpl", "dtan"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (default 1: a busy 2-core machine)")
    parser.add_argument("--compile", action="store_true", help="train with compile=True (torch.compile)")
    parser.add_argument("--eager-too", action="store_true", help="with --compile: also measure this checkout eager")
    parser.add_argument("--baseline", metavar="SRC", help="also measure this checkout's src folder (e.g. main's)")
    parser.add_argument("--loc-length", type=int, metavar="G",
                        help="also a row with the localization net reading G averaged times (loc_length)")
    parser.add_argument("--json", action="store_true", help="print one JSON line (used for --baseline)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    ours = measure(args.algo, args.batch, args.length, args.steps, args.device, args.compile)
    if args.json:
        print(json.dumps(ours))
        return
    rows = [("this checkout" + (", compile=True" if args.compile else ""), ours)]
    if args.compile and args.eager_too:
        rows.insert(0, ("this checkout, eager", measure(args.algo, args.batch, args.length, args.steps, args.device)))
    if args.loc_length is not None:
        rows.append((f"this checkout, loc_length={args.loc_length}",
                     measure(args.algo, args.batch, args.length, args.steps, args.device, args.compile,
                             args.loc_length)))
    if args.baseline:
        rows.insert(0, (f"baseline {args.baseline}", run_baseline(args.baseline, args)))
    print(f"{args.algo} train step, batch {args.batch} x {args.length} frames, {args.device}, "
          f"{args.threads} thread(s), torch {ours['torch']}")
    print("| code | s/step | steps/s | aten ops/step | first step (s) |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['s_per_step']:.4f} | {1 / r['s_per_step']:.2f} | {r['ops_per_step']} "
              f"| {r.get('first_s', float('nan')):.1f} |")
    if args.baseline:
        base = rows[0][1]
        for name, r in rows[1:]:
            print(f"{name}: speed-up (steps/s) {base['s_per_step'] / r['s_per_step']:.2f}x, "
                  f"ops per step {r['ops_per_step'] / base['ops_per_step']:.2f}x of the baseline's")
    if args.loc_length is not None:
        seed_net, capped = ours, rows[-1][1]
        print(f"loc_length={args.loc_length}: speed-up (steps/s) {seed_net['s_per_step'] / capped['s_per_step']:.2f}x "
              f"of this checkout's seed net")


if __name__ == "__main__":
    main()

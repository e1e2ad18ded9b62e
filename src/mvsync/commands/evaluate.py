"""``mvsync eval``: score trained models and baselines with the field's metrics, one table per method and a
comparison."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError, OutputExistsError
from ..types import FRAMES
from .options import add_data_options, collection


def add_parser(sub, common) -> None:
    p = sub.add_parser("eval", parents=[common], help="score a model (or a baseline) with the standard metrics",
                       description="Per action and macro-averaged: Kendall's tau, cycle consistency, phase "
                                   "classification/progression and retrieval (with phase labels), key-event sync error.")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--model", action="append", default=[], metavar="CKPT",
                   help="a checkpoint from mvsync train; repeat to compare methods in one table")
    p.add_argument("--baseline", action="append", default=[], choices=["raw", "identity"],
                   help="also score a method with no model (repeatable): raw (the standardised input features) or "
                        "identity (no warping: each frame's normalised time)")
    add_data_options(p, default_split="test")
    p.add_argument("--train-split", default="train", help="clips that feed the phase classifiers (default: train)")
    p.add_argument("--stride", type=int, default=1, help="frame stride for Kendall's tau and retrieval")
    p.add_argument("-o", "--output", metavar="JSON", help="also write every number to this JSON file")
    p.add_argument("--force", action="store_true", help="overwrite an existing JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..align.trained_model import load_model
    from ..evaluate.protocol import BASELINES, comparison_markdown, evaluate, model_embedder, save_reports

    if not args.model and not args.baseline:
        raise ConfigError("eval: give --model CKPT and/or --baseline raw|identity (both repeatable)")
    if args.output and Path(args.output).exists() and not args.force:
        raise OutputExistsError(f"{args.output}: already exists")
    models = [load_model(path) for path in args.model]
    names = method_names(models, args.model)
    reports, clips = [], {}  # clips: feature kind -> (validation, train) sequences, read once per kind
    for name, model in [*zip(names, models), *((baseline, None) for baseline in dict.fromkeys(args.baseline))]:
        kind = args.features or (model.features if model is not None else None)  # a model says what it reads
        if kind not in clips:
            clips[kind] = collection(args, args.split, kind), collection(args, args.train_split, kind)
        val, train = clips[kind]
        if model is None and name == "raw" and val[0].features.kind == FRAMES:
            raise ConfigError("--baseline raw: scores features; pass --features (e.g. appearance), not frames")
        embedder = model_embedder(model) if model is not None else BASELINES[name](train)
        report = evaluate(val, embedder=embedder, method=name, train=train, stride=args.stride,
                          progress=not args.quiet)
        print(report.to_markdown() + "\n")
        reports.append(report)
    if len(reports) > 1:
        print(comparison_markdown(reports))
    if args.output:
        print(f"wrote {save_reports(reports, args.output, overwrite=args.force)}")
    return 0


def method_names(models, paths: list[str]) -> list[str]:
    """Row names: the algorithm; where several models share it, the algorithm and the checkpoint's file name (its
    path, where file names repeat too).

    >>> from types import SimpleNamespace as M
    >>> method_names([M(algo="tpl"), M(algo="tpl"), M(algo="tcc")], ["runs/tpl30.pt", "runs/tpl5.pt", "tcc.pt"])
    ['tpl (tpl30.pt)', 'tpl (tpl5.pt)', 'tcc']
    """
    algos = [m.algo for m in models]
    files = [Path(p).name for p in paths]
    names = [m.algo if algos.count(m.algo) == 1 else f"{m.algo} ({f if files.count(f) == 1 else p})"
             for m, f, p in zip(models, files, paths)]
    return [f"{n} #{names[:i].count(n) + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]  # a path twice

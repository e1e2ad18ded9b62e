"""``mvsync train``: train TPL/DTAN or a TCC-family embedder on a feature folder or a dataset (``torchrun`` for
several processes)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..cli_names import TRAINER_NAMES
from ..errors import OutputExistsError
from ..types import FRAMES
from .options import add_data_options, add_threads_option, collection, parse_params


def add_parser(sub, common) -> None:
    p = sub.add_parser("train", parents=[common], help="train an alignment model on a feature folder or dataset",
                       description="Train TPL/DTAN (joint alignment) or a TCC-family embedder. DATA is a folder of "
                                   "<action>/<clip>.npz feature files (mvsync features) or a dataset root "
                                   "(Penn Action, Pouring, Gen-MVS layouts).")
    p.add_argument("data", metavar="DATA")
    p.add_argument("-o", "--output", required=True, metavar="CKPT", help="checkpoint file to write")
    p.add_argument("--algo", default="tpl", choices=TRAINER_NAMES, help="algorithm (default: tpl)")
    add_data_options(p, default_split="train")
    p.add_argument("--epochs", type=int, help="training epochs (default: the seed's: 300 for TPL/DTAN, 100 for TCC)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:1...); under torchrun, cuda means "
                                                   "one GPU per process (LOCAL_RANK)")
    add_threads_option(p)
    p.add_argument("--resume", metavar="CKPT", help="tpl/dtan: continue this checkpoint of mvsync train up to --epochs")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="params",
                   help="algorithm option, repeatable (e.g. --set loc_depth=3 --set lr=1e-3; see TPL/DTAN/fit_embedder)")
    p.add_argument("--force", action="store_true", help="overwrite an existing CKPT")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..align.engine.distributed import is_main_process
    from ..train import train

    output = Path(args.output)
    if output.exists() and not args.force:
        raise OutputExistsError(f"{output}: already exists")
    main = is_main_process()  # under torchrun, rank 0 prints, shows progress and writes the checkpoint
    args.quiet = args.quiet or not main
    seqs = collection(args, args.split)
    first = seqs[0].features
    what = "RGB frames" if first.kind == FRAMES else f"{first.kind} features ({first.num_channels} channels)"
    if main:
        print(f"training {args.algo} on {len(seqs)} clips of {len({s.action for s in seqs})} action(s), {what}")
    model = train(seqs, algo=args.algo, epochs=args.epochs, seed=args.seed, device=args.device,
                  progress=not args.quiet, resume=args.resume, threads=args.threads, **parse_params(args.params))
    if main:
        print(f"wrote {model.save(output)}")
    return 0

"""``mvsync transfer-audio``: give silent clips the sound of another clip of the same action (issue 11, section 1;
library: :mod:`mvsync.applications.audio_transfer`)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..names import AUTO_FEATURES, FEATURE_NAMES


def add_parser(sub, common) -> None:
    p = sub.add_parser(
        "transfer-audio", parents=[common], help="give clips the sound of another clip: DIR/<name>.mp4 and .wav",
        description="For each frame of every target, copy the source's sound from the matching moment (the sync "
                    "map: --sync, or the clips are synced first; or, with --nearest, blocks matched to their nearest "
                    "neighbour by embedding) and join the blocks with short cross-fades. Writes DIR/<target>.mp4 "
                    "(video bitstream copied, the new sound as its audio) and DIR/<target>.wav.")
    p.add_argument("--from", dest="source", required=True, metavar="SOURCE", help="the clip whose sound is used")
    p.add_argument("--to", dest="targets", required=True, nargs="+", metavar="TARGET", help="the clips that get it")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (must be new or empty unless --force)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--sync", metavar="SYNC_JSON", help="take the correspondence from this sync.json (or its folder), "
                                                         "which must hold SOURCE and every TARGET")
    how.add_argument("--model", metavar="CKPT", help="embed frames with this checkpoint from mvsync train (implies "
                                                      "--nearest)")
    p.add_argument("--nearest", action="store_true",
                   help="match blocks of frames to their nearest neighbour by embedding instead of syncing the clips "
                        "first: faster, but it does not follow the order of moments (measured: up to 32 source frames "
                        "off at p95 on retimed copies, against 4 through the sync map)")
    p.add_argument("--features", choices=(AUTO_FEATURES, *FEATURE_NAMES),
                   help="raw features to embed frames with (default: auto; not with --model or --sync)")
    p.add_argument("--context", type=int, metavar="K",
                   help="nearest neighbours: frames per block of sound, matched by their average embedding (default: 5)")
    p.add_argument("--cache-dir", help="feature cache folder")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..applications.audio_transfer import DEFAULT_CONTEXT, check_transfer, transfer_audio
    from ..outdir import output_dir

    options = {"sync": args.sync, "features": args.features, "model": args.model, "context": args.context,
               "nearest": args.nearest}
    plan = check_transfer(args.source, args.targets, **options)  # before the output folder exists
    with output_dir(args.output, force=args.force) as out_dir:
        transfers = transfer_audio(args.source, args.targets, out_dir, cache_dir=args.cache_dir, overwrite=args.force,
                                   progress=not args.quiet, **options)
    how = ("sync map" if args.sync else f"nearest neighbours, blocks of {args.context or DEFAULT_CONTEXT} frames"
           if plan.nearest else "synced first, then the sync map")
    for t in transfers:
        silent = sum(not math.isfinite(s) for s in t.blocks.source_s)
        note = f", {silent} block(s) silent (no matching content)" if silent else ""
        video = "video copied" if t.copied else "video re-encoded"
        print(f"wrote {t.video} ({video}) and {t.wav}: sound of {Path(args.source).name} in "
              f"{len(t.blocks.source_s)} blocks ({how}){note}")
    return 0

"""``mvsync features``: extract per-frame features of videos to one ``.npz`` each (cached; several processes or Ray)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli_names import FEATURE_NAMES
from ..errors import ConfigError, InputError
from .options import as_option


def add_parser(sub, common) -> None:
    p = sub.add_parser("features", parents=[common], help="extract per-frame features to DIR/<name>.npz",
                       description="Extract per-frame features (cached) and save one .npz per video.")
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--features", default="pose", choices=FEATURE_NAMES, help="per-frame features (default: pose)")
    p.add_argument("--fps", type=float, metavar="R", help="sample R frames per second by presentation time (long "
                                                          "clips; default: every frame)")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: the cores available, or 1 for fewer than 8 clips)")
    p.add_argument("--ray", nargs="?", const=True, default=False, metavar="ADDRESS",
                   help="run as Ray tasks on the cluster at ADDRESS, or on a local Ray instance when none is given "
                        "(pip install \"mvsync[ray]\")")
    p.add_argument("--cache-dir", help="feature cache folder (also the checkpoint: a killed run resumes from it)")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..features import Execution, default_jobs, extract_features, save_features
    from ..outdir import output_dir

    stems = [Path(v).stem for v in args.videos]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        same = [v for v in args.videos if Path(v).stem == clashes[0]]
        raise ConfigError(f"{' and '.join(same)}: same file name, one {clashes[0]}.npz each; rename or run them separately")
    try:
        jobs = args.jobs if args.jobs is not None else default_jobs(len(args.videos), args.features)
        execution = Execution(jobs=jobs, ray=args.ray)
    except ConfigError as err:  # the library names its field; the user typed --jobs
        raise as_option(err, f"--jobs {args.jobs}") from None
    options = {"fps": args.fps} if args.fps is not None else {}
    failures: list[str] = []
    with output_dir(args.output, force=args.force) as out_dir:
        feats = extract_features(args.videos, kind=args.features, cache_dir=args.cache_dir, execution=execution,
                                 progress=not args.quiet, failures=failures, **options)
        if not feats:
            raise InputError(f"{', '.join(args.videos)}: no usable video ({' | '.join(failures)})")
        for f in feats:
            target = save_features(f, out_dir / f"{Path(f.path).stem}.npz", overwrite=args.force)
            print(f"wrote {target}  ({f.num_frames} frames x {f.num_channels} channels, {int(f.valid.sum())} valid)")
    for failure in failures:
        print(f"mvsync: error: {failure}", file=sys.stderr)
    return 2 if failures else 0

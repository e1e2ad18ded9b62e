"""``mvsync demo``: retime a bundled real clip into copies with known tempi, sync them, render, print the error."""

from __future__ import annotations

import argparse

from ..cli_names import ALIGNER_NAMES, FEATURE_NAMES


def add_parser(sub, common) -> None:
    p = sub.add_parser("demo", parents=[common], help="sync retimed copies of a bundled real clip (no download)",
                       description="Retime a real clip into 5 copies with known tempi and pauses, sync them, "
                                   "render the grid video and print the error against the truth.")
    p.add_argument("-o", "--output", default="mvsync-demo", metavar="DIR", help="output folder (default: ./mvsync-demo)")
    p.add_argument("--features", default="appearance", choices=FEATURE_NAMES, help="per-frame features (default: appearance)")
    p.add_argument("--method", choices=ALIGNER_NAMES, help="alignment method (default: consensus, as mvsync sync)")
    p.add_argument("--cache-dir", help="feature cache folder")
    p.add_argument("--force", action="store_true", help="overwrite an existing, non-empty DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo as demo

    report = demo(args.output, features=args.features, method=args.method, force=args.force,
                  progress=not args.quiet, cache_dir=args.cache_dir)
    print(f"wrote {len(report.clips)} retimed clips to {report.clips[0].parent}")
    print(f"wrote {report.sync_json}")
    print(f"wrote {report.video} and {report.out_dir / 'alignment.png'}")
    print(report.summary())
    print(f"open {report.player} in a browser to play the clips in sync")
    return 0

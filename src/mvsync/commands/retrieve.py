"""``mvsync retrieve``: the frames of other clips nearest to one moment of a query clip, as a contact sheet (issue 11,
section 2; library: :mod:`mvsync.applications.retrieval`)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from ..errors import ConfigError, OutputExistsError
from ..names import AUTO_FEATURES, FEATURE_NAMES


def add_parser(sub, common) -> None:
    p = sub.add_parser(
        "retrieve", parents=[common], help="find the frames of other clips nearest to one moment: a contact sheet",
        description="Embed every frame of every clip and list the K frames of the other clips nearest to the query "
                    "frame, best first; write a contact sheet PNG (the query, then each match with clip name and time).")
    p.add_argument("query", metavar="QUERY@TIME", help="the query clip and moment: seconds (a.mp4@2.5) or a frame (a.mp4@f60)")
    p.add_argument("clips", nargs="+", metavar="CLIP", help="the clips to search (the query clip itself is left out)")
    p.add_argument("-k", "--k", type=int, default=5, help="how many matches (default: 5): the best frame of each "
                                                          "clip, best clips first")
    p.add_argument("--pooled", action="store_true", help="the k nearest frames wherever they are, several from one "
                                                         "clip if they are nearest")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--model", metavar="CKPT", help="embed frames with this checkpoint from mvsync train")
    how.add_argument("--features", choices=(AUTO_FEATURES, *FEATURE_NAMES), help="raw features to embed frames with "
                                                                                 "(default: auto)")
    p.add_argument("-o", "--output", required=True, metavar="SHEET_PNG", help="contact sheet to write")
    p.add_argument("--json", action="store_true", help="print the query and matches as JSON")
    p.add_argument("--cache-dir", help="feature cache folder")
    p.add_argument("--force", action="store_true", help="overwrite an existing SHEET_PNG")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..applications.retrieval import check_retrieval, render_contact_sheet, retrieve

    query, moment = parse_moment(args.query)
    options = {"k": args.k, "features": args.features, "model": args.model, **moment}
    check_retrieval(query, args.clips, **options)  # before anything is decoded or written
    if Path(args.output).exists() and not args.force:
        raise OutputExistsError(f"{args.output}: already exists")
    found = retrieve(query, args.clips, cache_dir=args.cache_dir, progress=not args.quiet, pooled=args.pooled,
                     **options)
    sheet = render_contact_sheet(found, args.output, overwrite=args.force)
    if args.json:
        print(json.dumps({**found.to_dict(), "sheet": str(sheet)}))
        return 0
    q = found.query
    print(f"query {q.path.name} at {q.time_s:.2f} s (frame {q.frame_idx}); nearest frames of the other clips:")
    for rank, m in enumerate(found.matches, 1):
        print(f"{rank:3d}. {m.path.name}  {m.time_s:.2f} s (frame {m.frame_idx})  distance {m.distance:.3f}")
    print(f"wrote {sheet}")
    return 0


def parse_moment(text: str) -> tuple[str, dict]:
    """``clip.mp4@2.5`` -> ``("clip.mp4", {"time_s": 2.5})``; ``clip.mp4@f60`` -> ``(..., {"frame_idx": 60})``."""
    clip, at, when = text.rpartition("@")
    hint = "expected CLIP@TIME: seconds (a.mp4@2.5) or a frame (a.mp4@f60)"
    if not at or not clip or not when:
        raise ConfigError(f"{text}: {hint}")
    try:
        if when[0] in "fF":
            return clip, {"frame_idx": int(when[1:])}
        time_s = float(when)
    except ValueError:
        raise ConfigError(f"{text}: {when!r} is neither seconds nor a frame; {hint}") from None
    if not math.isfinite(time_s):
        raise ConfigError(f"{text}: {when!r} is not a finite time; {hint}")
    return clip, {"time_s": time_s}

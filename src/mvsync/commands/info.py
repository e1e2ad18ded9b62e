"""``mvsync info``: each video's metadata, its frame count decoded (or the container's with ``--fast``)."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import MvsyncError


def add_parser(sub, common) -> None:
    p = sub.add_parser("info", parents=[common], help="print video metadata", description="Print each video's metadata.")
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("--json", action="store_true", help="print JSON lines")
    p.add_argument("--fast", action="store_true", help="do not decode: the frame count is the container's (about N)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..io import count_frames, probe

    bad = 0
    for video in args.videos:
        try:
            info = probe(video)
            decoded = None if args.fast else count_frames(video)
        except MvsyncError as err:
            print(f"mvsync: error: {err}", file=sys.stderr)
            bad += 1
            continue
        if args.json:
            counts = {"num_frames": info.num_frames if decoded is None else decoded, "num_frames_decoded": decoded is not None,
                      "num_frames_container": info.num_frames}
            print(json.dumps({**vars(info), **counts, "path": str(info.path)}))
        else:
            turned = f" (turned {info.rotation} degrees for display)" if info.rotation else ""
            print(f"{info.path}: {info.width}x{info.height}{turned} {info.codec}, {info.fps:.3f} fps, "
                  f"{_frame_count(info, decoded)}, "
                  f"{info.duration_s:.2f} s, audio: {'yes' if info.has_audio else 'no'}")
    return 2 if bad else 0


def _frame_count(info, decoded: int | None) -> str:
    if decoded is None:
        return f"about {info.num_frames} frames (container's count, not decoded)"
    if decoded != info.num_frames:
        return f"{decoded} frame{'s' * (decoded != 1)} decoded (the container says {info.num_frames})"
    return f"{decoded} frames"

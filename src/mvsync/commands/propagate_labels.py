"""``mvsync propagate-labels``: one clip's per-frame labels carried to every clip (issue 11, section 5)."""

from __future__ import annotations

import argparse

from .sync_input import add_sync_input, check_input, split_clip_file


def add_parser(sub, common) -> None:
    p = sub.add_parser("propagate-labels", parents=[common],
                       help="carry one clip's per-frame labels (phases) to every clip through the sync map",
                       description="Carry the per-frame labels of ONE annotated clip to every other clip through the "
                                   "sync map; writes DIR/<clip name>.json per clip.")
    add_sync_input(p)
    p.add_argument("--labels", required=True, metavar="CLIP:FILE",
                   help="the annotated clip (index, 0-based, or file name) and its labels file (.json list, "
                        "{'boundaries': [...]}, or .npy/.txt/.csv)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (must be new or empty unless --force)")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..applications.label_propagation import labels_file_names, read_labels, write_labels
    from ..applications.sync_input import clip_index
    from ..outdir import output_dir

    clip_text, labels_path = split_clip_file(args.labels, "--labels")
    source = check_input(args)
    clip = clip_index(source.clips, clip_text)
    # The labels file is checked against the clip's frame count (probed, for clips) before any output exists.
    read_labels(labels_path, source.frame_counts[clip])
    labels_file_names(source.clips)
    with output_dir(args.output, force=args.force) as out_dir:
        result = source.resolve(progress=not args.quiet)
        labels = read_labels(labels_path, result.videos[clip].num_frames)
        propagated = result.propagate(labels, clip)
        for path in write_labels(result, propagated, clip, out_dir, overwrite=args.force):
            print(f"wrote {path}")
    return 0

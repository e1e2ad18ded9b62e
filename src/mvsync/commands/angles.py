"""``mvsync angles``: knee, hip, elbow, shoulder and trunk angles of every clip over the common timeline (issue 25)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from ..names import ANGLE_NAMES
from .sync_input import add_sync_input, check_input


def add_parser(sub, common) -> None:
    p = sub.add_parser("angles", parents=[common],
                       help="joint angles of every clip on the common timeline (angles.csv, angles.png)",
                       description="Measure joint angles in every synchronised clip, in the image plane, from the pose "
                                   "landmarks (extracted if the sync used other features), at every step of the common "
                                   "timeline. Writes DIR/angles.csv (timeline_s, clip, one column per joint, degrees) "
                                   "and DIR/angles.png (one panel per joint, a line per clip).")
    add_sync_input(p)
    p.add_argument("--joint", action="append", default=[], metavar="NAME",
                   help=f"a joint, repeatable or comma-separated (default: all): {', '.join(ANGLE_NAMES)}")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="where angles.csv and angles.png go (default: the sync.json's folder; required for clips)")
    p.add_argument("--force", action="store_true", help="replace an existing angles.csv / angles.png")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..applications.body_angles import check_joints, timeline_angles, write_angles_csv
    from ..atomic import ensure_folder
    from ..errors import OutputExistsError
    from ..render.figures_angles import render_angle_plot

    joints = check_joints([j.strip() for item in args.joint for j in item.split(",") if j.strip()])
    source = check_input(args)
    if args.output is not None:
        out_dir = Path(args.output)
    elif source.result is not None:
        given = Path(args.inputs[0])
        out_dir = given if given.is_dir() else given.parent
    else:
        raise ConfigError("-o DIR: required when the input is clips (where angles.csv and angles.png go)")
    targets = [out_dir / "angles.csv", out_dir / "angles.png"]
    for target in targets:
        if target.exists() and not args.force:
            raise OutputExistsError(f"{target}: already exists (use --force to replace it)")
    result = source.resolve(progress=not args.quiet)
    table = timeline_angles(result, source.features(result, kind="pose", progress=not args.quiet), joints)
    ensure_folder(out_dir)
    write_angles_csv(table, targets[0], overwrite=True)
    render_angle_plot(table.values, table.joints, table.clips, table.timeline_s, targets[1], overwrite=True)
    for target in targets:
        print(f"wrote {target}")
    return 0

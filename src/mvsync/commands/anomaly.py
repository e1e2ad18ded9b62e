"""``mvsync anomaly``: where each synchronised clip stops looking like the others (issue 11, section 6)."""

from __future__ import annotations

import argparse
import json

from .sync_input import add_sync_input, check_input


def add_parser(sub, common) -> None:
    p = sub.add_parser("anomaly", parents=[common],
                       help="anomaly map: frames unlike the other clips' at the same moment (anomaly.png, anomaly.json)",
                       description="Score every frame of every synchronised clip by its distance to the median of the "
                                   "other clips at the same timeline moment; flag frames beyond a robust threshold. "
                                   "Writes DIR/anomaly.png (a heat strip per clip) and DIR/anomaly.json (flagged spans).")
    add_sync_input(p)
    p.add_argument("-k", type=float, default=None, metavar="K",
                   help="threshold: median + K x 1.4826 x MAD of all scores (default: 5), and at least --min-score")
    p.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="never flag a score below S (default: 0.5; unrelated frames score about 1.4)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (must be new or empty unless --force)")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..applications.anomaly import anomaly_map, anomaly_record, check_clip_count, check_thresholds
    from ..atomic import atomic_write
    from ..outdir import output_dir
    from ..render.figures_anomaly import render_anomaly_strips

    thresholds = check_thresholds(k=args.k, min_score=args.min_score)
    source = check_input(args)
    check_clip_count(source.clips)
    with output_dir(args.output, force=args.force) as out_dir:
        result = source.resolve(progress=not args.quiet)
        amap = anomaly_map(result, source.features(result, progress=not args.quiet), **thresholds)
        record = anomaly_record(amap, result)
        with atomic_write(out_dir / "anomaly.json") as handle:
            json.dump(record, handle, indent=1)
        render_anomaly_strips(amap.timeline_scores, amap.timeline_flagged, amap.threshold, result,
                              out_dir / "anomaly.png", overwrite=args.force)
        print(f"wrote {out_dir / 'anomaly.json'}\nwrote {out_dir / 'anomaly.png'}")
    for clip in record["clips"]:
        spans = ", ".join(f"{s['start_s']:.2f}-{s['end_s']:.2f} s" for s in clip["spans"]) or "none"
        print(f"{clip['path']}: {clip['flagged_frames']} of {clip['num_frames']} frames flagged; spans: {spans}")
    return 0

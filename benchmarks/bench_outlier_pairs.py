"""Can two clips be told apart as "one action" or "two actions"? The measures tried for an outlier check from 2 clips.

Run: python benchmarks/bench_outlier_pairs.py [--data ../shared/data] [--seeds 0 1 2]

With 2 clips the relative rule of ``mvsync/align/sync_confidence.py`` cannot flag anything (each clip is the other's
only comparison), so a check needs an absolute measure whose threshold holds across performers, views and tempos.
Pairs: every pair of RepCount cuts (the ``pose`` features' layout, human-annotated repetitions of ``repcount_sets``,
retimed) of one exercise ("belong") and of two exercises ("do not"), per seed; and each cut of seed 0 against the
real pose features of carphone.mp4 (a man talking) and bikes.mp4 (a cyclist), which surely do not. No sync is run:
each measure looks at the two clips' frames (or motion) as sets, so it does not depend on the method's map.

Measures (larger: less alike):
- **closest frame**: the features z-scored over the pair, each frame's RMS distance per channel to the closest frame of
  the other clip, averaged, both directions;
- **mean frame**: the RMS distance of the two clips' mean frames, z-scored over the pair;
- **angle motion**: the 8 joint angles' standard deviations over time (which joints move), L1 of their logs;
- **landmark ranges**: each landmark coordinate's 10-90% range over time, L1 of their logs.

Printed: AUC (pairs that do not belong scored above pairs that do), and at thresholds that 5% and 2% of the pairs of
one exercise pass, the share of two-exercise pairs and of talking / cycling pairs caught.
Results: ``benchmarks/results/outlier_pairs.{json,md}``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ANGLES = slice(132, 140)  # the first copy of the 8 joint angles in the pose features


def pair_z(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    both = np.concatenate([a, b])
    mean, std = both.mean(0), both.std(0) + 1e-6
    return (a - mean) / std, (b - mean) / std


def closest_frame(a: np.ndarray, b: np.ndarray) -> float:
    from mvsync.align.dtw import pairwise_cost

    za, zb = pair_z(a, b)
    dist = pairwise_cost(za, zb, np.ones(len(za), bool), np.ones(len(zb), bool)) / np.sqrt(za.shape[1])
    return float(0.5 * (dist.min(1).mean() + dist.min(0).mean()))


def mean_frame(a: np.ndarray, b: np.ndarray) -> float:
    za, zb = pair_z(a, b)
    return float(np.sqrt(((za.mean(0) - zb.mean(0)) ** 2).mean()))


def angle_motion(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.log(a[:, ANGLES].std(0) + 0.02) - np.log(b[:, ANGLES].std(0) + 0.02)).mean())


def landmark_ranges(a: np.ndarray, b: np.ndarray) -> float:
    def ranges(v):
        coords = v[:, :132].reshape(len(v), 33, 4)[:, :, :2].reshape(len(v), -1)
        return np.percentile(coords, 90, axis=0) - np.percentile(coords, 10, axis=0)

    return float(np.abs(np.log(ranges(a) + 0.02) - np.log(ranges(b) + 0.02)).mean())


MEASURES = {"closest frame": closest_frame, "mean frame": mean_frame, "angle motion": angle_motion,
            "landmark ranges": landmark_ranges}


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Probability that a pair that does not belong scores above one that does (ties count half)."""
    above = (positive[:, None] > negative[None, :]).mean()
    return float(above + 0.5 * (positive[:, None] == negative[None, :]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    from mvsync.demo import demo_clip_path
    from mvsync.evaluate.performer_sets import repcount_sets
    from mvsync.features import create_extractor

    extractor = create_extractor("pose", min_detected=0.0)
    others = {}
    for name in ("carphone_pristine.mp4", "bikes.mp4"):
        features = extractor.extract(demo_clip_path(name))
        others[name] = features.values[features.valid]
    scores = {name: {"one exercise": [], "two exercises": [], "talking / cycling": []} for name in MEASURES}
    for seed in args.seeds:
        sets = repcount_sets(args.data / "repcount", seed=seed, retime=True)
        cuts = [(group, cut.values[cut.valid]) for group, group_cuts in sets.items() for cut in group_cuts]
        for (group_a, a), (group_b, b) in itertools.combinations(cuts, 2):
            for name, measure in MEASURES.items():
                scores[name]["one exercise" if group_a == group_b else "two exercises"].append(measure(a, b))
        if seed == args.seeds[0]:
            for (_, cut), other in itertools.product(cuts, others.values()):
                for name, measure in MEASURES.items():
                    scores[name]["talking / cycling"].append(measure(cut, other))
        print(f"seed {seed}: {len(cuts)} cuts", flush=True)

    counts = {kind: len(values) for kind, values in scores["closest frame"].items()}
    lines = ["# Telling two clips of one action from two actions (RepCount pose cuts, retimed; seeds "
             f"{', '.join(map(str, args.seeds))})", "",
             f"Pairs: {counts['one exercise']} of one exercise, {counts['two exercises']} of two, "
             f"{counts['talking / cycling']} of a cut with carphone or bikes.", "",
             "| measure | AUC, two exercises | AUC, talking / cycling | caught at 5% false: two exercises | "
             "talking / cycling | caught at 2% false: two exercises | talking / cycling |", "|---|---|---|---|---|---|---|"]
    data = {}
    for name, by_kind in scores.items():
        same, diff, alien = (np.array(by_kind[k]) for k in ("one exercise", "two exercises", "talking / cycling"))
        row = {"auc_two_exercises": auc(diff, same), "auc_talking_cycling": auc(alien, same)}
        for false in (0.05, 0.02):
            threshold = float(np.quantile(same, 1 - false))
            row[f"caught_two_exercises_at_{false}"] = float((diff > threshold).mean())
            row[f"caught_talking_cycling_at_{false}"] = float((alien > threshold).mean())
        data[name] = row
        lines.append(f"| {name} | {row['auc_two_exercises']:.3f} | {row['auc_talking_cycling']:.3f} | "
                     f"{row['caught_two_exercises_at_0.05']:.0%} | {row['caught_talking_cycling_at_0.05']:.0%} | "
                     f"{row['caught_two_exercises_at_0.02']:.0%} | {row['caught_talking_cycling_at_0.02']:.0%} |")
    write_report("outlier_pairs", lines, data)


if __name__ == "__main__":
    main()

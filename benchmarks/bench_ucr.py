"""DTAN's nearest-centroid protocol on the UCR sets bundled with aeon, for DTAN and TPL.

Weber et al., "Diffeomorphic Temporal Alignment Nets" (NeurIPS 2019), Sec. 5: fit the joint alignment on the train
split (class-conditioned loss, one net for all classes); the class centroids are the means of the aligned train
series; the test series are aligned by the trained net WITHOUT their labels and classified by the nearest centroid
(Euclidean). The baseline is the same nearest-centroid classifier without alignment, computed in the same run.

Run ``python benchmarks/bench_ucr.py`` (all sets; OSULeaf alone takes about an hour per method on 2 CPU cores) or
``--quick`` (GunPoint and ItalyPowerDemand, 60 epochs: a smoke run, the nets barely leave the identity warp). The
localization net is smaller than the seed's (``--filters``, ``--depth``, ``--recurrences``) so that training fits on
a CPU; the printed header says what was used. TPL gets the same net sizes, no prior (ICAE needs none).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mvsync.align.estimators import DTAN, TPL  # noqa: E402

# Univariate, equal-length UCR sets that ship inside the aeon wheel.
DATASETS = ["GunPoint", "ItalyPowerDemand", "ArrowHead", "OSULeaf"]
QUICK_DATASETS = ["GunPoint", "ItalyPowerDemand"]
# DTAN's published nearest-centroid accuracies (Weber et al. 2019), where the brief gives them.
PUBLISHED = {"GunPoint": 0.880, "ItalyPowerDemand": 0.962}


def load(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from aeon.datasets import load_classification

    X_train, y_train = load_classification(name, split="train")
    X_test, y_test = load_classification(name, split="test")
    return X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test


def nearest_centroid(centroids: np.ndarray, classes: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Labels of the closest centroid ``(K, C, T)`` for each series of ``X`` ``(N, C, T)``."""
    dist = ((X[:, None] - centroids[None]) ** 2).sum(axis=(2, 3))  # (N, K)
    return classes[np.argmin(dist, axis=1)]


def euclidean_accuracy(X_train, y_train, X_test, y_test) -> float:
    classes = np.unique(y_train)
    centroids = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])  # (K, C, T)
    return float(np.mean(nearest_centroid(centroids, classes, X_test) == y_test))


def aligned_accuracy(estimator, X_train, y_train, X_test, y_test) -> float:
    estimator.fit(X_train, y_train)
    predicted = nearest_centroid(estimator.class_prototypes_, estimator.classes_, estimator.transform(X_test))
    return float(np.mean(predicted == y_test))


def build(method: str, args: argparse.Namespace):
    common = dict(n_recurrences=args.recurrences, epochs=args.epochs, lr=args.lr, batch_size=64, seed=args.seed,
                  progress=args.progress)
    if method == "dtan":
        return DTAN(n_filters=args.filters, depth=args.depth, prior_weight=args.prior_weight,
                    prior_variance=args.prior_variance, **common)
    return TPL(loc_filters=args.filters, loc_depth=args.depth, **common)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="GunPoint and ItalyPowerDemand, fewer epochs")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--methods", nargs="+", default=["dtan", "tpl"], choices=["dtan", "tpl"])
    parser.add_argument("--epochs", type=int, default=None, help="default: 300 (seed), 60 with --quick")
    parser.add_argument("--lr", type=float, default=1e-4, help="AdamW learning rate (seed: 1e-4)")
    parser.add_argument("--filters", type=int, default=16, help="InceptionTime filters per branch (seed: 32)")
    parser.add_argument("--depth", type=int, default=3, help="Inception blocks (seed: 6)")
    parser.add_argument("--recurrences", type=int, default=2, help="recurrent DTAN passes (seed: 4)")
    parser.add_argument("--prior-weight", type=float, default=0.1, help="DTAN prior weight per pass (DTAN: 0.1)")
    parser.add_argument("--prior-variance", type=float, default=0.1, help="knot-velocity variance of the prior")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest for small nets)")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args()
    args.epochs = args.epochs or (60 if args.quick else 300)
    datasets = args.datasets or (QUICK_DATASETS if args.quick else DATASETS)
    torch.set_num_threads(args.threads)

    print(f"DTAN nearest-centroid protocol, {args.epochs} epochs, AdamW lr {args.lr}, batch 64, "
          f"InceptionTime {args.filters} filters x {args.depth} blocks, {args.recurrences} recurrences, "
          f"DTAN prior weight {args.prior_weight} (variance {args.prior_variance}), seed {args.seed}, CPU")
    header = f"{'dataset':<18}{'euclid NCC':>11}" + "".join(f"{m + ' NCC':>11}" for m in args.methods)
    print(header + f"{'published':>11}{'time':>9}")
    for name in datasets:
        X_train, y_train, X_test, y_test = load(name)
        start = time.time()
        row = f"{name:<18}{euclidean_accuracy(X_train, y_train, X_test, y_test):>11.3f}"
        for method in args.methods:
            row += f"{aligned_accuracy(build(method, args), X_train, y_train, X_test, y_test):>11.3f}"
        published = PUBLISHED.get(name)
        row += f"{published:>11.3f}" if published is not None else f"{'-':>11}"
        print(row + f"{time.time() - start:>8.0f}s", flush=True)


if __name__ == "__main__":
    main()

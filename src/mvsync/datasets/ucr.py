"""UCR/UEA time-series classification archives through aeon, offline first.

aeon bundles a few problems inside its wheel (GunPoint, ItalyPowerDemand, ArrowHead, OSULeaf,
BasicMotions, PickupGestureWiimoteZ, JapaneseVowels, ...); any other problem must already be
in ``extract_path`` (``<extract_path>/<name>/<name>_TRAIN.ts`` and ``_TEST.ts``) or aeon's data
home (``$AEON_DATA``, default ``~/aeon_data``). Otherwise aeon would try to download it from
Zenodo, which hangs for minutes without a network: :func:`load_ucr` refuses unless
``download=True``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputError

log = logging.getLogger(__name__)


def load_ucr(
    name: str, split: str = "train", *, extract_path: str | Path | None = None, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of a UCR/UEA classification problem as ``(X, y)``.

    Returns
    -------
    X : (N, C, L) float64; series shorter than the longest (variable-length problems such as
        PickupGestureWiimoteZ or JapaneseVowels) are padded with NaN at the END.
    y : (N,) class labels as aeon gives them (strings).

    Parameters
    ----------
    name : the problem, e.g. ``"GunPoint"``.
    split : ``"train"`` or ``"test"``.
    extract_path : a folder holding ``<name>/<name>_TRAIN.ts`` and ``_TEST.ts``.
    download : allow aeon to download a problem found nowhere locally (needs a network).

    Examples
    --------
    With aeon installed (``pip install aeon``; GunPoint comes in its wheel)::

        X, y = load_ucr("GunPoint", "test")
        X.shape  # (150, 1, 150)
    """
    if split not in ("train", "test"):
        raise ConfigError(f"split: must be 'train' or 'test', got {split!r}")
    datasets = _aeon_datasets()
    local = _is_local(datasets, name, extract_path)
    if not local and name not in datasets.tsc_datasets.tsc_zenodo:
        raise ConfigError(f"ucr {name}: unknown classification problem (see aeon.datasets.tsc_datasets.tsc_zenodo)")
    if not local and not download:
        raise InputError(
            f"ucr {name}: not available offline (aeon bundles {', '.join(_bundled(datasets))}); "
            f"put {name}/{name}_TRAIN.ts and _TEST.ts under extract_path, or pass download=True"
        )
    try:
        X, y = datasets.load_classification(
            name, split=split, extract_path=None if extract_path is None else str(extract_path)
        )
    except (ValueError, OSError) as err:
        raise InputError(f"ucr {name}: aeon could not load it ({' '.join(str(err).split())})") from None
    return pad_series(X), np.asarray(y)


def pad_series(X: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """Stack (C, L_i) series into one (N, C, max L) float array, NaN-padded at the end.

    >>> pad_series([np.ones((1, 2)), np.ones((1, 3))])[0].tolist()
    [[1.0, 1.0, nan]]
    """
    if isinstance(X, np.ndarray) and X.ndim == 3:
        return X.astype(np.float64)
    series = [np.asarray(s, dtype=np.float64) for s in X]
    channels = {s.shape[0] for s in series}
    if len(channels) != 1:
        raise InputError(f"ucr: series have different channel counts {sorted(channels)}")
    out = np.full((len(series), channels.pop(), max(s.shape[1] for s in series)), np.nan)
    for i, s in enumerate(series):
        out[i, :, : s.shape[1]] = s
    return out


def _aeon_datasets():
    try:
        import aeon.datasets as datasets
        from aeon.datasets import dataset_collections, tsc_datasets  # noqa: F401  (offline checks below)
    except ImportError as err:
        raise ConfigError(f"ucr: aeon is not installed ({err}); pip install aeon") from None
    return datasets


def _is_local(datasets, name: str, extract_path: str | Path | None) -> bool:
    if extract_path is not None:
        folder = Path(extract_path) / name
        return (folder / f"{name}_TRAIN.ts").is_file() and (folder / f"{name}_TEST.ts").is_file()
    return name in datasets.dataset_collections.get_downloaded_tsc_tsr_datasets()


def _bundled(datasets) -> list[str]:
    root = Path(datasets.__file__).parent / "data"
    found = datasets.dataset_collections.get_downloaded_tsc_tsr_datasets(str(root))
    return [n for n in found if n in datasets.tsc_datasets.tsc_zenodo]

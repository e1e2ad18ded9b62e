"""UCR/UEA through aeon: bundled problems offline, NaN padding, and a fast clear failure otherwise."""

import time

import numpy as np
import pytest

pytest.importorskip("aeon")

from mvsync.datasets import load_ucr  # noqa: E402
from mvsync.datasets.ucr import pad_series  # noqa: E402
from mvsync.errors import ConfigError, InputError  # noqa: E402

TINY_TS = """@problemName Tiny
@timeStamps false
@missing false
@univariate true
@equalLength false
@classLabel true a b
@data
1.0,2.0,3.0:a
3.0,2.0:b
"""


@pytest.fixture(autouse=True)
def _empty_aeon_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AEON_DATA", str(tmp_path / "aeon_home"))  # no earlier download can leak in


def test_bundled_equal_length():
    X, y = load_ucr("GunPoint", "train")
    assert X.shape == (50, 1, 150) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (50,) and set(y) == {"1", "2"}


def test_bundled_variable_length_is_nan_padded():
    X, y = load_ucr("JapaneseVowels", "test")  # 12 channels, 7..29 frames
    lengths = np.isfinite(X[:, 0]).sum(axis=1)
    assert X.shape[:2] == (370, 12) and X.shape[2] == lengths.max() and lengths.min() < lengths.max()
    for i in np.flatnonzero(lengths < X.shape[2])[:5]:  # padding only at the end
        assert np.isfinite(X[i, :, : lengths[i]]).all() and np.isnan(X[i, :, lengths[i]:]).all()


def test_local_problem_in_extract_path(tmp_path):
    (tmp_path / "Tiny").mkdir()
    for split in ("TRAIN", "TEST"):
        (tmp_path / "Tiny" / f"Tiny_{split}.ts").write_text(TINY_TS)
    X, y = load_ucr("Tiny", "test", extract_path=tmp_path)
    assert np.array_equal(X, [[[1, 2, 3]], [[3, 2, np.nan]]], equal_nan=True) and y.tolist() == ["a", "b"]


def test_missing_problem_fails_fast_offline():
    start = time.perf_counter()
    with pytest.raises(InputError, match="ucr FordA: not available offline .*GunPoint"):
        load_ucr("FordA", "train")
    assert time.perf_counter() - start < 5
    with pytest.raises(ConfigError, match="ucr NoSuchProblem: unknown"):
        load_ucr("NoSuchProblem", "train")
    with pytest.raises(ConfigError, match="split: must be 'train' or 'test'"):
        load_ucr("GunPoint", "validation")


def test_pad_series_by_hand():
    out = pad_series([np.ones((2, 1)), np.zeros((2, 3))])
    assert out.shape == (2, 2, 3) and np.isnan(out[0, :, 1:]).all() and (out[1] == 0).all()
    with pytest.raises(InputError, match="different channel counts"):
        pad_series([np.ones((1, 2)), np.ones((2, 2))])

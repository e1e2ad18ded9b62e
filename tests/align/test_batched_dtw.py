"""DTW over a batch of cost matrices: the same paths and totals as one DTW at a time, ties included."""

import numpy as np
import pytest

from mvsync.align.batched_dtw import dtw_paths
from mvsync.align.dtw import dtw_path
from mvsync.align.standardizer import merge_repeated_channels


@pytest.mark.parametrize("shape", [(5, 7, 7), (3, 1, 4), (4, 6, 1), (6, 30, 30), (3, 40, 25)])
@pytest.mark.parametrize("kind", ["real", "ties"])
def test_batch_equals_one_at_a_time(shape, kind):
    rng = np.random.default_rng(sum(shape))
    costs = rng.random(shape) if kind == "real" else rng.integers(0, 3, shape).astype(float)  # ties: tie rule
    totals, paths = dtw_paths(costs)
    for cost, total, path in zip(costs, totals, paths):
        one_total, one_path = dtw_path(cost)
        assert total == one_total
        np.testing.assert_array_equal(path, one_path)


def test_merged_repeats_keep_every_distance():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(60, 5))
    repeated = np.concatenate([base, np.repeat(base[:, [1, 3]], 4, axis=1)], axis=1)  # 13 channels, 8 repeats
    a, b = merge_repeated_channels([repeated[:25], repeated[25:]])
    assert a.shape[1] == 5
    d_before = np.linalg.norm(repeated[:25, None] - repeated[None, 25:], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(a[:, None] - b[None], axis=-1), d_before, rtol=1e-12)


def test_channels_that_differ_anywhere_are_kept():
    x = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.5]])
    assert merge_repeated_channels([x[:2], x[2:]])[0].shape[1] == 2

import numpy as np
import pytest
from dtaidistance import dtw as dtai

from mvsync.align import create_aligner
from mvsync.align.dtw import DTWAligner, dtw_path, pairwise_cost, path_to_frame_map
from mvsync.errors import ConfigError, InputError


def _brute_force(cost):
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
    return acc[n, m]


@pytest.mark.parametrize("shape", [(1, 5), (6, 1), (7, 9), (40, 25)])
def test_cost_matches_brute_force(shape):
    cost = np.random.default_rng(1).random(shape)
    total, path = dtw_path(cost)
    assert total == pytest.approx(_brute_force(cost))
    assert cost[path[:, 0], path[:, 1]].sum() == pytest.approx(total)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (shape[0] - 1, shape[1] - 1)
    assert (np.diff(path, axis=0) >= 0).all() and (np.diff(path, axis=0).sum(axis=1) >= 1).all()


def test_path_matches_dtaidistance():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=60), rng.normal(size=75)
    _, path = dtw_path((a[:, None] - b[None, :]) ** 2)
    reference = dtai.warping_path(a, b)
    assert [tuple(p) for p in path] == [tuple(p) for p in reference]


def test_frame_map_for_a_known_stretch():
    # the other clip runs at half speed: reference frame t shows its frame 2t (+ the path's half step)
    path = np.array([(t, j) for t in range(20) for j in (2 * t, 2 * t + 1)])
    frame_map = path_to_frame_map(path, 20)
    np.testing.assert_allclose(frame_map, 2 * np.arange(20) + 0.5)
    # the other clip is twice as fast: pairs of reference frames share one frame; the map runs between them
    path = np.array([(t, t // 2) for t in range(20)])
    frame_map = path_to_frame_map(path, 20)
    assert np.all(np.diff(frame_map) > 0)
    np.testing.assert_allclose(frame_map[1:-1], (np.arange(20)[1:-1] - 0.5) / 2, atol=0.26)


def test_recovers_a_time_warp_of_a_real_series():
    from aeon.datasets import load_classification

    X, _ = load_classification("GunPoint", split="train")
    series = X[0, 0]  # (150,)
    t = np.linspace(0, 1, 150)
    warp = t + 0.25 * np.sin(np.pi * t) * t  # monotone
    warped = np.interp(warp * 149, np.arange(150), series)
    aligner = DTWAligner(reference=0).fit([series[:, None], warped[:, None]])
    truth = np.interp(np.arange(150), warp * 149, np.arange(150))  # frame of the warped clip showing ref frame t
    assert np.median(np.abs(aligner.frame_maps_[1] - truth)) <= 1.0


def test_medoid_reference_and_invalid_frames():
    rng = np.random.default_rng(3)
    base = np.cumsum(rng.normal(size=(80, 3)), axis=0)
    seqs = [base[::2], base[:70], base, base[5:]]
    masks = [np.ones(len(s), bool) for s in seqs]
    masks[2][10:20] = False
    seqs[2] = seqs[2].copy()
    seqs[2][10:20] = 1e6  # garbage under the mask must not matter
    aligner = create_aligner("dtw").fit(seqs, masks)
    assert aligner.reference_ in range(4)
    for frame_map in aligner.frame_maps_:
        assert np.isfinite(frame_map).all() and np.all(np.diff(frame_map) >= 0)


def test_bad_inputs():
    with pytest.raises(InputError, match="at least 2"):
        DTWAligner().fit([np.zeros((5, 2))])
    with pytest.raises(InputError, match="sequence 1: features contain NaN"):
        DTWAligner().fit([np.zeros((5, 2)), np.full((5, 2), np.nan)])
    with pytest.raises(ConfigError, match="reference: 5 is out of range for 2 videos"):
        DTWAligner(reference=5).fit([np.zeros((5, 2)), np.ones((5, 2))])
    with pytest.raises(ConfigError, match="method 'foo': unknown; choose one of"):
        create_aligner("foo")


def _gunpoint(n):
    from aeon.datasets import load_classification

    X, _ = load_classification("GunPoint", split="train")
    return [X[k, 0][:, None] for k in range(n)]  # (150, 1) each: real hand trajectories


def _exact_mean_costs(seqs):
    from mvsync.align.standardizer import standardize_set

    data = standardize_set(seqs, [np.ones(len(s), bool) for s in seqs])
    n = len(data)
    costs = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            cost = pairwise_cost(data[i], data[j], np.ones(len(data[i]), bool), np.ones(len(data[j]), bool))
            costs[i, j] = costs[j, i] = dtw_path(cost)[0] / (len(data[i]) + len(data[j]))
    return costs.sum(axis=1) / (n - 1)


def test_small_sets_keep_the_exact_medoid():
    seqs = _gunpoint(8)
    aligner = DTWAligner().fit(seqs)
    exact = _exact_mean_costs(seqs)
    assert aligner.reference_ == int(np.argmin(exact))
    np.testing.assert_allclose(aligner.medoid_costs_, exact)
    assert aligner.dtw_calls_ == 8 * 7 // 2 + 1  # every pair, then the reference with itself


def test_large_sets_pick_the_reference_from_a_sample_in_linear_calls():
    n, k = 40, 5
    seqs = _gunpoint(n)
    aligner = DTWAligner(exact_medoid_max=10, sample_size=k, seed=3).fit(seqs)
    assert aligner.dtw_calls_ <= 2 * n * k + n  # O(N k), where the exact medoid takes N (N - 1) / 2 = 780
    exact = _exact_mean_costs(seqs)
    rank = int((exact < exact[aligner.reference_]).sum())
    assert rank <= 1  # the pick is the medoid or the runner-up (a random sample of 5 placed it up to 18th)
    again = DTWAligner(exact_medoid_max=10, sample_size=k, seed=3).fit(seqs)
    assert again.reference_ == aligner.reference_
    with pytest.raises(ConfigError, match="sample_size: expected a positive number of clips, got 0"):
        DTWAligner(sample_size=0).fit(seqs[:2])


def test_the_map_stays_inside_the_other_clip():
    """Open ends move the map's ends toward where the path leaves them, never past the frames matched there."""
    base = np.cumsum(np.random.default_rng(0).normal(size=(60, 3)), axis=0)
    other = np.repeat(base, 2, axis=0)[1:-1]  # 118 frames at half speed, its first and last frames cut
    frame_map = DTWAligner(reference=0).fit([base, other]).frame_maps_[1]
    assert frame_map.min() >= 0 and frame_map.max() <= len(other) - 1

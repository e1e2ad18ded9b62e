"""Banded DTW and the coarse-to-fine prototype refinement."""

import numpy as np
import pytest

from mvsync.align.banded_dtw import banded_dtw_path
from mvsync.align.dtw import dtw_path
from mvsync.align.prototype_refine import _band_window, refine_frame_maps
from mvsync.errors import ConfigError


def path_cost(cost: np.ndarray, path: np.ndarray) -> float:
    return float(cost[path[:, 0], path[:, 1]].sum())


def test_banded_dtw_finds_the_cheapest_path_inside_the_band():
    """Against the full matrix with every cell outside the band priced out of reach: the same optimal cost (paths
    may differ where two paths tie), with missing frames on either side."""
    rng = np.random.default_rng(0)
    for _ in range(100):
        n_rows, n_cols = rng.integers(5, 50, size=2)
        a, b = rng.normal(size=(n_rows, 3)), rng.normal(size=(n_cols, 3))
        ok_a, ok_b = rng.random(n_rows) > 0.1, rng.random(n_cols) > 0.1
        frames = np.sort(rng.uniform(0, n_cols - 1, n_rows))
        lo, hi = _band_window(frames, n_cols, rng.uniform(0.05, 0.5) * n_cols)
        cols = np.arange(n_cols)
        outside = (cols[None] < lo[:, None]) | (cols[None] > hi[:, None])
        cost = np.linalg.norm(a[:, None] - b[None], axis=2)
        invalid = ~ok_a[:, None] | ~ok_b[None]
        if invalid.any():
            cost[invalid] = np.median(cost[~invalid & ~outside])
        priced_out = np.where(outside, cost.max() * (n_rows + n_cols) + 1, cost)
        path = banded_dtw_path(a, b, ok_a, ok_b, lo, hi)
        assert path[0].tolist() == [0, 0] and path[-1].tolist() == [n_rows - 1, n_cols - 1]
        assert np.all(np.diff(path, axis=0) >= 0) and np.all(np.diff(path, axis=0).sum(1) >= 1)
        assert not outside[path[:, 0], path[:, 1]].any()
        assert path_cost(cost, path) == pytest.approx(path_cost(priced_out, dtw_path(priced_out)[1]), rel=1e-9)


def test_banded_dtw_refuses_windows_without_a_path():
    a, b = np.zeros((3, 1)), np.zeros((4, 1))
    ok_a, ok_b = np.ones(3, bool), np.ones(4, bool)
    with pytest.raises(ConfigError, match="band"):
        banded_dtw_path(a, b, ok_a, ok_b, np.array([0, 3, 3]), np.array([1, 3, 3]))  # row 1 cannot reach row 0
    with pytest.raises(ConfigError, match="band"):
        banded_dtw_path(a, b, ok_a, ok_b, np.array([0, 1, 2]), np.array([1, 2, 2]))  # never reaches the last frame


def slow_copies(n_frames=900):
    """Slow copies (600-900 frames) of one motion, with frozen lead-ins and tempo changes; their content times."""
    rng = np.random.default_rng(3)
    centres = np.linspace(0.1, 0.9, 8)
    seqs, contents = [], []
    for i, lead_in in enumerate((0, 40, 90, 20)):
        length = n_frames - 100 * i
        t = np.linspace(0, 1, length - lead_in) ** (1 + 0.3 * (i - 1.5) / 1.5)  # a tempo of its own
        tau = np.concatenate([np.zeros(lead_in), t])
        seqs.append(np.exp(-(((tau[:, None] - centres) / 0.05) ** 2)) + 0.05 * rng.normal(size=(length, 8)))
        contents.append(tau)
    return seqs, contents


def content_spread(frame_maps, contents) -> float:
    """Mean over timeline steps of |content time clip i shows - clip 0's|, in clip 0's frames."""
    shown = np.stack([np.interp(m, np.arange(len(c)), c) for m, c in zip(frame_maps, contents)])
    return float(np.abs(shown[1:] - shown[0]).mean() * (len(contents[0]) - 1))


def test_coarse_to_fine_refinement_keeps_the_accuracy_of_every_frame_rounds():
    seqs, contents = slow_copies()
    masks = [np.ones(len(s), bool) for s in seqs]
    straight = [np.linspace(0, len(s) - 1, 750) for s in seqs]  # a smooth first guess that misses the lead-ins
    full = refine_frame_maps(seqs, masks, straight, band=0.2, coarse_length=None)
    coarse = refine_frame_maps(seqs, masks, straight, band=0.2, coarse_length=100)  # blocks of 9 frames
    before, after_full, after_coarse = (content_spread(m, contents) for m in (straight, full, coarse))
    assert after_full < 0.1 * before, (before, after_full)
    assert after_coarse <= after_full + 0.5, (after_full, after_coarse)
    for m, s in zip(coarse, seqs):
        assert m.shape == (750,) and np.all(np.diff(m) >= 0) and m[0] >= 0 and m[-1] <= len(s) - 1
    short = refine_frame_maps(seqs, masks, straight, band=0.2, coarse_length=900)  # nothing longer: every frame
    for a, b in zip(short, full):
        np.testing.assert_array_equal(a, b)


def test_coarse_to_fine_refinement_with_missing_frames():
    seqs, contents = slow_copies(600)
    masks = [np.ones(len(s), bool) for s in seqs]
    masks[1][100:160] = False  # no detection for 60 frames
    seqs[1][~masks[1]] = np.nan
    straight = [np.linspace(0, len(s) - 1, 500) for s in seqs]
    refined = refine_frame_maps(seqs, masks, straight, band=0.2, coarse_length=64)
    assert all(np.isfinite(m).all() and np.all(np.diff(m) >= 0) for m in refined)
    assert content_spread(refined, contents) < 0.2 * content_spread(straight, contents)


def test_coarse_to_fine_keeps_the_ends_of_a_clip_much_longer_than_the_timeline():
    """A clip of 2048 frames on a 64-step timeline (32 frames a step): the coarse result is read back at each block's
    own centre, the ends are pinned, and the fine band grows with the frames per step, so the ends stay right
    (measured: 4.7 frames off at worst, every-frame DBA 1.4, with the maps' open ends; 8.5 and 9.0 before them; the
    first version, which took every block as full and held the ends flat, was 58.5 off)."""
    def motion(n):
        tau = np.linspace(0, 1, n)
        return np.stack([np.sin(6 * tau), np.cos(9 * tau), tau], 1)

    lengths = (64, 64, 2048)
    seqs = [motion(n) for n in lengths]
    masks = [np.ones(n, bool) for n in lengths]
    exact = [np.linspace(0, n - 1, 64) for n in lengths]
    full = refine_frame_maps(seqs, masks, exact, coarse_length=None)
    coarse = refine_frame_maps(seqs, masks, exact, coarse_length=256)  # blocks of 8 frames
    assert np.abs(full[2] - exact[2]).max() <= np.abs(coarse[2] - exact[2]).max() <= 8.0  # a quarter of a step


@pytest.mark.parametrize("bad", [0, 1, -5, 2.5])
def test_coarse_length_is_checked(bad):
    seqs = [np.zeros((10, 2)), np.zeros((12, 2))]
    with pytest.raises(ConfigError, match="coarse_length: must be an int >= 2 or None"):
        refine_frame_maps(seqs, [np.ones(10, bool), np.ones(12, bool)], [np.arange(10.0), np.linspace(0, 11, 10)],
                          coarse_length=bad)

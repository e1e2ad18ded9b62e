"""The multi-performer protocol: its scoring on constructed maps, and a small real RepCount case."""


import numpy as np
import pytest

from mvsync.align import create_aligner
from mvsync.datasets.repcount import landmark_features, load_repcount
from mvsync.errors import InputError
from mvsync.evaluate.performer_sets import repcount_sets
from mvsync.evaluate.performers import (event_spread, linear_maps, oracle_maps, oracle_spread, random_retiming,
                                        retime_cut)

from ..data_paths import REPCOUNT

needs_repcount = pytest.mark.skipif(not (REPCOUNT / "annotations.csv").is_file(),
                                    reason=f"{REPCOUNT} is not here (set MVSYNC_DATA)")


def test_oracle_maps_score_zero_and_no_warping_scores_its_offsets():
    rng = np.random.default_rng(0)
    lengths = [100, 140, 90, 120]
    events = np.array([np.sort(rng.uniform(5, n - 5, size=4)) for n in lengths])
    # 0 up to the timeline's sampling (the maps are read at whole steps)
    assert np.allclose(event_spread(oracle_maps(events, lengths), events), 0.0, atol=0.3)
    # No warping: event k of clip i lands at events[i, k] / (L_i - 1) * (T - 1); the score is the mean absolute
    # deviation of those steps from their median, in % of T (computed here by hand).
    steps = int(np.median(lengths))
    placed = events / (np.array(lengths)[:, None] - 1) * (steps - 1)
    expected = 100 * np.abs(placed - np.median(placed, axis=0)).mean(axis=0) / steps
    assert np.allclose(event_spread(linear_maps(lengths), events), expected, atol=1e-6)
    assert (expected > 1).all()  # the check is not vacuous


def test_spread_ignores_a_moment_a_clip_never_reaches():
    maps = [np.linspace(0, 49, 50), np.linspace(0, 49, 50), np.full(50, np.nan)]
    events = np.array([[10.0], [12.0], [10.0]])
    assert event_spread(maps, events)[0] == pytest.approx(100 * 1.0 / 50)  # |10 - 11|, |12 - 11|


def test_leave_one_out_oracle_is_exact_for_linear_retimings():
    base = np.array([10.0, 30.0, 50.0, 70.0])
    events = np.stack([base, base * 1.5, base * 0.8])
    lengths = [100, 150, 80]
    assert np.allclose(oracle_spread(events, lengths), 0.0, atol=1e-9)
    assert np.isnan(oracle_spread(events[:, :2], lengths)).all()  # fewer than 3 moments: no oracle


def test_random_retiming_moves_the_events_with_the_frames():
    values = np.arange(200, dtype=float)[:, None]  # the value is the source frame
    content = random_retiming(200, np.random.default_rng(3))
    out, valid, moved = retime_cut(values, np.ones(200, bool), np.array([50.0, 120.0]), content)
    assert len(out) != 200 and valid.all()
    for source_frame, frame in zip([50, 120], moved):
        assert abs(out[int(round(frame)), 0] - source_frame) <= 1.0
    assert content[0] == 0 and content[-1] == 199
    tempo = np.diff(content)[(np.diff(content) > 0)]
    assert 0.5 < tempo.min() and tempo.max() < 1.5  # tempo 0.6-1.4x, holds apart


def test_repcount_loader_refuses_a_missing_pose_file(tmp_path):
    (tmp_path / "poses").mkdir()
    (tmp_path / "annotations.csv").write_text("action,video,count,boundaries\nsquat,gone,1,3 9\n")
    with pytest.raises(InputError, match="gone.npy"):
        load_repcount(tmp_path)


def test_landmark_features_are_hip_centred_in_torso_units():
    landmarks = np.zeros((2, 33, 3))
    landmarks[:, 11:13, 1] = 0.4  # shoulders 0.2 above the hips (y grows down)
    landmarks[:, 23:25, 1] = 0.6
    values, valid = landmark_features(landmarks, np.array([True, False]))
    coords = values[:, :132].reshape(2, 33, 4)
    assert coords[0, 11, 1] == pytest.approx(-1.0) and coords[0, 23, 1] == pytest.approx(0.0)
    assert valid.tolist() == [True, False]


@needs_repcount
def test_real_repcount_consensus_beats_dtw_and_is_scored():
    """Two real exercises, retimed: the default places the annotated boundaries closer than plain dtw
    (RepCount, seed 0: pull_up 2.05 against 3.66, jump_jack 3.04 against 3.87 % of the timeline)."""
    sets = repcount_sets(REPCOUNT, seed=0)
    for group in ("pull_up", "jump_jack"):
        cuts = sets[group]
        events = np.array([c.events for c in cuts])
        spreads = {}
        for method in ("consensus", "dtw"):
            maps = create_aligner(method).fit([c.values for c in cuts], [c.valid for c in cuts]).frame_maps_
            spreads[method] = float(event_spread(maps, events).mean())
        linear = float(event_spread(linear_maps([len(c.values) for c in cuts]), events).mean())
        assert spreads["consensus"] < spreads["dtw"] and spreads["consensus"] < linear, (group, spreads, linear)

"""Metrics on tiny arrays whose answers are worked out by hand in the comments."""

import numpy as np
import pytest

from mvsync.errors import ConfigError, InputError
from mvsync.evaluate.metrics import cycle_consistency, kendalls_tau, retrieval_ap
from mvsync.evaluate.metrics_events import key_event_sync_error, timeline_position
from mvsync.evaluate.metrics_phase import phase_classification, phase_progression, progression_targets
from mvsync.result import SyncResult, VideoTrack


def col(*values):
    """A (L, 1) embedding from scalars."""
    return np.array(values, dtype=float)[:, None]


# ---------------------------------------------------------------- Kendall's tau

def test_tau_identity_and_reversal():
    a = col(0, 1, 2)
    # a + 0.1: every frame's nearest neighbour is the same index -> tau 1 both ways
    assert kendalls_tau([a, a + 0.1]).tau == pytest.approx(1.0)
    # reversed: frame 0 (value 0) matches index 2, ... nn = [2, 1, 0] -> tau -1 both ways
    assert kendalls_tau([a, a[::-1]]).tau == pytest.approx(-1.0)


def test_tau_partial_order():
    x, y = col(0, 1, 2, 3), col(0, 3, 1, 2)
    # x -> y: 0->0, 1->2, 2->3, 3->1: nn = [0, 2, 3, 1]
    #   pairs (0,1) C (0,2) C (0,3) C (1,2) C (1,3) D (2,3) D: tau = (4 - 2) / 6 = 1/3
    # y -> x: 0->0, 3->3, 1->1, 2->2: nn = [0, 3, 1, 2]
    #   pairs (0,1) C (0,2) C (0,3) C (1,2) D (1,3) D (2,3) C: tau = 1/3
    result = kendalls_tau([x, y])
    assert result.tau == pytest.approx(1 / 3)
    assert (result.n_pairs, result.n_nan_pairs) == (2, 0)
    assert result.pair_taus[0, 1] == pytest.approx(1 / 3) and np.isnan(result.pair_taus[0, 0])


def test_tau_counts_nan_pairs_instead_of_hiding_them():
    a, c = col(0, 1, 2), col(5, 5)
    # every pair with c has a constant nearest neighbour (all ties -> index 0, or all -> index 2): NaN
    # pairs: (a,b)=(b,a)=1; (a,c) (c,a) (b,c) (c,b) NaN -> mean over 2 defined pairs
    result = kendalls_tau([a, a + 0.1, c])
    assert result.tau == pytest.approx(1.0)
    assert (result.n_pairs, result.n_nan_pairs) == (6, 4)


def test_tau_all_pairs_nan_is_reported():
    result = kendalls_tau([col(5, 5), col(1, 1)])
    assert np.isnan(result.tau) and result.n_nan_pairs == result.n_pairs == 2


def test_tau_strides_queries_and_candidates():
    x, y = col(0, 1, 2, 3, 4, 5), col(0, 4, 2, 2, 4, 0)
    # stride 2: x -> [0, 2, 4], y -> [0, 2, 4]: identity both ways -> tau 1
    # (with unstrided candidates x's 4 would match y[1] = 4: nn = [0, 2, 1], tau 1/3)
    assert kendalls_tau([x, y], stride=2).tau == pytest.approx(1.0)


@pytest.mark.parametrize("bad, error", [
    ([np.zeros((3, 1))], InputError),  # one video
    ([np.zeros((3, 1)), np.zeros((3, 2))], InputError),  # widths differ
    ([np.zeros(3), np.zeros(3)], InputError),  # 1-D
    ([np.zeros((3, 1)), np.full((3, 1), np.nan)], InputError),
])
def test_tau_rejects_bad_embeddings(bad, error):
    with pytest.raises(error):
        kendalls_tau(bad)


def test_tau_rejects_a_stride_that_leaves_one_frame():
    with pytest.raises(ConfigError, match="stride: 3 keeps 1 frame"):
        kendalls_tau([col(0, 1, 2), col(0, 1, 2, 3)], stride=3)


# ---------------------------------------------------------------- cycle consistency

def test_cycle_consistency_within_one_frame():
    u, v = col(0, 1, 2, 3), col(0, 0, 3, 3)
    # U->V->U: u0->v0->u0 | u1->v0 (tie, first)->u0 (off by 1) | u2->v2->u3 (off by 1) | u3->v2->u3
    # V->U->V: v0->u0->v0 | v1->u0->v0 (off by 1) | v2->u3->v2 | v3->u3->v2 (off by 1)
    assert cycle_consistency([u, v]) == pytest.approx(1.0)
    # exact return: 2 of 4 each way
    assert cycle_consistency([u, v], tolerance=0) == pytest.approx(0.5)


def test_cycle_consistency_counts_a_long_jump():
    u, v = col(0, 1, 2, 3, 4), col(4, 0)
    # U->V->U: u0->v1->u0 ok, u1->v1->u0 ok (1), u2->v0 (tie 4 = 4, first)->u4 (off by 2), u3, u4 ok: 4/5
    # V->U->V: v0->u4->v0, v1->u0->v1: 2/2
    assert cycle_consistency([u, v]) == pytest.approx((0.8 + 1.0) / 2)


# ---------------------------------------------------------------- retrieval

def _three_videos():
    embs = [col(0, 10), col(1, 11), col(2, 12)]
    labels = [np.array([0, 1]), np.array([0, 1]), np.array([1, 1])]
    return embs, labels


def test_retrieval_precision_at_k():
    embs, labels = _three_videos()
    # query (video, value, label): retrieved labels, nearest first (ties: pooled order)
    # v0 0  l0: 1(l0) 2(l1) 11(l1)  -> @1 1, @2 1/2, @3 1/3
    # v0 10 l1: 11 12 2 (all l1)   -> 1, 1, 1
    # v1 1  l0: 0(l0) 2(l1) 10(l1)  -> 1, 1/2, 1/3   (0 and 2 tie at distance 1: video 0 first)
    # v1 11 l1: 10 12 2 (all l1)   -> 1, 1, 1
    # v2 2  l1: 1(l0) 0(l0) 10(l1)  -> 0, 0, 1/3
    # v2 12 l1: 11(l1) 10(l1) 1(l0) -> 1, 1, 2/3
    result = retrieval_ap(embs, labels, ks=(1, 2, 3))
    assert result == pytest.approx({1: 5 / 6, 2: 4 / 6, 3: 11 / 18})


def test_retrieval_stride_only_thins_the_queries():
    embs, labels = _three_videos()
    # queries: first frame of each video -> @1: 1, 1, 0
    assert retrieval_ap(embs, labels, ks=(1,), stride=2) == pytest.approx({1: 2 / 3})


def test_retrieval_rejects_bad_inputs():
    embs, labels = _three_videos()
    with pytest.raises(ConfigError, match="K=5 exceeds the 4 frames"):
        retrieval_ap(embs, labels, ks=(5,))
    with pytest.raises(InputError, match=r"labels_list\[1\]: shape \(3,\)"):
        retrieval_ap(embs, [labels[0], np.array([0, 1, 1]), labels[2]], ks=(1,))
    with pytest.raises(InputError, match="2 label sequences for 3 videos"):
        retrieval_ap(embs, labels[:2], ks=(1,))


# ---------------------------------------------------------------- phase classification

def test_phase_classification_fractions_use_the_first_videos():
    t0, y0 = col(0, 1, 10, 11), np.array([0, 0, 1, 1])
    t1, y1 = col(3.5, 4.5), np.array([1, 1])
    val, yv = col(0.5, 3, 6, 9), np.array([0, 1, 1, 1])
    # fraction 0.5 of 2 videos -> t0 only: max-margin threshold (1 + 10) / 2 = 5.5 -> preds 0 0 1 1: 3/4
    # fraction 1.0 -> t0 + t1: threshold (1 + 3.5) / 2 = 2.25 -> preds 0 1 1 1: 4/4
    result = phase_classification([t0, t1], [y0, y1], [val], [yv], fractions=(0.5, 1.0))
    assert result == pytest.approx({0.5: 0.75, 1.0: 1.0})


def test_phase_classification_needs_two_classes():
    with pytest.raises(InputError, match="first 1 train video"):
        phase_classification([col(3.5, 4.5), col(0, 10)], [np.array([1, 1]), np.array([0, 1])],
                             [col(0)], [np.array([0])], fractions=(0.5,))


@pytest.mark.parametrize("fractions", [(0.0,), (1.5,), ()])
def test_phase_classification_rejects_bad_fractions(fractions):
    with pytest.raises(ConfigError, match="fractions"):
        phase_classification([col(0, 1)], [np.array([0, 1])], [col(0)], [np.array([0])], fractions=fractions)


# ---------------------------------------------------------------- phase progression

def test_progression_targets_follow_tcc():
    # labels 0 1 1 2, L = 4. Event 0: last frame of phase 0 is 0 -> (t - 0) / 4
    assert progression_targets([np.array([0, 1, 1, 2])], 0).tolist() == [0, 0.25, 0.5, 0.75]
    # event 1: last frame of phase 1 is 2 -> (t - 2) / 4
    assert progression_targets([np.array([0, 1, 1, 2])], 1).tolist() == [-0.5, -0.25, 0, 0.25]
    # phase 1 missing: event 1 sits on the last frame with label <= 1 (frame 1)
    assert progression_targets([np.array([0, 0, 2, 2])], 1).tolist() == [-0.25, 0, 0.25, 0.5]
    # no frame <= 0: the event is just before the video (tau = -1) -> (t + 1) / 2
    assert progression_targets([np.array([2, 2])], 0).tolist() == [0.5, 1.0]


def test_phase_progression_r2_by_hand():
    train, ytrain = [col(0, 1, 2, 3)], [np.array([0, 0, 1, 1])]
    # train targets (t - 1) / 4 = -0.25 0 0.25 0.5: fitted exactly by 0.25 x - 0.25
    val, yval = [col(0, 1, 2)], [np.array([0, 1, 1])]
    # val targets (t - 0) / 3 = 0 1/3 2/3; predictions -0.25 0 0.25
    # SS_res = (1/4)^2 + (1/3)^2 + (5/12)^2 = 50/144; SS_tot = 2 * (1/3)^2 = 32/144
    # R^2 = 1 - 50/32 = -0.5625
    result = phase_progression(train, ytrain, val, yval)
    assert result.r2 == pytest.approx(-0.5625)
    assert result.per_event.shape == (1,) and result.n_events == 1


def test_phase_progression_perfect_with_two_events():
    embs, labels = [col(0, 1, 2, 3, 4, 5)], [np.array([0, 0, 1, 1, 2, 2])]
    # both targets are (t - tau_k) / 6, linear in the embedding t: R^2 = 1 for each event
    result = phase_progression(embs, labels, embs, labels)
    assert result.r2 == pytest.approx(1.0) and result.per_event == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("labels, match", [
    ([np.array([0, 1, 0, 1])], "decrease at frame 2"),
    ([np.array([0, 0, 0, 0])], "at least 2 phases"),
    ([np.array([0, 1, 1])], r"shape \(3,\), expected \(4,\)"),
    ([np.array([-1, 0, 1, 1])], ">= 0"),
])
def test_phase_progression_rejects_bad_labels(labels, match):
    with pytest.raises(InputError, match=match):
        phase_progression([col(0, 1, 2, 3)], labels, [col(0, 1)], [np.array([0, 0])])


def test_phase_metrics_reject_mismatched_widths():
    with pytest.raises(InputError, match="val_embs: 2 dims"):
        phase_progression([col(0, 1)], [np.array([0, 1])], [np.zeros((2, 2))], [np.array([0, 1])])


# ---------------------------------------------------------------- key-event sync error

def _track(source_frame, num_frames):
    frames = np.array(source_frame, dtype=float)
    return VideoTrack(f"v{num_frames}.mp4", 10.0, num_frames, frames / 10.0, frames)


def _result(*tracks):
    return SyncResult("dtw", "pose", 10.0, 10, list(tracks))


def _three_tracks():
    nan = np.nan
    return (
        _track(np.arange(10), 10),  # v0: identity
        _track([nan, nan, 0, 1, 2, 3, 4, 5, 6, 7], 12),  # v1: starts at step 2 (frames 8..11 never shown)
        _track([0, 0, 0, 2, 4, 6, 8, 9, 9, 9], 10),  # v2: holds frame 0 over steps 0..2, then 2 frames a step
    )


def test_timeline_position_inverts_the_frame_map():
    v0, v1, v2 = _three_tracks()
    assert timeline_position(v1.source_frame, 3.0) == 5.0
    assert timeline_position(v2.source_frame, 0.0) == 1.0  # middle of the held stretch 0..2
    assert timeline_position(v2.source_frame, 3.0) == 3.5  # between step 3 (frame 2) and 4 (frame 4)
    assert timeline_position(v2.source_frame, 8.5) == 6.5  # frame 8 at step 6, frame 9 first at step 7
    assert timeline_position(v2.source_frame, 9.0) == 8.0  # held over steps 7..9
    assert np.isnan(timeline_position(v1.source_frame, 10.0))  # never shown


def test_key_event_sync_error_by_hand():
    # events (source frames) -> timeline steps
    #   v0 [1, 5] -> [1, 5]; v1 [0, 3] -> [2, 5]; v2 [0, 3] -> [1 (held 0..2), 3.5]
    # event 0: positions 1 2 1, median 1, |dev| 0 1 0 -> mean 1/3, max 1
    # event 1: positions 5 5 3.5, median 5, |dev| 0 0 1.5 -> mean 0.5, max 1.5
    # overall: |dev| 0 1 0 0 0 1.5 -> mean 2.5/6, max 1.5; timeline 10 frames -> % = 10 x
    err = key_event_sync_error(_result(*_three_tracks()), [[1, 5], [0, 3], [0, 3]])
    assert err.positions.tolist() == [[1, 5], [2, 5], [1, 3.5]]
    assert err.median.tolist() == [1, 5]
    assert err.mean_abs_dev == pytest.approx([1 / 3, 0.5])
    assert err.max_abs_dev.tolist() == [1, 1.5]
    assert err.overall_mean_abs_dev == pytest.approx(2.5 / 6)
    assert err.overall_max_abs_dev == 1.5
    assert err.overall_mean_pct == pytest.approx(25 / 6) and err.overall_max_pct == pytest.approx(15)
    assert err.overall_mean_s == pytest.approx(2.5 / 60)
    assert err.n_videos.tolist() == [3, 3] and err.n_outside == 0


def test_key_event_sync_error_missing_and_outside_events():
    # v2's event 1 is not annotated (None); v1's event 1 (frame 10) exists but is never shown on the timeline
    # event 1: positions 5 (v0) only -> fewer than 2 videos: NaN per-event values
    # event 0: as above -> overall |dev| 0 1 0 -> mean 1/3
    err = key_event_sync_error(_result(*_three_tracks()), [[1, 5], [0, 10], [0, None]])
    assert err.n_outside == 1 and err.n_videos.tolist() == [3, 1]
    assert np.isnan(err.mean_abs_dev[1]) and err.overall_mean_abs_dev == pytest.approx(1 / 3)


@pytest.mark.parametrize("events, match", [
    ([[1], [0]], "2 event lists for 3"),
    ([[1, 5], [0], [0, 3]], "same number"),
    ([[1], [0], [12]], r"events\[2\]\[0\]: frame 12 outside"),
    ([[None], [None], [np.nan]], "no key event lands"),
])
def test_key_event_sync_error_rejects_bad_events(events, match):
    with pytest.raises(InputError, match=match):
        key_event_sync_error(_result(*_three_tracks()), events)


def test_key_event_sync_error_rejects_a_non_monotone_track():
    with pytest.raises(InputError, match="not monotone"):
        key_event_sync_error(_result(_track(np.arange(10), 10), _track(np.arange(10)[::-1], 10)), [[1], [2]])

"""The consensus aligner: exact on retimed copies, its per-clip evidence, its options, and the default method."""

import numpy as np
import pytest

from mvsync.align.consensus import ConsensusAligner, stretch
from mvsync.errors import ConfigError
from mvsync.evaluate.retiming import VARIED_RETIMINGS, retime_values
from mvsync.sync import default_method, resolve_config, SyncConfig


def _copies():
    rng = np.random.default_rng(0)
    source = np.cumsum(rng.normal(size=(150, 6)), axis=0)
    return [retime_values(source, r) for r in VARIED_RETIMINGS]  # (values, content times) each


def test_recovers_known_retimings_within_a_frame():
    copies = _copies()
    aligner = ConsensusAligner().fit([v for v, _ in copies])
    shown = np.array([np.interp(m, np.arange(len(c)), c) for m, (_, c) in zip(aligner.frame_maps_, copies)])
    errors = np.abs(shown - shown[0])[1:]  # source frames shown against the first copy's, at every step
    inside = (shown[0] > 2) & (shown[0] < 147)  # holds at the ends show one frame over many steps
    assert np.median(errors[:, inside]) <= 0.5 and np.percentile(errors[:, inside], 95) <= 2.0
    assert aligner.summary_["warp_pct"][3] > 1  # the copy with a 30-frame lead-in was warped, and it says so
    assert max(aligner.summary_["disagreement_pct"]) < 1.0  # identical content: the references agree


def test_unrelated_noise_is_not_warped_far():
    rng = np.random.default_rng(1)
    clips = [rng.normal(size=(int(n), 4)) for n in rng.integers(80, 120, size=6)]
    aligner = ConsensusAligner().fit(clips)
    assert len(aligner.summary_["warp_pct"]) == 6 and aligner.reference_ == aligner.central_[0]
    for m, clip in zip(aligner.frame_maps_, clips):
        assert 0 <= m[0] <= m[-1] <= len(clip) - 1 and (np.diff(m) >= 0).all()


def test_stretch_keeps_the_ends():
    values = np.arange(10.0)[:, None]
    assert stretch(values, 19)[:, 0].tolist() == pytest.approx(np.linspace(0, 9, 19).tolist())


@pytest.mark.parametrize("option", [{"references": 0}, {"references": True}, {"smooth": -1}, {"smooth": "1"},
                                    {"length": 1}])
def test_bad_options_are_refused(option):
    with pytest.raises(ConfigError, match=next(iter(option))):
        ConsensusAligner(**option).check_params()


def test_default_method_is_consensus_dtw_with_a_reference_tpl_with_a_model():
    assert default_method(None) == "consensus"
    assert default_method(None, 1) == "dtw"
    assert resolve_config(SyncConfig(reference=0)).method == "dtw"
    assert resolve_config(SyncConfig()).method == "consensus"


def test_a_retimed_copy_keeps_plain_dtws_map_over_its_own_frames():
    """A copy that matches the central clip frame for frame is mapped by DTW over its own frames, not over frames
    stretched to the timeline's length first (a copy longer than the timeline would lose up to a frame there):
    its map is plain ``dtw``'s with the same reference."""
    from mvsync.align.dtw import DTWAligner

    copies = _copies()
    seqs = [v for v, _ in copies]
    aligner = ConsensusAligner().fit(seqs)
    plain = DTWAligner(reference=aligner.reference_).fit(seqs)
    copies_close = [i for i, r in enumerate(aligner.summary_["evidence_ratio"]) if r < 0.25 and i != aligner.reference_]
    assert len(copies_close) >= 3 and any(len(seqs[i]) > len(seqs[aligner.reference_]) for i in copies_close)
    for i in copies_close:
        np.testing.assert_allclose(aligner.frame_maps_[i], plain.frame_maps_[i], atol=1e-6)

"""Known truth on real multi-performer motion: one real Penn Action squat retimed into copies with known monotone
warps (tempo 0.7-1.4x, lead-ins, pauses, tails, speed changes, different lengths). TPL, fitted at test time or
trained, must recover the warps: the derived key event lands at the same timeline moment in every copy."""

from dataclasses import replace

import numpy as np
import pytest

from mvsync.align.tpl_aligner import TPLAligner
from mvsync.datasets.collection import load_collection
from mvsync.evaluate.protocol import aligner_embedder, evaluate, identity_embedder, model_embedder, raw_embedder
from mvsync.evaluate.metrics_events import timeline_position
from mvsync.evaluate.retiming import VARIED_RETIMINGS, retime_values
from mvsync.train import train

from ..data_paths import PENN

pytestmark = pytest.mark.skipif(not (PENN / "labels").is_dir(), reason=f"{PENN} is not here (set MVSYNC_DATA)")



@pytest.fixture(scope="module")
def copies():
    return retimed_copies()


def retimed_copies():
    """The source squat's copies as labelled sequences, each with its derived event at its own frame."""
    source = load_collection(PENN, split="test", action="squat", max_per_action=1)[0]
    f = source.features
    out = []
    for k, retiming in enumerate(VARIED_RETIMINGS):
        values, content = retime_values(np.where(f.valid[:, None], f.values, np.nan), retiming)
        features = replace(f, values=np.nan_to_num(values).astype(np.float32), valid=np.isfinite(values).all(1),
                           times_s=np.arange(len(values)) / f.fps)
        events = {name: timeline_position(content, frame) for name, frame in source.events.items()}  # own frame
        out.append(replace(source, name=f"copy{k}", features=features, events=events))
    assert len({c.features.num_frames for c in out}) == len(out) and source.events
    return out


def event_error(copies, embedder) -> float:
    return evaluate(copies, embedder=embedder, method="m").macro["event_err_frames"]


def test_retimed_copies_are_out_of_sync_without_warping(copies):
    assert event_error(copies, identity_embedder()) > 3.0
    assert event_error(copies, raw_embedder(copies)) < 0.5  # the copies hold the same content: DTW finds it


def test_test_time_tpl_recovers_known_warps(copies):
    unrefined = event_error(copies, aligner_embedder(copies, lambda: TPLAligner(refine=0)))
    assert unrefined <= 2.0
    assert event_error(copies, aligner_embedder(copies, lambda: TPLAligner())) <= min(unrefined, 1.0)


def test_trained_tpl_recovers_known_warps(copies):
    model = train(copies, algo="tpl", epochs=300, lr=1e-3, widths=(32, 16), loc_filters=8, loc_depth=3,
                  n_recurrences=1)
    assert event_error(copies, model_embedder(model)) <= 2.0


def test_train_warns_when_warps_spread_events_more_than_no_warping(copies, caplog):
    # Events placed at the same fraction of every copy: no warping puts them together, so warps that move can only
    # spread them; train must say so.
    same_place = [replace(c, events={"fraction_0.4": 0.4 * (c.features.num_frames - 1)}) for c in copies]
    with caplog.at_level("WARNING", logger="mvsync.train"):
        train(same_place, algo="tpl", epochs=60, lr=1e-2, widths=(32, 16), loc_filters=8, loc_depth=3,
              n_recurrences=1)
    assert "worse than doing nothing" in caplog.text


def test_within_clip_share_and_event_spread():
    from mvsync.train import within_clip_share

    levels = np.array([[0.0, 0.1, 0.0], [5.0, 5.1, 5.0]])  # two clips that differ by their level only
    assert within_clip_share(levels) < 0.01
    assert within_clip_share(levels - levels.mean(1, keepdims=True)) == pytest.approx(1.0)


class _GivenWarps:
    """An aligner whose inverse warps are given: ``common(k, u)`` is clip k's common time at its normalised own time
    ``u`` (what :func:`mvsync.train.event_spread` reads through ``warps(X, inverse=True)``)."""

    def __init__(self, common):
        self.common = common

    def warps(self, X, inverse=False):
        assert inverse
        out = np.full((len(X), max(x.shape[1] for x in X)), np.nan)
        for k, x in enumerate(X):
            out[k, : x.shape[1]] = self.common(k, np.linspace(0.0, 1.0, x.shape[1]))
        return out


def test_event_spread_scores_a_warp_shared_by_every_clip_as_no_warping(copies):
    """A warp common to all clips squeezes the timeline around the event (slope 0.1 at mid-clip) but aligns
    nothing: it must not look like alignment. The copies' true warps must."""
    from mvsync.train import event_spread

    X = [np.zeros((1, c.features.num_frames)) for c in copies]
    squeeze = _GivenWarps(lambda k, u: u + 0.9 * np.sin(2 * np.pi * u) / (2 * np.pi))  # monotone, slope >= 0.1
    learned, identity = event_spread(squeeze, X, copies)
    assert identity > 0.02 and learned == pytest.approx(identity, rel=0.05)

    source = load_collection(PENN, split="test", action="squat", max_per_action=1)[0]
    contents = [retime_values(source.features.values, r)[1] for r in VARIED_RETIMINGS]  # own frame -> source frame

    def true_common(k, u):
        content = contents[k]
        known = np.flatnonzero(np.isfinite(content))
        source_frame = np.interp(np.arange(len(content)), known, content[known])  # held at the ends
        return np.interp(u * (len(content) - 1), np.arange(len(content)), source_frame) / (source.features.num_frames - 1)

    learned, identity = event_spread(_GivenWarps(true_common), X, copies)
    assert learned < 0.2 * identity


def test_refinement_is_kept_on_copies_and_dropped_across_performers(copies):
    # The prototype refinement (DTW to the mean features) sharpens copies of one take, and drifts across different
    # performers filmed from different places, whose mean features explain nothing: its maps are kept only where
    # the prototype explains the clips afterwards.
    def fit(clips, **options):
        return TPLAligner(seed=0, **options).fit([c.features.values for c in clips], [c.features.valid for c in clips])

    same = fit(copies)
    assert same.refined_ and same.refined_residual_ < 0.3, same.refined_residual_
    performers = load_collection(PENN, split="test", action="squat", max_per_action=10)
    differ, plain = fit(performers), fit(performers, refine=0)
    assert not differ.refined_ and differ.refined_residual_ > 0.6, differ.refined_residual_
    for kept, unrefined in zip(differ.frame_maps_, plain.frame_maps_):
        np.testing.assert_array_equal(kept, unrefined)

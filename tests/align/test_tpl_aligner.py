"""The "tpl" video aligner: registration, the VideoAligner contract, frame-map direction, checkpoints, refinement."""

import numpy as np
import pytest
import torch

import mvsync.align.tpl_aligner  # noqa: F401  (registration; the lead adds it to align/__init__)
from mvsync import sync
from mvsync.align.base import ALIGNERS, create_aligner
from mvsync.align.engine.cpab import CPAB
from mvsync.align.engine.estimators import TPL
from mvsync.align.prototype_refine import refine_frame_maps
from mvsync.align.standardizer import standardize_set
from mvsync.align.tpl_aligner import TPLAligner
from mvsync.errors import ConfigError, InputError, NotFittedError
from mvsync.evaluate import content_error

QUICK = dict(epochs=3, loc_filters=4, loc_depth=3, widths=(8, 4))


def bumps(tau: np.ndarray, n_channels: int = 6) -> np.ndarray:
    """Features ``(L, C)`` of an "action" at content times ``tau``: one Gaussian bump per channel."""
    centres = np.linspace(0.2, 0.8, n_channels)
    return np.exp(-(((tau[:, None] - centres[None, :]) / 0.08) ** 2))


def warped_clips(n=6, seed=0, variance=0.01):
    """Clips of the same action at different paces: clip i shows content time T_i(t) at its own time t."""
    cpab = CPAB(16)
    theta = cpab.sample_theta(n, variance=variance, generator=torch.Generator().manual_seed(seed))
    lengths = np.random.default_rng(seed).integers(50, 80, size=n)
    content = [cpab.transform_grid(theta[i : i + 1], torch.linspace(0, 1, int(length)))[0].numpy()
               for i, length in enumerate(lengths)]
    return [bumps(c.astype(np.float64)) for c in content], cpab, theta


def content_spread(frame_maps, lengths, cpab, theta) -> float:
    """Mean over timeline steps of the spread across clips of the content time they show."""
    times = []
    for i, (fm, n) in enumerate(zip(frame_maps, lengths)):
        t = torch.tensor(fm / (n - 1), dtype=torch.float32)[None]
        times.append(cpab.transform_grid(theta[i : i + 1], t)[0].numpy())
    return float(np.std(np.stack(times), axis=0).mean())


def test_registered_and_built_by_name():
    assert "tpl" in ALIGNERS
    aligner = create_aligner("tpl", epochs=5, progress=False)
    assert isinstance(aligner, TPLAligner) and aligner.epochs == 5
    with pytest.raises(NotFittedError):
        aligner.check_fitted()


def test_contract_lengths_monotone_and_nan_where_no_content():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 5)).cumsum(0) for n in (40, 52, 47)]
    masks = [np.ones(len(s), bool) for s in seqs]
    masks[1][:6] = False  # no person detected in the first frames
    seqs[1][:6] = np.nan
    aligner = TPLAligner(**QUICK).fit(seqs, masks)
    assert aligner.reference_ is None and aligner.timeline_length_ == 47
    for fm, seq, mask in zip(aligner.frame_maps_, seqs, masks):
        assert fm.shape == (47,)
        finite = fm[np.isfinite(fm)]
        assert np.all(np.diff(finite) >= 0) and finite.min() >= 0 and finite.max() <= len(seq) - 1
        assert np.all(mask[np.rint(finite).astype(int)])
    assert np.isnan(aligner.frame_maps_[1]).any() and not np.isnan(aligner.frame_maps_[0]).any()
    assert aligner.frame_maps_[0][0] == 0.0 and aligner.frame_maps_[0][-1] == pytest.approx(39.0)


def test_test_time_fitting_synchronises_clips_in_the_right_direction():
    seqs, cpab, theta = warped_clips()
    lengths = [len(s) for s in seqs]
    aligner = TPLAligner(seed=0).fit(seqs)
    fitted = content_spread(aligner.frame_maps_, lengths, cpab, theta)
    steps = np.linspace(0, 1, aligner.timeline_length_)
    unaligned = content_spread([steps * (n - 1) for n in lengths], lengths, cpab, theta)
    # The inverse grids (the wrong direction) must do worse than the forward ones.
    inv = aligner.estimator_.warps([s.T for s in seqs], n_points=aligner.timeline_length_, inverse=True)
    wrong = content_spread([g * (n - 1) for g, n in zip(inv, lengths)], lengths, cpab, theta)
    assert fitted < 0.5 * unaligned, (fitted, unaligned)
    assert fitted < 0.5 * wrong, (fitted, wrong)


def test_frame_maps_from_a_trained_checkpoint(tmp_path):
    seqs, _, _ = warped_clips(n=4, seed=1)
    est = TPL(**{**QUICK, "n_recurrences": 2}, seed=3).fit([s.T for s in seqs])
    est.save(tmp_path / "tpl.pt")
    aligner = TPLAligner(model=str(tmp_path / "tpl.pt")).fit(seqs)
    assert aligner.estimator_.get_params() == est.get_params()
    with pytest.raises(InputError, match="feature channels"):
        TPLAligner(model=str(tmp_path / "tpl.pt")).fit([np.zeros((30, 2)), np.ones((30, 2))])


def test_input_errors():
    with pytest.raises(InputError, match="at least 2"):
        TPLAligner(**QUICK).fit([np.zeros((30, 3))])
    bad = np.zeros((30, 3))
    bad[4, 1] = np.nan
    with pytest.raises(InputError, match="sequence 1"):
        TPLAligner(**QUICK).fit([np.zeros((30, 3)), bad])


def test_refine_0_gives_the_tpl_warps_unchanged():
    seqs, _, _ = warped_clips(n=4, seed=2)
    aligner = TPLAligner(**QUICK, refine=0, recenter=False).fit(seqs)
    lengths = [len(s) for s in seqs]
    X = [d.T for d in standardize_set(seqs, [np.ones(n, bool) for n in lengths])]
    grids = aligner.estimator_.warps(X, lengths, n_points=aligner.timeline_length_)  # (N, T)
    for fm, g, n in zip(aligner.frame_maps_, grids, lengths):
        np.testing.assert_array_equal(fm, np.maximum.accumulate(np.clip(g * (n - 1), 0, n - 1)))


def test_refinement_applies_to_a_checkpoint_too(tmp_path):
    seqs, _, _ = warped_clips(n=4, seed=1)
    TPL(**QUICK, seed=3).fit([s.T for s in seqs]).save(tmp_path / "tpl.pt")
    plain = TPLAligner(model=str(tmp_path / "tpl.pt"), refine=0).fit(seqs)
    refined = TPLAligner(model=str(tmp_path / "tpl.pt"), refine=3).fit(seqs)
    data = standardize_set(seqs, [np.ones(len(s), bool) for s in seqs])
    expected = refine_frame_maps(data, [np.ones(len(s), bool) for s in seqs], plain.frame_maps_, n_iter=3, band=0.2)
    for fm, want in zip(refined.frame_maps_, expected):
        np.testing.assert_array_equal(fm, want)
    assert any(not np.array_equal(a, b) for a, b in zip(refined.frame_maps_, plain.frame_maps_))


def test_refinement_keeps_nan_where_the_clip_has_no_content_and_maps_monotone():
    seqs, _, _ = warped_clips(n=3, seed=4)
    masks = [np.ones(len(s), bool) for s in seqs]
    masks[1][:8] = masks[1][30:34] = False  # no detection at the start and for a moment in the middle
    seqs[1][~masks[1]] = np.nan
    aligner = TPLAligner(**QUICK, refine=3).fit(seqs, masks)
    for fm, seq, mask in zip(aligner.frame_maps_, seqs, masks):
        finite = np.isfinite(fm)
        assert np.all(np.diff(fm[finite]) >= 0) and fm[finite].min() >= 0 and fm[finite].max() <= len(seq) - 1
        assert np.all(mask[np.rint(fm[finite]).astype(int)])  # every finite step shows a frame with content
    assert np.isnan(aligner.frame_maps_[1]).any() and np.isfinite(aligner.frame_maps_[0]).all()


def test_refinement_lowers_the_error_on_known_retimings_of_a_real_clip(retimed):
    """The smooth warps miss the frozen lead-ins and tempo changes by frames; banded DBA recovers them. Measured on
    these 4 clips (median / p95 / mean frames): 7 / 19 / 9.3 without refinement, 0 / 1 / 0.13 with it."""
    paths, contents = retimed
    errors = {}
    for refine in (0, 4):
        options = dict(refine=refine, seed=0)
        result = sync(paths, features="appearance", method="tpl", method_options=options)
        errors[refine] = content_error(result, contents)
        assert result.extra["aligner"]["refinement_kept"] is bool(refine)  # copies: the prototype explains them
        for track in result.videos:
            assert np.all(np.diff(track.source_frame) >= 0)
    assert np.median(errors[4]) <= 0.5 and np.percentile(errors[4], 95) <= 2.0
    assert errors[4].mean() < 0.1 * errors[0].mean(), (errors[0].mean(), errors[4].mean())


def test_refine_options_are_checked():
    seqs = [np.random.default_rng(0).normal(size=(30, 3)) for _ in range(2)]
    with pytest.raises(ConfigError, match="refine: must be an int >= 0"):
        TPLAligner(**QUICK, refine=-1).fit(seqs)
    with pytest.raises(ConfigError, match="refine_band: must be in"):
        TPLAligner(**QUICK, refine_band=0.0).fit(seqs)
    with pytest.raises(ConfigError, match="refine_below: must be a number >= 0"):
        TPLAligner(**QUICK, refine_below=-0.1).fit(seqs)
    with pytest.raises(ConfigError, match="refine_length: must be an int >= 2 or None"):
        TPLAligner(**QUICK, refine_length=1.5).fit(seqs)
    with pytest.raises(ConfigError, match="recenter: must be True or False"):
        TPLAligner(**QUICK, recenter="no").fit(seqs)  # a truthy string would have meant True
    with pytest.raises(ConfigError, match="variational: must be True or False"):
        TPLAligner(**QUICK, variational=1).fit(seqs)


def test_refine_length_runs_the_refinement_coarse_to_fine():
    seqs, _, _ = warped_clips(n=4, seed=1)  # 50-80 frames
    masks = [np.ones(len(s), bool) for s in seqs]
    plain = TPLAligner(**QUICK, refine=0).fit(seqs)
    coarse = TPLAligner(**QUICK, refine=3, refine_below=10.0, refine_length=20).fit(seqs)  # blocks of 4 frames
    data = standardize_set(seqs, masks)
    expected = refine_frame_maps(data, masks, plain.frame_maps_, n_iter=3, band=0.2, coarse_length=20)
    every_frame = refine_frame_maps(data, masks, plain.frame_maps_, n_iter=3, band=0.2, coarse_length=None)
    for fm, want in zip(coarse.frame_maps_, expected):
        np.testing.assert_array_equal(fm, want)
    assert any(not np.array_equal(a, b) for a, b in zip(expected, every_frame))


def test_fit_length_fits_on_downsampled_clips_and_maps_the_full_ones():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 3)).cumsum(0) for n in (90, 120)]
    aligner = TPLAligner(**QUICK, refine=0, fit_length=30).fit(seqs)
    assert aligner.estimator_.timeline_length_ == 30  # the longest clip the fit saw
    assert aligner.timeline_length_ == 105 and all(m.shape == (105,) for m in aligner.frame_maps_)
    assert [m[-1] for m in aligner.frame_maps_] == pytest.approx([89, 119], abs=1e-6)  # the full clips' ends
    short = TPLAligner(**QUICK, refine=0, fit_length=200).fit(seqs)  # clips shorter than fit_length: unchanged
    plain = TPLAligner(**QUICK, refine=0).fit(seqs)
    for a, b in zip(short.frame_maps_, plain.frame_maps_):
        np.testing.assert_allclose(a, b)
    with pytest.raises(ConfigError, match="fit_length: must be an int >= 2 or None"):
        TPLAligner(**QUICK, fit_length=1).fit(seqs)


def test_more_clips_than_a_batch_keep_the_fit_at_about_epochs_steps():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(30, 3)).cumsum(0) for _ in range(12)]
    aligner = TPLAligner(**{**QUICK, "epochs": 9}, batch_size=4, refine=0).fit(seqs)
    estimator = aligner.estimator_
    assert estimator.batch_size == 4 and len(estimator.history_) == 3  # 3 passes of 3 steps: 9 steps
    assert len(aligner.frame_maps_) == 12 and all(np.isfinite(m).all() for m in aligner.frame_maps_)
    few = TPLAligner(**{**QUICK, "epochs": 9}, batch_size=64, refine=0).fit(seqs[:5])  # all clips in one batch
    assert few.estimator_.batch_size == 5 and len(few.estimator_.history_) == 9
    with pytest.raises(ConfigError, match="batch_size: must be a positive int"):
        TPLAligner(**QUICK, batch_size=0).fit(seqs)


def test_loc_length_is_passed_to_the_model_and_checked():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(n, 3)).cumsum(0) for n in (90, 120)]
    aligner = TPLAligner(**QUICK, refine=0, loc_length=16).fit(seqs)
    assert aligner.estimator_.model_.dtan.config.loc_length == 16
    assert TPLAligner(**QUICK, refine=0, loc_length=None).fit(seqs).estimator_.model_.dtan.config.loc_length is None
    with pytest.raises(ConfigError, match="loc_length: must be an int >= 2 or None"):
        TPLAligner(**QUICK, loc_length=1).fit(seqs)

"""DTAN and TPL estimators: input forms, contracts, checkpoints, determinism, and recovery of known warps."""

import numpy as np
import pytest
import torch

from mvsync.align.engine.checkpoint import load_checkpoint
from mvsync.align.engine.cpab import CPAB
from mvsync.align.engine.estimators import DTAN, TPL
from mvsync.errors import ConfigError, InputError, NotFittedError

TINY_DTAN = dict(n_filters=4, depth=3, n_recurrences=2, epochs=3, batch_size=4, lr=1e-3)
TINY_TPL = dict(widths=(8, 4), loc_filters=4, loc_depth=3, n_recurrences=2, epochs=3, batch_size=4, lr=1e-3)


def ragged(seed=0, n=6, c=2):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 36, size=n)
    t = [np.linspace(0, 1, n_i) for n_i in lengths]
    return [np.stack([np.sin(6 * ti + k + rng.normal(0, 0.3)) for k in range(c)]) for ti in t]  # (C, L_i)


def padded(seqs, width=None, fill=np.nan):
    width = width or max(s.shape[1] for s in seqs)
    out = np.full((len(seqs), seqs[0].shape[0], width), fill)
    for i, s in enumerate(seqs):
        out[i, :, : s.shape[1]] = s
    return out


@pytest.mark.parametrize("cls, kw", [(DTAN, TINY_DTAN), (TPL, TINY_TPL)])
def test_list_nan_padding_and_explicit_lengths_agree(cls, kw):
    seqs = ragged()
    lengths = [s.shape[1] for s in seqs]
    a = cls(**kw).fit(seqs)
    b = cls(**kw).fit(padded(seqs, width=45))
    c = cls(**kw).fit(padded(seqs, width=40, fill=0.0), lengths=lengths)
    wa, wb, wc = a.warps(seqs), b.warps(padded(seqs)), c.warps(padded(seqs, fill=3.0), lengths=lengths)
    assert np.allclose(wa, wb, atol=1e-5, equal_nan=True) and np.allclose(wa, wc, atol=1e-5, equal_nan=True)
    ta = a.transform(seqs)
    assert ta.shape == (6, 2, max(lengths))
    for i, n in enumerate(lengths):
        assert np.isfinite(ta[i, :, :n]).all() and np.isnan(ta[i, :, n:]).all()
    assert a.prototype_.shape == (2, max(lengths))


def test_warps_are_monotone_diffeomorphisms_and_inverse_matches():
    seqs = ragged()
    est = DTAN(**{**TINY_DTAN, "epochs": 5, "lr": 1e-2}).fit(seqs)
    grid = est.warps(seqs, n_points=50)
    inv = est.warps(seqs, n_points=50, inverse=True)
    assert grid.shape == (6, 50) and np.all(np.diff(grid, axis=1) >= -1e-6)
    assert np.allclose(grid[:, [0, -1]], [0.0, 1.0], atol=1e-6)
    s = np.linspace(0, 1, 50)
    back = np.stack([np.interp(g, s, v) for g, v in zip(grid, inv)])  # g^-1(g(s)) = s
    assert np.abs(back - s).max() < 1e-2


def test_transform_reads_each_sequence_at_its_warp():
    seqs = ragged(c=1)
    est = DTAN(**{**TINY_DTAN, "epochs": 5, "lr": 1e-2}).fit(seqs)
    grids, aligned = est.warps(seqs), est.transform(seqs)
    for seq, g, a in zip(seqs, grids, aligned):
        n = seq.shape[1]
        expected = np.interp(g[:n] * (n - 1), np.arange(n), seq[0])
        assert np.allclose(a[0, :n], expected, atol=1e-4)


def test_labels_give_class_prototypes():
    seqs = ragged()
    y = np.array(["a", "b", "a", "b", "a", "b"])
    est = DTAN(**TINY_DTAN).fit(seqs, y)
    longest = max(s.shape[1] for s in seqs)
    assert list(est.classes_) == ["a", "b"]
    assert est.class_prototypes_.shape == (2, 2, longest) and est.prototype_.shape == (2, longest)


def test_tpl_encode_is_padding_free():
    seqs = ragged()
    est = TPL(**TINY_TPL).fit(seqs)
    longest = max(s.shape[1] for s in seqs)
    z1, z2 = est.encode(seqs), est.encode(padded(seqs, width=50, fill=np.nan))
    assert z1.shape == (6, longest) and np.allclose(z1, z2[:, :longest], atol=1e-5, equal_nan=True)


def test_variational_tpl_fits():
    est = TPL(**TINY_TPL, variational=True).fit(ragged())
    assert {"icae", "rec", "kl", "smooth", "traj"} <= set(est.history_[-1])


def test_errors():
    with pytest.raises(NotFittedError):
        DTAN().transform(ragged())
    with pytest.raises(ConfigError, match="epochs"):
        DTAN(epochs=0).fit(ragged())
    with pytest.raises(ConfigError, match="lr"):
        TPL(lr=-1.0).fit(ragged())
    with pytest.raises(InputError, match="lengths"):
        DTAN(**TINY_DTAN).fit(padded(ragged()), lengths=[1] * 6)
    with pytest.raises(InputError, match="X\\[1\\]"):
        DTAN(**TINY_DTAN).fit([np.zeros((2, 9)), np.zeros((3, 9))])
    est = DTAN(**TINY_DTAN).fit(ragged())
    with pytest.raises(InputError, match="channels"):
        est.transform(ragged(c=3))
    assert DTAN(epochs=7).get_params()["epochs"] == 7
    with pytest.raises(ConfigError, match="nope"):
        TPL().set_params(nope=1)


def test_scikit_learn_clone():
    from sklearn.base import clone

    est = clone(TPL(epochs=5, widths=(8, 4)))
    assert est.get_params() == TPL(epochs=5, widths=(8, 4)).get_params()


@pytest.mark.parametrize("cls, kw", [(DTAN, TINY_DTAN), (TPL, {**TINY_TPL, "variational": True})])
def test_seeded_runs_are_deterministic(cls, kw):
    seqs = ragged()
    a, b = cls(**kw).fit(seqs), cls(**kw).fit(seqs)
    assert np.array_equal(a.warps(seqs), b.warps(seqs), equal_nan=True)
    c = cls(**{**kw, "seed": 1}).fit(seqs)
    assert not np.allclose(a.warps(seqs), c.warps(seqs), equal_nan=True)


@pytest.mark.parametrize("cls, kw", [(DTAN, TINY_DTAN), (TPL, {**TINY_TPL, "variational": True})])
def test_checkpoint_round_trip_and_exact_resume(cls, kw, tmp_path):
    seqs, y = ragged(), [0, 1, 0, 1, 0, 1]
    full = cls(**{**kw, "epochs": 4}).fit(seqs, y, checkpoint=tmp_path / "run_{epoch}.pt", checkpoint_every=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_2.pt", "run_4.pt"]
    full.save(tmp_path / "full.pt")
    loaded = cls.load(tmp_path / "full.pt")
    assert np.array_equal(loaded.transform(seqs), full.transform(seqs), equal_nan=True)
    assert np.array_equal(loaded.prototype_, full.prototype_) and list(loaded.classes_) == [0, 1]
    assert loaded.config_ == full.config_ and loaded.get_params() == full.get_params()

    # Resume from the epoch-2 checkpoint of the same run, as after an interruption.
    resumed = cls(**{**kw, "epochs": 4}).fit(seqs, y, resume=tmp_path / "run_2.pt")
    assert resumed.trainer_.epoch == 4 and len(resumed.history_) == 4
    assert np.array_equal(resumed.warps(seqs), full.warps(seqs), equal_nan=True)
    assert [h["loss"] for h in resumed.history_] == [h["loss"] for h in full.history_]


def test_load_rejects_other_files(tmp_path):
    est = DTAN(**TINY_DTAN).fit(ragged())
    est.save(tmp_path / "dtan.pt")
    with pytest.raises(InputError, match="DTAN checkpoint"):
        TPL.load(tmp_path / "dtan.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="junk.pt"):
        DTAN.load(tmp_path / "junk.pt")
    with pytest.raises(InputError, match="not found"):
        DTAN.load(tmp_path / "missing.pt")


# ---- recovery of known warps on a real signal --------------------------------------------------------------


def gunpoint_warped(n=8, variance=0.01):
    """``n`` copies of one GunPoint series, each warped by a random CPAB theta from the smoothness prior."""
    from aeon.datasets import load_classification

    X, y = load_classification("GunPoint", split="train")
    base = X[np.flatnonzero(y == "2")[0], 0].astype(np.float32)  # (150,)
    cpab = CPAB(16)
    theta = cpab.sample_theta(n, variance=variance, generator=torch.Generator().manual_seed(0))
    warped = cpab.warp(torch.from_numpy(base).expand(n, 1, 150).contiguous(), theta).numpy()  # (n, 1, 150)
    return base, warped, cpab, theta


def event_times(base, composed):
    """Common times at which each aligned copy shows the base's steepest rise and fall.

    Copy ``i`` shows base time ``c_i(s) = T_true_i(g_i(s))`` at common time ``s``; perfect recovery makes ``c_i``
    the same warp for every copy, so each event happens at the same common time in all of them.
    """
    slope = np.gradient(base)
    events = np.array([np.argmax(slope), np.argmin(slope)]) / (len(base) - 1)
    s = np.linspace(0, 1, composed.shape[1])
    return np.array([[np.interp(e, c, s) for e in events] for c in composed])  # (n, 2)


@pytest.mark.parametrize("cls, kw", [
    (DTAN, dict(n_filters=8, depth=3, n_recurrences=2, lr=3e-3, prior_weight=0.1, prior_variance=0.1)),
    (TPL, dict(widths=(16, 8), loc_filters=8, loc_depth=3, n_recurrences=1, lr=5e-3, grad_clip=1.0)),
])
def test_learned_warps_undo_known_random_warps(cls, kw):
    base, warped, cpab, theta = gunpoint_warped()
    est = cls(**kw, epochs=150, batch_size=8).fit(warped)
    identity = cpab.transform_grid(theta, torch.linspace(0, 1, 150)).numpy()  # (n, 150) before: c_i = T_true_i
    composed = cpab.transform_grid(theta, torch.tensor(est.warps(warped), dtype=torch.float32)).numpy()
    before, after = event_times(base, identity), event_times(base, composed)
    std_before, std_after = before.std(0) * 149, after.std(0) * 149  # in samples
    assert np.all(std_before > 9)  # the random warps move each event by ~9-13 samples (std over copies)
    assert np.all(std_after < 4) and np.all(std_after < std_before / 3), (std_before, std_after)
    gap = np.diff(after.mean(0))[0]  # the action still spans a fair part of the timeline (no collapse)
    assert gap > 0.1, gap
    aligned = est.transform(warped)
    assert aligned.std(0).mean() < warped.std(0).mean() / 3


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cls, kw", [(DTAN, TINY_DTAN), (TPL, {**TINY_TPL, "variational": True})])
def test_cuda_matches_cpu(cls, kw, tmp_path):
    seqs = ragged()
    cpu = cls(**kw).fit(seqs)
    gpu = cls(**kw, device="cuda").fit(seqs)
    assert np.allclose(gpu.warps(seqs), cpu.warps(seqs), atol=1e-3, equal_nan=True)
    gpu.save(tmp_path / "gpu.pt")
    assert np.allclose(cls.load(tmp_path / "gpu.pt", device="cpu").warps(seqs), gpu.warps(seqs), atol=1e-4,
                       equal_nan=True)


@pytest.mark.parametrize("cls, kw", [(DTAN, TINY_DTAN), (TPL, TINY_TPL)])
def test_random_warp_augmentation(cls, kw):
    seqs = ragged()
    lengths = torch.tensor([s.shape[1] for s in seqs])
    x = torch.from_numpy(padded(seqs)).float()
    est = cls(**kw, augment_variance=0.05).fit(seqs)
    batch = {"x": x, "lengths": lengths}
    plain = cls(**kw).fit(seqs)
    assert plain._augmented(batch, torch.Generator().manual_seed(0))["x"] is x  # augment_variance=0: untouched
    out = est._augmented(batch, torch.Generator().manual_seed(0))["x"]
    assert not torch.allclose(out.nan_to_num(), x.nan_to_num())
    for i, n in enumerate(lengths):  # a resampling inside each sequence: padding stays NaN, values stay in range
        assert torch.isfinite(out[i, :, :n]).all() and out[i, :, n:].isnan().all()
        assert (out[i, :, :n].amin(1) >= x[i, :, :n].amin(1) - 1e-5).all()
        assert (out[i, :, :n].amax(1) <= x[i, :, :n].amax(1) + 1e-5).all()
        assert torch.allclose(out[i, :, [0, n - 1]], x[i, :, [0, n - 1]], atol=1e-5)  # zero-boundary warps
    again = cls(**kw, augment_variance=0.05).fit(seqs)  # seeded: the same draws, the same net
    assert np.allclose(again.warps(seqs), est.warps(seqs), equal_nan=True)
    assert not np.allclose(plain.warps(seqs), est.warps(seqs), equal_nan=True)  # the augmentation reached training
    with pytest.raises(ConfigError, match="augment_variance"):
        cls(**kw, augment_variance=-1.0).fit(seqs)


@pytest.mark.parametrize("cls, kw", [(DTAN, TINY_DTAN), (TPL, TINY_TPL)])
def test_compile_pads_batches_to_one_length_without_changing_the_fit(cls, kw, monkeypatch):
    # compile=True trains on batches padded to the longest sequence (one shape, one graph); the masks must make
    # that padding invisible. torch.compile itself is replaced by the identity here (its real run: the slow test).
    seqs = ragged()
    eager = cls(**kw).fit(seqs)
    shapes = []
    monkeypatch.setattr(torch, "compile", lambda net: (shapes.append(None), net)[1])
    padded_fit = cls(**{**kw, "compile": True}).fit(seqs)
    assert shapes, "compile=True did not go through torch.compile"
    assert [h["loss"] for h in padded_fit.history_] == pytest.approx([h["loss"] for h in eager.history_], rel=1e-4)
    assert np.allclose(padded_fit.warps(seqs), eager.warps(seqs), atol=1e-4, equal_nan=True)


@pytest.mark.slow
def test_compile_trains_like_eager():
    # the real torch.compile (about a minute on 2 CPU cores; meant for GPUs, where the small net is launch-bound)
    seqs = ragged()
    kw = dict(widths=(8,), loc_filters=4, loc_depth=1, n_recurrences=1, epochs=2, batch_size=3)
    eager, compiled = TPL(**kw).fit(seqs), TPL(**kw, compile=True).fit(seqs)
    assert [h["loss"] for h in compiled.history_] == pytest.approx([h["loss"] for h in eager.history_], rel=1e-4)


def test_a_list_sequence_keeps_a_last_frame_without_values():
    """In a list, a sequence is as long as its array: a NaN last frame is a missing value (a clip's last frame
    without keypoints), not padding; in an (N, C, L) array, trailing NaN frames are padding."""
    from mvsync.align.engine.sequences import as_padded

    clip = np.ones((2, 4))
    clip[:, -1] = np.nan
    assert as_padded([clip, np.ones((2, 3))])[1].tolist() == [4, 3]
    assert as_padded(padded([clip, np.ones((2, 3))]))[1].tolist() == [3, 3]


def test_a_checkpoint_from_before_loc_length_loads_and_reads_every_frame(tmp_path):
    X = np.random.default_rng(0).normal(size=(6, 3, 40)).cumsum(2)
    est = TPL(epochs=2, widths=(8,), loc_filters=4, loc_depth=1, loc_length=16).fit(X)
    est.save(tmp_path / "tpl.pt")
    assert np.allclose(TPL.load(tmp_path / "tpl.pt").warps(X), est.warps(X))
    payload = load_checkpoint(tmp_path / "tpl.pt")
    del payload["model_config"]["loc_length"], payload["params"]["loc_length"]  # as written before the option
    old = TPL.from_payload(payload)
    assert old.config_.loc_length is None and old.model_.dtan.config.loc_length is None
    assert old.warps(X).shape == (6, 40)

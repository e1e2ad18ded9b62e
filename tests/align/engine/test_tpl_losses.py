"""D-MTAE and DTAN losses on small cases computed by hand (seed eqs. 2-6, DTAN's WCSS and prior)."""

import math

import pytest
import torch

from mvsync.align.engine.dtan import prior_loss, wcss_loss
from mvsync.align.engine.tpl import DMTAE, DMTAEOutput, TPLConfig
from mvsync.align.engine.tpl_losses import (
    class_prototypes,
    icae_loss,
    kl_loss,
    masked_mse,
    reconstruction_loss,
    sample_valid_steps,
    sigmoid_anneal,
    smoothness_loss,
    trajectory_variance_loss,
)

NAN = float("nan")


def t(values):
    return torch.tensor(values, dtype=torch.float32)


def test_masked_mse_averages_per_sequence_then_over_sequences():
    a = t([[[1.0, 2.0, 9.0]], [[3.0, 3.0, 3.0]]])
    b = torch.zeros_like(a)
    mask = torch.tensor([[[True, True, False]], [[True, True, True]]])
    # sequence 0: (1 + 4) / 2 = 2.5 ; sequence 1: 9 ; mean 5.75
    assert masked_mse(a, b, mask).item() == pytest.approx(5.75)


def test_reconstruction_ignores_nan_entries_and_their_gradients():
    u = t([[[1.0, NAN], [2.0, 4.0]]])  # (1, C=2, L=2) one missing entry
    rec = t([[[0.0, 5.0], [0.0, 0.0]]]).requires_grad_()
    mask = ~u.isnan()
    loss = reconstruction_loss(u, rec, mask)
    assert loss.item() == pytest.approx((1 + 4 + 16) / 3)  # eq. 2: ||M (U - U~)||^2 / sum M
    loss.backward()
    assert torch.isfinite(rec.grad).all() and rec.grad[0, 0, 1] == 0


def test_kl_matches_closed_form_on_valid_frames_only():
    mu = t([[[1.0, 0.0, 50.0]]])
    logvar = t([[[0.0, math.log(4.0), 3.0]]])
    mask = torch.tensor([[[True, True, False]]])
    frame1 = 0.5  # -0.5 (1 + 0 - 1 - 1)
    frame2 = -0.5 * (1 + math.log(4.0) - 0 - 4)
    assert kl_loss(mu, logvar, mask).item() == pytest.approx((frame1 + frame2) / 2, rel=1e-6)


def test_kl_is_zero_for_standard_normal_and_padding_free():
    mu, logvar = torch.zeros(2, 1, 5), torch.zeros(2, 1, 5)
    mu[1, 0, 3:] = NAN  # padding
    mask = torch.ones(2, 1, 5, dtype=torch.bool)
    mask[1, 0, 3:] = False
    assert kl_loss(mu, logvar, mask).item() == 0.0


def test_smoothness_uses_pairs_of_consecutive_valid_frames():
    z = t([[[0.0, 1.0, 3.0, 6.0, 10.0]]])
    mask = torch.tensor([[[True, True, False, True, True]]])
    # valid pairs: (0,1) -> 1 and (3,4) -> 16; eq. 4 divides by the number of pairs
    assert smoothness_loss(z, mask).item() == pytest.approx(8.5)


def test_sample_valid_steps_spreads_over_valid_frames():
    mask = torch.tensor([[True, True, True, True, True, False, False], [False, True, False, True, True, True, True]])
    idx = sample_valid_steps(mask, 3)
    assert idx.tolist() == [[0, 2, 4], [1, 4, 6]]
    assert mask.gather(1, idx).all()


def test_trajectory_variance_by_hand():
    z = t([[[0.0, 1.0, 2.0, NAN]], [[2.0, 3.0, 4.0, 5.0]]])
    mask = ~z.isnan()
    # K=2 steps: seq 0 -> frames (0, 2) = (0, 2); seq 1 -> frames (0, 3) = (2, 5); mean (1, 3.5)
    # eq. 5: mean over i of ||sub_i - mean||^2 = ((1 + 2.25) + (1 + 2.25)) / 2
    assert trajectory_variance_loss(z, mask, k=2).item() == pytest.approx(3.25)


def test_class_prototypes_skip_nan():
    aligned = t([[[1.0, NAN]], [[3.0, 4.0]], [[10.0, 10.0]]])
    protos = class_prototypes(aligned, torch.tensor([0, 0, 1]), 2)
    assert protos.tolist() == [[[2.0, 4.0]], [[10.0, 10.0]]]


def test_icae_with_identity_warps_is_the_within_class_variance():
    model = DMTAE(TPLConfig(n_channels=1, widths=(4,), loc_filters=2, loc_depth=1, n_recurrences=2))
    z = t([[[0.0, 2.0, 4.0]], [[2.0, 2.0, 2.0]], [[5.0, 5.0, 5.0]]])
    identity = [torch.zeros(3, model.dtan.cpab.dim) for _ in range(2)]
    out = DMTAEOutput(z=z, mu=None, logvar=None, thetas=identity, recon=z)
    lengths, frames = torch.tensor([3, 3, 3]), torch.ones(3, 1, 3, dtype=torch.bool)
    protos, back = model.prototype_back(out, lengths, frames, torch.tensor([0, 0, 1]), 2, n_points=3)
    assert torch.allclose(protos[0], t([[1.0, 2.0, 3.0]]), atol=1e-6)
    assert torch.allclose(back, t([[[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]], [[5.0, 5.0, 5.0]]]), atol=1e-6)
    # per sequence: (1 + 0 + 1) / 3, (1 + 0 + 1) / 3, 0 -> mean 4/9
    assert icae_loss(z, back, frames).item() == pytest.approx(4 / 9, abs=1e-6)


def test_sigmoid_anneal_ramps_up():
    values = [sigmoid_anneal(e, 100, center=0.5, width=0.1) for e in range(100)]
    assert values == sorted(values)
    assert values[0] < 0.01 and values[50] == pytest.approx(0.5) and values[-1] > 0.98


def test_wcss_is_within_class_variance_mean():
    x = t([[[0.0, 2.0]], [[2.0, 2.0]], [[5.0, NAN]], [[7.0, 1.0]]])
    # class 0: variances (1, 0) -> 0.5 ; class 1: (1, 0: one valid value) -> 0.5 ; mean 0.5
    assert wcss_loss(x, torch.tensor([0, 0, 1, 1])).item() == pytest.approx(0.5)
    assert wcss_loss(x[:2]).item() == pytest.approx(0.5)


def test_prior_is_sum_over_passes_of_mean_mahalanobis_norm():
    precision = torch.diag(torch.tensor([1.0, 4.0], dtype=torch.float64))
    thetas = [t([[1.0, 1.0], [0.0, 1.0]]), t([[2.0, 0.0], [0.0, 0.0]])]
    # pass 1: (1 + 4, 4) -> 4.5 ; pass 2: (4, 0) -> 2
    assert prior_loss(thetas, precision).item() == pytest.approx(6.5)

"""D-MTAE model: seed Table 2 layout, masks (padding and NaN frames), the VAE variant, eq. 6."""

import math

import pytest
import torch

from mvsync.align.engine.tpl import DMTAE, TPLConfig, TPLWeights, tpl_loss

NAN = float("nan")


def small_model(variational=False, seed=0) -> DMTAE:
    torch.manual_seed(seed)
    config = TPLConfig(n_channels=3, variational=variational, widths=(8, 4), loc_filters=4, loc_depth=3,
                       n_recurrences=2)
    model = DMTAE(config)
    torch.nn.init.normal_(model.dtan.loc.head.weight, std=0.3)  # non-trivial warps
    return model


def batch(length=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, length)
    x = torch.sin(2 * math.pi * (1 + torch.rand(3, 3, 1, generator=g)) * t + 3 * torch.rand(3, 3, 1, generator=g))
    lengths = torch.tensor([length, length - 7, length - 12])
    past = torch.arange(length)[None, None] >= lengths[:, None, None]
    return x.masked_fill(past, NAN), lengths


def loss_of(model, x, lengths, labels=None, generator=None):
    out = model(x, lengths, generator)
    labels = torch.zeros(len(x), dtype=torch.long) if labels is None else labels
    return tpl_loss(model, out, {"x": x, "lengths": lengths, "labels": labels}, lambda_t=0.7,
                    weights=TPLWeights(), n_classes=int(labels.max()) + 1, n_points=30)


def test_layout_follows_seed_table_2():
    model = DMTAE(TPLConfig(n_channels=5))
    enc = [(c.in_channels, c.out_channels, c.kernel_size[0], c.padding[0]) for c in model.encoder.convs]
    assert enc == [(5, 128, 3, 1), (128, 64, 3, 1), (64, 32, 3, 1), (32, 16, 3, 1)]
    assert (model.mu_head.in_channels, model.mu_head.out_channels) == (16, 1)
    dec = [(c.in_channels, c.out_channels) for c in [*model.decoder.convs, model.out]]
    assert dec == [(1, 16), (16, 32), (32, 64), (64, 128), (128, 5)]
    assert all(isinstance(c, torch.nn.ConvTranspose1d) for c in model.decoder.convs)
    assert model.dtan.cpab.dim == 15 and model.dtan.config.n_channels == 1


@pytest.mark.parametrize("variational", [False, True])
def test_padding_never_changes_latent_warp_or_reconstruction(variational):
    model = small_model(variational).eval()
    x, lengths = batch()
    ref = model(x, lengths)
    past = x.isnan()
    wider = torch.cat([x.masked_fill(past, 0.0), torch.full((3, 3, 11), 5.0)], dim=2)  # zero, then junk padding
    other = model(wider, lengths)
    for b, n in enumerate(lengths.tolist()):
        assert torch.allclose(other.z[b, :, :n], ref.z[b, :, :n], atol=1e-5)
        assert torch.allclose(other.recon[b, :, :n], ref.recon[b, :, :n], atol=1e-5)
    assert torch.allclose(torch.stack(other.thetas), torch.stack(ref.thetas), atol=1e-5)


def test_padding_never_changes_the_training_loss():
    x, lengths = batch()
    wider = torch.cat([x.masked_fill(x.isnan(), 0.0), torch.zeros(3, 3, 9)], dim=2)
    loss_a, logs_a = loss_of(small_model().train(), x, lengths)
    loss_b, logs_b = loss_of(small_model().train(), wider, lengths)
    assert loss_a.item() == pytest.approx(loss_b.item(), rel=1e-5)
    assert logs_a.keys() == {"icae", "rec"}


def test_nan_frames_are_masked_and_never_propagate():
    model = small_model(variational=True).train()
    x, lengths = batch()
    x[0, :, 4:7] = NAN  # a missing stretch inside sequence 0
    x[1, 2, 10] = NAN  # one missing value
    out = model(x, lengths, torch.Generator().manual_seed(0))
    for b, n in enumerate(lengths.tolist()):
        assert torch.isfinite(out.z[b, :, :n]).all() and torch.isfinite(out.recon[b, :, :n]).all()
    loss, logs = loss_of(model, x, lengths, generator=torch.Generator().manual_seed(0))
    assert set(logs) == {"icae", "rec", "kl", "smooth", "traj"} and all(math.isfinite(v) for v in logs.values())
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_a_missing_entry_is_zero_for_the_convs_and_masked_in_the_loss():
    from mvsync.align.engine.tpl_losses import reconstruction_loss

    x, lengths = batch()
    x[0, 1, 5] = NAN
    zero = x.clone()
    zero[0, 1, 5] = 0.0
    model = small_model().eval()
    with torch.no_grad():
        out_nan, out_zero = model(x, lengths), model(zero, lengths)
        assert torch.equal(out_nan.z, out_zero.z) and torch.equal(out_nan.recon, out_zero.recon)
        loss, logs = loss_of(model, x, lengths)
        entries = ~x.isnan()  # the NaN entry and the padding are left out of eq. 2
        assert logs["rec"] == pytest.approx(reconstruction_loss(zero, out_zero.recon, entries).item(), rel=1e-6)


def test_vae_samples_in_training_and_uses_the_mean_in_eval():
    model = small_model(variational=True)
    x, lengths = batch()
    model.train()
    z1 = model.encode(x, lengths, torch.Generator().manual_seed(1))
    z1b = model.encode(x, lengths, torch.Generator().manual_seed(1))
    z2 = model.encode(x, lengths, torch.Generator().manual_seed(2))
    assert torch.equal(z1[0], z1b[0]) and not torch.allclose(z1[0], z2[0])
    assert z1[2] is not None  # log-variance head
    model.eval()
    z, mu, _ = model.encode(x, lengths)
    assert torch.equal(z, mu)


def test_plain_latent_is_normalised_so_icae_cannot_shrink_it():
    model = small_model().train()
    x, lengths = batch()
    z, _, _ = model.encode(x, lengths)
    valid = torch.arange(30)[None, None] < lengths[:, None, None]
    assert z[valid].var(unbiased=False).item() == pytest.approx(1.0, abs=1e-3)


def test_reconstruction_with_identity_warps_is_the_plain_autoencoder():
    model = small_model().eval()
    torch.nn.init.zeros_(model.dtan.loc.head.weight)  # theta = 0 in every pass
    x, lengths = batch()
    with torch.no_grad():
        out = model(x, lengths)
        mask = torch.arange(30)[None, None] < lengths[:, None, None]
        direct = model.decode(out.z, mask)  # (B, C, L) no warp at all
    assert torch.allclose(out.recon.masked_fill(~mask, 0), direct, atol=1e-6)

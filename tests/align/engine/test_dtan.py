"""DTANet: masked InceptionTime localization, exact composition of recurrent warps, exact inverse."""

import math

import pytest
import torch

from mvsync.align.engine.dtan import DTANConfig, DTANet, own_grid, resample, resample_averaged, wcss_loss
from mvsync.align.engine.inception import InceptionTime


def small_net(n_channels=2, n_recurrences=3, seed=0, loc_length=None) -> DTANet:
    torch.manual_seed(seed)
    net = DTANet(DTANConfig(n_channels, n_filters=4, depth=3, n_recurrences=n_recurrences, loc_length=loc_length))
    torch.nn.init.normal_(net.loc.head.weight, std=0.3)  # leave the identity start, so warps are not trivial
    return net


def smooth_batch(n=3, c=2, length=40, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, length)
    freq = 1 + 3 * torch.rand(n, c, 1, generator=g)
    phase = 6 * torch.rand(n, c, 1, generator=g)
    return torch.sin(2 * math.pi * freq * t + phase)  # (n, c, L)


def test_inception_layout_follows_seed_table():
    net = InceptionTime(3, 15)
    block = net.blocks[0]
    assert [c.kernel_size[0] for c in block.convs] == [39, 19, 9]
    assert block.bottleneck.out_channels == 32 and block.bn.num_features == 128
    assert len(net.blocks) == 6 and sorted(net.shortcuts) == ["2", "5"]
    assert net.shortcuts["2"].conv.in_channels == 3 and net.shortcuts["5"].conv is None
    assert net.head.in_features == 128 and net.head.out_features == 15


@pytest.mark.parametrize("loc_length", [None, 16, 32])
@pytest.mark.parametrize("train", [False, True])
def test_padding_never_changes_the_warp(train, loc_length):
    net = small_net(loc_length=loc_length).train(train)
    x = smooth_batch()  # (3, 2, 40)
    lengths = torch.tensor([40, 31, 17])
    past = torch.arange(40)[None, None, :] >= lengths[:, None, None]
    nan_padded = x.masked_fill(past, float("nan"))
    zero_padded = torch.cat([x.masked_fill(past, 0.0), torch.zeros(3, 2, 25)], dim=2)  # wider, zeros
    junk_padded = torch.cat([x.masked_fill(past, 7.0), torch.full((3, 2, 9), -3.0)], dim=2)  # wider, junk
    ref = torch.stack(net(nan_padded, lengths))
    for other in (zero_padded, junk_padded):
        assert torch.allclose(torch.stack(net(other, lengths)), ref, atol=1e-5)


@pytest.mark.parametrize("loc_length", [None, 16, 32])
def test_each_sequence_is_warped_as_if_alone(loc_length):
    net = small_net(loc_length=loc_length).eval()
    x = smooth_batch()
    lengths = torch.tensor([40, 31, 17])
    batch = torch.stack(net(x, lengths))  # (R, B, d)
    for b in range(3):
        alone = torch.stack(net(x[b : b + 1, :, : lengths[b]]))  # (R, 1, d)
        assert torch.allclose(alone[:, 0], batch[:, b], atol=1e-5)


def test_fresh_net_is_the_identity_warp():
    net = DTANet(DTANConfig(2, n_filters=4, depth=3)).eval()
    x = smooth_batch()
    thetas = net(x)
    assert all(bool((theta == 0).all()) for theta in thetas)
    assert torch.allclose(net.align(x, torch.tensor([40, 40, 40]), thetas), x, atol=1e-6)


def test_inverse_of_the_composed_warp_is_exact():
    net = small_net(n_recurrences=4)
    g = torch.Generator().manual_seed(1)
    thetas = [net.cpab.sample_theta(5, variance=0.01, generator=g) for _ in range(4)]
    s = torch.linspace(0, 1, 101)
    forward = net.warp_grid(thetas, s)  # (5, 101)
    assert (forward - s).abs().max() > 0.05  # a real warp
    assert torch.allclose(net.inverse_grid(thetas, forward), s.expand(5, -1), atol=1e-5)
    assert torch.allclose(net.warp_grid(thetas, net.inverse_grid(thetas, s)), s.expand(5, -1), atol=1e-5)


def test_recurrent_passes_compose_not_add():
    net = small_net(n_recurrences=3)
    g = torch.Generator().manual_seed(2)
    thetas = [net.cpab.sample_theta(2, variance=0.01, generator=g) for _ in range(3)]
    t = torch.linspace(0, 1, 1000)
    x = torch.sin(2 * math.pi * t + torch.tensor([[0.0], [1.0]]))[:, None].repeat(1, 2, 1)  # (2, 2, 1000)
    # Pass by pass, each re-warping the already-warped signal (cpab.warp reads its input at T(grid)) ...
    step = x
    for theta in thetas:
        step = net.cpab.warp(step, theta)
    # ... equals one resampling of the original at the composed grid T_1 o T_2 o T_3 (up to the interpolation
    # error that repeated resampling accumulates, which is why DTANet composes grids instead).
    composed = net.align(x, torch.tensor([1000, 1000]), thetas)
    assert (composed - step).abs().max() < 1e-2
    summed = net.cpab.warp(x, sum(thetas))  # the sum of parameters is a different warp
    assert (summed - step).abs().max() > 0.3


def test_align_on_common_grid_handles_variable_lengths():
    net = small_net(n_channels=1, n_recurrences=1)
    t_long, t_short = torch.linspace(0, 1, 60), torch.linspace(0, 1, 25)
    x = torch.full((2, 1, 60), float("nan"))
    x[0, 0] = torch.sin(3 * t_long)
    x[1, 0, :25] = torch.sin(3 * t_short)  # the same curve, sampled more coarsely
    zero = [torch.zeros(2, net.cpab.dim)]
    common = net.align(x, torch.tensor([60, 25]), zero, n_points=40)  # (2, 1, 40)
    assert torch.allclose(common[0], common[1], atol=2e-3)
    own = net.align(x, torch.tensor([60, 25]), zero)
    assert own[1, 0, 25:].isnan().all() and not own[1, 0, :25].isnan().any()


@pytest.mark.parametrize("loc_length", [None, 16, 32])
def test_gradients_stay_finite_with_nan_padding(loc_length):
    net = small_net(loc_length=loc_length).train()
    x = smooth_batch()
    lengths = torch.tensor([40, 30, 20])
    x = x.masked_fill(torch.arange(40)[None, None] >= lengths[:, None, None], float("nan"))
    x[0, 1, 5] = float("nan")  # a missing value inside a sequence
    thetas = net(x, lengths)
    loss = wcss_loss(net.align(x, lengths, thetas, n_points=40))
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


def test_own_grid_and_resample_are_consistent():
    lengths = torch.tensor([5, 3])
    grid = own_grid(lengths, 5)
    assert grid.tolist() == [[0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.5, 1.0, 1.0, 1.0]]
    x = torch.arange(10.0).reshape(2, 1, 5)
    assert resample(x, grid, lengths)[1, 0, :3].tolist() == [5.0, 6.0, 7.0]


def test_with_loc_length_the_localization_net_reads_any_clip_at_that_many_times():
    """The net's cost no longer grows with the clip's length, and the same motion filmed at 4x the frame rate is
    read (nearly) the same: each reading is the mean over the frames it stands for."""
    curve = lambda n: torch.sin(2 * math.pi * torch.linspace(0, 1, n) ** 2)[None, None]  # (1, 1, n)
    net = small_net(n_channels=1, n_recurrences=2, loc_length=32).eval()
    seen = []
    net.loc.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    net(curve(400))
    net(curve(100))
    assert [tuple(x.shape) for x in seen] == [(1, 1, 32)] * 4  # 2 passes per clip
    assert (seen[0] - seen[2]).abs().max() < 0.05  # first pass: the same motion at 400 and at 100 frames
    assert (seen[1] - seen[3]).abs().max() < 0.05  # second pass: read along the first pass's warp


def test_averaged_resampling_is_interpolation_when_dense():
    x = torch.randn(2, 3, 50).cumsum(2)
    lengths = torch.tensor([50, 37])
    grid = torch.linspace(0, 1, 200).expand(2, -1)  # 4x denser than the samples
    assert torch.allclose(resample_averaged(x, grid, lengths), resample(x, grid, lengths), atol=1e-4)


def test_averaged_resampling_does_not_alias():
    """A signal that flips every frame, read at 10 times: each reading is the mean of 11 frames (near 0), where
    plain interpolation reads single frames (+-1)."""
    flips = torch.tensor([1.0, -1.0]).repeat(50)[None, None]  # (1, 1, 100)
    grid = torch.linspace(0, 1, 10)[None]
    assert resample_averaged(flips, grid, torch.tensor([100])).abs().max() <= 1 / 10
    assert resample(flips, grid, torch.tensor([100])).abs().min() > 0.99


def test_averaged_resampling_leaves_missing_frames_out():
    x = torch.arange(20.0)[None, None].clone()  # (1, 1, 20)
    x[0, 0, 10:] = float("nan")  # the second half missing
    out = resample_averaged(x, torch.tensor([[0.0, 1.0]]), torch.tensor([20]))  # two halves of 10 frames each
    assert out[0, 0, 0] == pytest.approx(4.5) and out[0, 0, 1].isnan()


def test_averaged_resampling_has_gradients_in_the_times():
    x = torch.randn(1, 2, 60).cumsum(2)
    grid = torch.linspace(0, 1, 12)[None].requires_grad_()
    resample_averaged(x, grid ** 1.5, torch.tensor([60])).sum().backward()
    assert torch.isfinite(grid.grad).all() and grid.grad.abs().sum() > 0


def test_a_sequence_no_longer_than_loc_length_is_read_at_every_frame():
    """In a batch averaged down to ``loc_length`` times, a short sequence gets the warp it gets without
    ``loc_length`` (the seed's path); only longer ones are averaged."""
    x = smooth_batch()
    lengths = torch.tensor([40, 31, 17])
    plain = torch.stack(small_net().eval()(x, lengths))  # (R, B, d)
    capped = torch.stack(small_net(loc_length=32).eval()(x, lengths))
    assert torch.allclose(capped[:, 2], plain[:, 2], atol=1e-5)  # 17 frames <= 32: as before
    assert not torch.allclose(capped[:, 0], plain[:, 0], atol=1e-3)  # 40 frames > 32: averaged

"""GlobalBatchNorm in one process is the layer it replaces (its torchrun behaviour: tests/test_ddp.py)."""

import copy

import pytest
import torch
from torch import nn

from mvsync.align.engine.global_batchnorm import GlobalBatchNorm, use_global_batchnorm


@pytest.mark.parametrize("momentum", [0.1, None])  # None: the cumulative average (TCC's input standardiser)
def test_swapped_layers_keep_parameters_and_compute_the_same(momentum):
    torch.manual_seed(0)
    plain = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=momentum), nn.ReLU(),
                          nn.BatchNorm1d(4, affine=False))
    swapped = use_global_batchnorm(copy.deepcopy(plain))
    assert [type(m) for m in swapped] == [nn.Linear, GlobalBatchNorm, nn.ReLU, GlobalBatchNorm]
    kept = copy.deepcopy(plain)
    weight = kept[1].weight
    assert use_global_batchnorm(kept)[1].weight is weight  # the optimizer's Parameter, not a copy
    for _ in range(3):
        x = torch.randn(6, 3)
        torch.testing.assert_close(swapped(x), plain(x))
    torch.testing.assert_close(swapped[1].running_mean, plain[1].running_mean)
    torch.testing.assert_close(swapped[1].running_var, plain[1].running_var)
    swapped.eval(), plain.eval()
    x = torch.randn(5, 3)
    torch.testing.assert_close(swapped(x), plain(x))


def test_2d_batch_norms_are_swapped_too_and_others_are_left_alone():
    net = nn.Sequential(nn.Conv2d(3, 2, 1), nn.BatchNorm2d(2), nn.LayerNorm(2))
    use_global_batchnorm(net)
    assert isinstance(net[1], GlobalBatchNorm) and isinstance(net[2], nn.LayerNorm)
    assert net(torch.randn(2, 3, 4, 2)).shape == (2, 2, 4, 2)

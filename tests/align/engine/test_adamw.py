"""Our AdamW makes torch.optim.AdamW's update, bit for bit, and shares its state_dict layout."""

import pytest
import torch

from mvsync.align.engine.adamw import AdamW
from mvsync.errors import ConfigError


def model_pair(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Conv1d(3, 4, 5), torch.nn.GELU(), torch.nn.Conv1d(4, 2, 3))
    twin = torch.nn.Sequential(torch.nn.Conv1d(3, 4, 5), torch.nn.GELU(), torch.nn.Conv1d(4, 2, 3))
    twin.load_state_dict(model.state_dict())
    return model, twin


def train(model, optimizer, steps, seed=1, freeze_last_from=None):
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        x = torch.randn(8, 3, 20, generator=gen)
        optimizer.zero_grad(set_to_none=True)
        model(x).pow(2).mean().backward()
        if freeze_last_from is not None and step >= freeze_last_from:
            model[2].bias.grad = None  # a parameter without a gradient is left alone, as torch does
        optimizer.step()


def test_same_parameters_as_torch_adamw_to_the_last_bit():
    ours, theirs = model_pair()
    train(ours, AdamW(ours.parameters(), lr=3e-3, weight_decay=1e-2), 25, freeze_last_from=10)
    train(theirs, torch.optim.AdamW(theirs.parameters(), lr=3e-3, weight_decay=1e-2), 25, freeze_last_from=10)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)
    moved = model_pair()[0]
    assert not torch.equal(next(ours.parameters()), next(moved.parameters()))  # it did train


@pytest.mark.parametrize("saver", ["ours", "torch"])
def test_state_dict_moves_between_ours_and_torch(saver):
    """Train 10 steps with one optimizer, save, resume 10 steps with the other: the same as 20 with torch."""
    first, second = model_pair()
    make = {"ours": lambda p: AdamW(p, lr=3e-3, weight_decay=1e-2),
            "torch": lambda p: torch.optim.AdamW(p, lr=3e-3, weight_decay=1e-2)}
    other = "torch" if saver == "ours" else "ours"
    opt = make[saver](first.parameters())
    train(first, opt, 10, seed=1)
    second.load_state_dict(first.state_dict())
    resumed = make[other](second.parameters())
    resumed.load_state_dict(opt.state_dict())
    train(second, resumed, 10, seed=2)
    straight, _ = model_pair()
    torch_opt = torch.optim.AdamW(straight.parameters(), lr=3e-3, weight_decay=1e-2)
    train(straight, torch_opt, 10, seed=1)
    train(straight, torch_opt, 10, seed=2)
    for a, b in zip(second.parameters(), straight.parameters()):
        assert torch.equal(a, b)


def test_refuses_a_state_for_another_model():
    model, _ = model_pair()
    opt = AdamW(model.parameters())
    with pytest.raises(ConfigError, match="optimizer state"):
        opt.load_state_dict(AdamW(list(model.parameters())[:2]).state_dict())
    with pytest.raises(ConfigError, match="empty"):
        AdamW([])
    other = torch.nn.Sequential(torch.nn.Conv1d(3, 5, 5), torch.nn.GELU(), torch.nn.Conv1d(5, 2, 3))  # same count
    train(other, other_opt := AdamW(other.parameters(), lr=0.5), 2)
    train(model, opt, 3)
    before = {k: {n: v.clone() for n, v in s.items() if n != "step"} for k, s in opt.state.items()}
    with pytest.raises(ConfigError, match="has shape"):
        opt.load_state_dict(other_opt.state_dict())
    assert opt.lr == 1e-3 and all(torch.equal(opt.state[k]["exp_avg"], before[k]["exp_avg"]) for k in before)

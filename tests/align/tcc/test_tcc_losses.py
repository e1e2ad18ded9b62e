"""TCC-family losses on small cases checked by hand or against plain numpy loops (TCC's released formulas)."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist

from mvsync.align.tcc import ALGORITHMS, LossConfig, build_objective
from mvsync.align.tcc.losses import (
    cycle_back_classification,
    cycle_back_logits,
    cycle_back_regression,
    npairs_loss,
    pairwise_sq_distances,
    sal_loss,
    sal_triplets,
    scaled_similarity,
    tcn_loss,
)
from mvsync.errors import ConfigError


def t(values):
    return torch.tensor(values, dtype=torch.float64)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference_logits(embs, temperature):
    """Cycle-back logits of every ordered pair (i, j), i != j, with numpy loops (TCC's align_pair_of_sequences)."""
    out, starts = [], []
    d = embs.shape[2]
    for i in range(len(embs)):
        for j in range(len(embs)):
            if i != j:
                alpha = softmax(-cdist(embs[i], embs[j], "sqeuclidean") / d / temperature)
                nearest = alpha @ embs[j]
                out.append(-cdist(nearest, embs[i], "sqeuclidean") / d / temperature)
                starts.append(i)
    return np.stack(out), starts


def test_pairwise_sq_distances_match_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    np.testing.assert_allclose(pairwise_sq_distances(t(a), t(b)).numpy(), cdist(a, b, "sqeuclidean"), atol=1e-12)


def test_similarity_is_negative_squared_l2_over_dims_and_temperature():
    a, b = t([[0.0, 0.0]]), t([[1.0, 2.0]])
    assert scaled_similarity(a, b, temperature=0.1).item() == pytest.approx(-5.0 / 2 / 0.1)


def test_regression_with_variance_by_hand():
    # two videos u = v = [0, 1] (D = 1), temperature 1: alpha_0 = softmax([0, -1]) = [a, 1 - a]
    a = 1 / (1 + math.exp(-1))
    nearest0 = 1 - a  # soft nearest neighbour of u_0 in v
    beta0 = np.array([math.exp(-nearest0**2), math.exp(-(1 - nearest0) ** 2)])
    beta0 /= beta0.sum()
    times = np.array([0.0, 0.5])  # frame index / length 2
    mu = beta0 @ times
    var = beta0 @ (times - mu) ** 2
    expected = (0.0 - mu) ** 2 / var + 0.001 * math.log(var)  # frame 1 and the pair (1, 0) are symmetric
    embs = t([[[0.0], [1.0]], [[0.0], [1.0]]])
    loss = cycle_back_regression(embs, torch.tensor([[0, 1], [0, 1]]), torch.tensor([2, 2]), temperature=1.0)
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    assert loss.item() == pytest.approx(0.6271, abs=1e-4)


def test_regression_matches_a_numpy_loop_on_random_embeddings():
    rng = np.random.default_rng(1)
    embs = rng.normal(size=(3, 5, 4))
    steps = np.sort(rng.choice(40, size=(3, 5), replace=False), axis=1)
    lengths = np.array([40, 50, 45])
    logits, starts = reference_logits(embs, 0.1)
    terms = []
    for p, i in enumerate(starts):
        times = steps[i] / lengths[i]
        for row, true_time in zip(softmax(logits[p]), times):
            mu = row @ times
            var = row @ (times - mu) ** 2
            terms.append((true_time - mu) ** 2 / var + 0.001 * np.log(var))
    loss = cycle_back_regression(t(embs), torch.from_numpy(steps), torch.from_numpy(lengths))
    assert loss.item() == pytest.approx(np.mean(terms), rel=1e-9)
    np.testing.assert_allclose(cycle_back_logits(t(embs), temperature=0.1).numpy(), logits, rtol=1e-9, atol=1e-9)


def test_classification_matches_label_smoothed_cross_entropy():
    rng = np.random.default_rng(2)
    embs = rng.normal(size=(3, 4, 2))
    logits, _ = reference_logits(embs, 0.1)
    log_p = np.log(softmax(logits))  # (P, T, T)
    target = 0.9 * np.eye(4) + 0.1 / 4  # label smoothing 0.1 over T = 4 classes
    expected = -(target[None] * log_p).sum(-1).mean()
    assert cycle_back_classification(t(embs)).item() == pytest.approx(expected, rel=1e-9)


def test_distinct_frames_cycle_back_with_almost_no_loss():
    embs = t([[[0.0], [9.0]], [[0.0], [9.0]]])
    assert cycle_back_classification(embs, temperature=1.0, label_smoothing=0.0).item() < 1e-10


def test_a_video_that_stands_still_costs_more_than_one_that_moves_along():
    u = torch.linspace(0, 3, 6)[:, None].repeat(1, 2).double()
    steps, lengths = torch.arange(6).repeat(2, 1), torch.tensor([6, 6])
    aligned = cycle_back_regression(torch.stack([u, u + 0.05]), steps, lengths)
    frozen = cycle_back_regression(torch.stack([u, torch.zeros_like(u)]), steps, lengths)
    assert aligned < frozen


def test_npairs_by_hand():
    eye = t(np.eye(2))
    # logits I: each row's cross-entropy is -log(e / (e + 1)) = log(1 + e^-1); penalty 0.25 * 0.002 * (1 + 1)
    assert npairs_loss(eye, eye).item() == pytest.approx(math.log(1 + math.exp(-1)) + 0.001)
    assert npairs_loss(eye, eye.flip(0), reg_lambda=0.0).item() == pytest.approx(math.log(1 + math.e))


def test_tcn_pairs_frames_two_by_two():
    anchors = t(np.eye(3) * 5)
    positives = anchors + 0.1
    embs = torch.stack([torch.stack([positives, anchors], dim=1).reshape(6, 3)])  # (1, 6, 3): pos, anchor, ...
    assert tcn_loss(embs).item() == pytest.approx(npairs_loss(positives, anchors).item())
    shuffled = torch.stack([torch.stack([positives.flip(0), anchors], dim=1).reshape(6, 3)])
    assert tcn_loss(shuffled) > tcn_loss(embs)


def test_sal_triplets_are_ordered_or_shuffled_as_labelled():
    idx, labels = sal_triplets(4, 20, num_samples=8, shuffle_fraction=0.75, generator=torch.Generator().manual_seed(0))
    assert idx.shape == (32, 3) and int(labels.sum()) == 24
    assert idx.min() >= 0 and idx.max() < 20
    diffs = np.sign(np.diff(idx.numpy(), axis=1))
    monotone = np.all(diffs == diffs[:, :1], axis=1)
    assert np.all(monotone == (labels.numpy() == 0))


def test_sal_loss_of_a_constant_classifier_is_the_label_entropy():
    class Constant(torch.nn.Module):  # always predicts shuffled with probability 3/4
        def forward(self, x):
            return torch.tensor([0.0, math.log(3.0)], dtype=x.dtype).expand(len(x), 2)

    loss = sal_loss(torch.zeros(4, 10, 3, dtype=torch.float64), Constant(), generator=torch.Generator().manual_seed(0))
    assert loss.item() == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))


def test_registry_names_and_unknown_algorithm():
    assert ALGORITHMS.names() == ["sal", "tcc", "tcc+sal", "tcc+tcn", "tcn"]
    with pytest.raises(ConfigError, match="choose one of sal, tcc"):
        build_objective("tcc+dtw", LossConfig(), 8)


@pytest.mark.parametrize("algo", ["tcc", "tcn", "sal", "tcc+tcn", "tcc+sal"])
def test_every_objective_gives_a_finite_loss_and_gradient(algo):
    objective = build_objective(algo, LossConfig(), 8)
    frames = 12 if objective.pairs else 6
    embs = torch.randn(3, frames, 8, requires_grad=True)
    steps = torch.arange(frames).repeat(3, 1)
    loss, logs = objective(embs, steps, torch.tensor([frames] * 3), torch.Generator().manual_seed(0))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(embs.grad).all() and embs.grad.abs().sum() > 0
    assert set(logs) == set(algo.split("+"))


def test_combinations_weight_their_parts():
    objective = build_objective("tcc+tcn", LossConfig(tcc_weight=0.25), 8)
    embs, steps = torch.randn(2, 8, 8), torch.arange(8).repeat(2, 1)
    loss, logs = objective(embs, steps, torch.tensor([8, 8]), torch.Generator().manual_seed(0))
    assert loss.item() == pytest.approx(0.25 * logs["tcc"] + 0.75 * logs["tcn"], rel=1e-6)


def test_classification_variant_is_selected_by_the_config():
    embs, steps, lengths = torch.randn(2, 5, 8), torch.arange(5).repeat(2, 1), torch.tensor([5, 5])
    objective = build_objective("tcc", LossConfig(cycle_loss="classification"), 8)
    loss, _ = objective(embs, steps, lengths, torch.Generator())
    assert loss.item() == pytest.approx(cycle_back_classification(embs).item())
    with pytest.raises(ConfigError, match="cycle_loss"):
        build_objective("tcc", LossConfig(cycle_loss="huber"), 8)

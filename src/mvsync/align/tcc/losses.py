"""Self-supervised losses of the TCC paper family on per-frame embeddings (Dwibedi et al. 2019, sec. 3-4).

Shapes: ``embs`` is ``(B, T, D)``: B videos, T sampled frames each, D-dimensional embeddings; ``steps`` ``(B, T)``
holds the frame index each embedding came from and ``lengths`` ``(B,)`` the frame count of each video.

- :func:`cycle_back_regression` and :func:`cycle_back_classification`: temporal cycle-consistency (TCC);
- :func:`tcn_loss`: time-contrastive networks, the n-pairs loss on (positive, anchor) pairs;
- :func:`sal_loss`: Shuffle and Learn, order verification of frame triplets.

The formulas follow the authors' released code (``google-research/tcc``) where the paper leaves a choice open;
each function says which.

Example
-------
>>> u = torch.arange(4.0)[:, None].repeat(1, 2)  # (T, D): one video moving steadily
>>> steps, lengths = torch.arange(4).repeat(2, 1), torch.tensor([4, 4])
>>> aligned = cycle_back_regression(torch.stack([u, u + 0.01]), steps, lengths)  # two videos of one motion
>>> frozen = cycle_back_regression(torch.stack([u, torch.zeros_like(u)]), steps, lengths)  # one video stands still
>>> bool(aligned < frozen)
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MIN_VARIANCE = 1e-12  # floor of sigma^2 so that log(sigma^2) stays finite on a perfect (one-hot) cycle


def pairwise_sq_distances(a: Tensor, b: Tensor) -> Tensor:
    """Squared Euclidean distances between the rows of ``a`` ``(..., M, D)`` and ``b`` ``(..., N, D)``: ``(..., M, N)``.

    >>> pairwise_sq_distances(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0], [0.0, 1.0]])).tolist()
    [[25.0, 1.0]]
    """
    cross = a @ b.transpose(-1, -2)  # (..., M, N)
    sq = (a * a).sum(-1)[..., :, None] + (b * b).sum(-1)[..., None, :] - 2 * cross
    return sq.clamp(min=0.0)  # rounding can make ||a||^2 + ||b||^2 - 2ab slightly negative


def scaled_similarity(a: Tensor, b: Tensor, *, temperature: float) -> Tensor:
    """TCC's similarity: the negative squared distance divided by D (the embedding size) and by the temperature.

    The division by D is in the authors' code ("this normalization helps with optimization"), not in the paper.

    >>> scaled_similarity(torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 1.0]]), temperature=0.5).tolist()
    [[-2.0]]
    """
    return -pairwise_sq_distances(a, b) / a.shape[-1] / temperature


def cycle_back_logits(embs: Tensor, *, temperature: float) -> Tensor:
    """Logits of cycling back from every frame of video i through video j to video i, for all pairs i != j.

    For frame ``u_t`` of video i: its soft nearest neighbour in video j is ``v~ = sum_s alpha_s v_s`` with
    ``alpha = softmax_s(sim(u_t, v_s))`` (paper eq. 1); the logits of cycling back are ``sim(v~, u_k)`` over
    the frames k of video i (eq. 2's softmax argument).

    Parameters
    ----------
    embs : (B, T, D), B >= 2.

    Returns
    -------
    (B * (B - 1), T, T): pair (i, j) in row-major order without the diagonal; ``[p, t, k]`` scores frame k of
    video i as the end of the cycle started at its frame t.
    """
    n = embs.shape[0]
    sim = scaled_similarity(embs[:, None], embs[None, :], temperature=temperature)  # (B, B, T, T): u_i to v_j
    nearest = torch.softmax(sim, dim=-1) @ embs[None, :]  # (B, B, T, D): soft nearest neighbour of u_i in v_j
    back = scaled_similarity(nearest, embs[:, None], temperature=temperature)  # (B, B, T, T): v~ to u_i
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=embs.device)  # (B, B)
    return back[off_diagonal]  # (B * (B - 1), T, T)


def cycle_back_regression(
    embs: Tensor,
    steps: Tensor,
    lengths: Tensor,
    *,
    temperature: float = 0.1,
    variance_lambda: float = 0.001,
    normalize_indices: bool = True,
) -> Tensor:
    """Cycle-back regression with variance (paper eq. 4-5, TCC's default loss ``regression_mse_var``).

    ``beta = softmax(logits)`` over the frames of the starting video; with their times ``s_k``
    (frame index / video length when ``normalize_indices``), ``mu = sum beta_k s_k`` and
    ``sigma^2 = sum beta_k (s_k - mu)^2``; the loss is the mean over cycles of
    ``(s_t - mu)^2 / sigma^2 + lambda * log(sigma^2)``.

    Parameters
    ----------
    embs : (B, T, D), B >= 2.
    steps : (B, T) frame index of every embedding in its video.
    lengths : (B,) frame count of every video (divides the indices).

    >>> embs = torch.tensor([[[0.0], [1.0]], [[0.0], [1.0]]])
    >>> loss = cycle_back_regression(embs, torch.tensor([[0, 1], [0, 1]]), torch.tensor([2, 2]), temperature=1.0)
    >>> round(float(loss), 4)
    0.6271
    """
    n, t = steps.shape
    logits = cycle_back_logits(embs, temperature=temperature)  # (P, T, T)
    times = steps.to(embs.dtype)
    if normalize_indices:
        times = times / lengths.to(embs.dtype)[:, None]  # (B, T)
    start = torch.arange(n, device=embs.device).repeat_interleave(n - 1)  # (P,) video i of every pair (i, j)
    times = times[start][:, None, :].expand(-1, t, -1)  # (P, T, T): times of the frames k of video i
    beta = torch.softmax(logits, dim=-1)  # (P, T, T)
    mu = (beta * times).sum(-1)  # (P, T)
    variance = (beta * (times - mu[..., None]) ** 2).sum(-1).clamp(min=MIN_VARIANCE)  # (P, T)
    true_time = times[:, 0, :]  # (P, T): the cycle started at frame t
    return ((true_time - mu) ** 2 / variance + variance_lambda * variance.log()).mean()


def cycle_back_classification(embs: Tensor, *, temperature: float = 0.1, label_smoothing: float = 0.1) -> Tensor:
    """Cycle-back classification (paper eq. 3): cross-entropy of the cycle ending on the frame it started from.

    >>> embs = torch.tensor([[[0.0], [9.0]], [[0.0], [9.0]]])
    >>> round(float(cycle_back_classification(embs, temperature=1.0, label_smoothing=0.0)), 6)
    0.0
    """
    logits = cycle_back_logits(embs, temperature=temperature)  # (P, T, T)
    p, t, _ = logits.shape
    target = torch.arange(t, device=embs.device).repeat(p)  # (P * T,)
    return F.cross_entropy(logits.reshape(p * t, t), target, label_smoothing=label_smoothing)


def npairs_loss(anchors: Tensor, positives: Tensor, *, reg_lambda: float = 0.002) -> Tensor:
    """N-pairs loss (Sohn 2016) as TCC's TCN uses it: softmax cross-entropy of ``anchors @ positives.T`` against
    the identity, plus ``reg_lambda / 4 * (mean ||a||^2 + mean ||p||^2)``.

    Parameters
    ----------
    anchors, positives : (N, D); row n of each shows (nearly) the same moment, other rows are negatives.

    >>> eye = torch.eye(2)
    >>> round(float(npairs_loss(eye, eye, reg_lambda=0.0)), 4)  # log(1 + e^-1)
    0.3133
    """
    logits = anchors @ positives.T  # (N, N)
    target = torch.arange(len(anchors), device=anchors.device)
    penalty = 0.25 * reg_lambda * ((anchors**2).sum(-1).mean() + (positives**2).sum(-1).mean())
    return F.cross_entropy(logits, target) + penalty


def tcn_loss(embs: Tensor, *, reg_lambda: float = 0.002) -> Tensor:
    """Time-contrastive loss: the mean over videos of :func:`npairs_loss` between frames ``0::2`` and ``1::2``.

    Parameters
    ----------
    embs : (B, 2T, D) with frames in pairs: ``embs[:, 2n]`` is the positive of ``embs[:, 2n + 1]`` (a frame at
        most ``positive_window`` frames before it); every other frame of the same video is a negative.
    """
    losses = [npairs_loss(e[0::2], e[1::2], reg_lambda=reg_lambda) for e in embs]
    return torch.stack(losses).mean()


def sal_triplets(
    batch_size: int,
    num_steps: int,
    *,
    num_samples: int = 8,
    shuffle_fraction: float = 0.75,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Shuffle and Learn triplets, as TCC's code draws them.

    For each of ``batch_size * num_samples`` samples, five distinct positions a < b < c < d < e are drawn among
    ``num_steps`` (reversed, for the whole batch, with probability 1/2). An ordered sample is (b, c, d); a
    shuffled one is (b, a, d) or (b, e, d). Exactly ``int(shuffle_fraction * total)`` samples are shuffled.

    Returns
    -------
    indices : (S, 3) positions; sample r belongs to video ``r % batch_size``.
    labels : (S,) 1 for shuffled, 0 for ordered.

    >>> idx, labels = sal_triplets(2, 5, num_samples=2, generator=torch.Generator().manual_seed(0))
    >>> idx.shape, int(labels.sum())
    (torch.Size([4, 3]), 3)
    """
    total = batch_size * num_samples
    labels = torch.zeros(total, dtype=torch.long)
    labels[: int(shuffle_fraction * total)] = 1
    labels = labels[torch.randperm(total, generator=generator)]
    five = torch.rand(total, num_steps, generator=generator).argsort(dim=1)[:, :5].sort(dim=1).values  # (S, 5)
    if torch.rand((), generator=generator) < 0.5:
        five = five.flip(1)
    left = torch.rand(total, generator=generator)[:, None] <= 0.5  # (S, 1): which outer frame replaces c
    shuffled = torch.where(left, five[:, [1, 0, 3]], five[:, [1, 4, 3]])
    ordered = five[:, [1, 2, 3]]
    return torch.where(labels[:, None] == 1, shuffled, ordered), labels


def sal_loss(
    embs: Tensor,
    classifier: nn.Module,
    *,
    num_samples: int = 8,
    shuffle_fraction: float = 0.75,
    label_smoothing: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Shuffle and Learn: cross-entropy of ``classifier`` telling ordered from shuffled triplets.

    The classifier sees the three embeddings concatenated, ``(S, 3D) -> (S, 2)`` logits (class 1: shuffled).
    """
    n, t, _ = embs.shape
    indices, labels = sal_triplets(
        n, t, num_samples=num_samples, shuffle_fraction=shuffle_fraction, generator=generator
    )
    indices, labels = indices.to(embs.device), labels.to(embs.device)
    video = torch.arange(len(indices), device=embs.device) % n  # (S,)
    triplets = embs[video[:, None], indices]  # (S, 3, D)
    logits = classifier(triplets.flatten(1))  # (S, 2)
    return F.cross_entropy(logits, labels, label_smoothing=label_smoothing)

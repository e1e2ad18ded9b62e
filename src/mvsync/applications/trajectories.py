"""t-SNE trajectories (issue 11, section 3; TCC supp. section 3, Fig. 1): the per-frame embeddings of a few clips
laid out in 2-D together, each clip a path in time order. Clips that are in sync trace the same path; where one
lags, its path runs behind the others. The t-SNE takes seconds (see :func:`tsne_trajectories`), so in a script::

    points = tsne_trajectories(frame_embeddings(features), seed=0)
    [p.shape for p in points]  # [(150, 2), (200, 2)]: a 2-D point per frame of each clip
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, InputError

MAX_CLIPS = 4  # more paths than this in one plot are unreadable (TCC's figure shows 2-4)


def tsne_trajectories(embeddings: list[np.ndarray], *, seed: int = 0, perplexity: float = 30.0) -> list[np.ndarray]:
    """One t-SNE (scikit-learn, ``random_state=seed``; PCA initialisation, random for 1-D embeddings) of every frame
    of every clip; returns each clip's ``(L_i, 2)`` points in its frame order.

    It runs on one thread: the same input then gives the same points on any machine (the order of a parallel sum
    changes its rounding), and it is faster here: 3.3 s for 350 points on one thread against 77 s with OpenMP's
    default threads on a busy 2-core machine (their spinning competes with the other jobs)."""
    check_clip_count(len(embeddings), MAX_CLIPS, "t-SNE")
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    stacked = np.concatenate([np.asarray(e, float).reshape(len(e), -1) for e in embeddings])  # (sum L, D)
    if not np.isfinite(stacked).all():
        raise InputError("t-SNE: the embeddings contain NaN or inf")
    perplexity = min(perplexity, (len(stacked) - 1) / 3)  # scikit-learn needs perplexity < n_samples
    init = "pca" if stacked.shape[1] >= 2 else "random"  # a 1-D embedding (a timeline position) has no 2-D PCA
    with threadpool_limits(limits=1):
        points = TSNE(n_components=2, perplexity=perplexity, init=init, random_state=seed).fit_transform(stacked)
    return np.split(points, np.cumsum([len(e) for e in embeddings])[:-1])


def thumbnail_frames(num_frames: int, n: int = 2) -> list[int]:
    """``n`` frames spread evenly inside a clip (at 1/(n+1), 2/(n+1)... of it), for the thumbnails.

    >>> thumbnail_frames(100)
    [33, 66]
    """
    return [int(round((k + 1) / (n + 1) * (num_frames - 1))) for k in range(n)]


def check_clip_count(n: int, most: int, what: str) -> None:
    """Between 2 and ``most`` clips for the figure ``what``."""
    if not 2 <= n <= most:
        raise ConfigError(f"{what}: takes 2 to {most} clips, got {n}")

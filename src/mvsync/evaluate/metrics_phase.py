"""Phase metrics (TCC, Dwibedi et al. 2019, section 5.2): how well per-frame embeddings encode action phases.

Both train small models on the frames of TRAIN videos and score them on VALIDATION videos:
``phase_classification`` (an SVM predicting the phase label) and ``phase_progression``
(linear regressions predicting how far each frame is from each key event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.svm import SVC

from ..errors import ConfigError, InputError
from .metrics import check_embeddings, check_labels


def phase_classification(
    train_embs: Sequence[np.ndarray],
    train_labels: Sequence[np.ndarray],
    val_embs: Sequence[np.ndarray],
    val_labels: Sequence[np.ndarray],
    *,
    fractions: Sequence[float] = (0.1, 0.5, 1.0),
    kernel: str = "linear",
) -> dict[float, float]:
    """Per-frame phase classification accuracy of an SVM trained on a fraction of the train videos.

    For each fraction f, an ``SVC(kernel=kernel, decision_function_shape="ovo")`` is fitted on
    all frames of the FIRST ``max(1, floor(f * n_train))`` train videos (in the given order, as
    TCC does) and scored by its accuracy over all validation frames (frames pooled, so longer
    videos weigh more).

    TCC's released code uses scikit-learn's default ``kernel="rbf"``; the linear kernel is the
    default here (a linear probe of the embedding). Pass ``kernel="rbf"`` to reproduce TCC.

    Parameters
    ----------
    train_embs, val_embs : lists of (L_i, D) arrays, at least 1 video each, one common D.
    train_labels, val_labels : lists of (L_i,) integer phase labels.
    fractions : in (0, 1]; the first videos used for training.
    kernel : any ``sklearn.svm.SVC`` kernel.

    Returns
    -------
    ``{fraction: accuracy}`` with accuracies in [0, 1].

    Examples
    --------
    >>> train = [np.array([[0.0], [1.0], [10.0], [11.0]])]
    >>> val = [np.array([[0.5], [10.5]])]
    >>> phase_classification(train, [np.array([0, 0, 1, 1])], val, [np.array([0, 1])], fractions=(1.0,))
    {1.0: 1.0}
    """
    train_x, train_y, val_x, val_y = _check_split(train_embs, train_labels, val_embs, val_labels)
    out = {}
    for fraction in _check_fractions(fractions):
        used = max(1, int(np.floor(fraction * len(train_x) + 1e-9)))  # + 1e-9: 0.3 * 10 is 3, not 2.999...
        x, y = np.concatenate(train_x[:used]), np.concatenate(train_y[:used])
        if len(np.unique(y)) < 2:
            raise InputError(
                f"train_labels: the first {used} train video(s) (fraction {fraction}) hold one phase label "
                f"only ({y[0]}); a classifier needs two"
            )
        model = SVC(kernel=kernel, decision_function_shape="ovo").fit(x, y)
        out[fraction] = float(model.score(np.concatenate(val_x), np.concatenate(val_y)))
    return out


@dataclass(frozen=True, eq=False)
class ProgressionResult:
    """R^2 of the per-event progression regressions on the validation frames."""

    r2: float  # mean of per_event
    per_event: np.ndarray  # (K - 1,) R^2 of event k = the transition from phase k to phase k + 1

    @property
    def n_events(self) -> int:
        return len(self.per_event)


def phase_progression(
    train_embs: Sequence[np.ndarray],
    train_labels: Sequence[np.ndarray],
    val_embs: Sequence[np.ndarray],
    val_labels: Sequence[np.ndarray],
) -> ProgressionResult:
    """Phase progression (TCC): linear regression from a frame's embedding to its distance from each key event.

    Phase labels are integers 0..K-1 that never decrease along a video (K = the largest
    label seen in train or validation, plus one). Key event k (k = 0..K-2) is the transition
    from phase k to phase k+1. In a video of L frames with labels y, its transition frame
    ``tau_k`` is the LAST frame whose label is <= k (TCC's "last frame of phase k"; if no
    frame is <= k, ``tau_k = -1``, just before the video). The target of frame t is::

        r_k(t) = (t - tau_k) / L

    negative before the event, 0 on the last frame of phase k, positive after it. For each
    event, one ``sklearn.linear_model.LinearRegression`` is fitted on all train frames and its
    R^2 (``sklearn.metrics.r2_score``) is computed on all validation frames pooled. The score is
    the mean R^2 over events (TCC's ``VectorRegression.score``). R^2 can be negative.

    Parameters
    ----------
    train_embs, val_embs : lists of (L_i, D) arrays, at least 1 video each, one common D.
    train_labels, val_labels : lists of (L_i,) non-decreasing integer labels >= 0; K >= 2.

    Examples
    --------
    >>> embs = [np.arange(4.0)[:, None]]
    >>> phase_progression(embs, [np.array([0, 0, 1, 1])], embs, [np.array([0, 0, 1, 1])]).r2
    1.0
    """
    train_x, train_y, val_x, val_y = _check_split(train_embs, train_labels, val_embs, val_labels)
    _check_monotone(train_y, "train_labels")
    _check_monotone(val_y, "val_labels")
    num_phases = int(max(y.max() for y in train_y + val_y)) + 1
    if num_phases < 2:
        raise InputError("train_labels: every frame has phase 0; phase progression needs at least 2 phases")
    per_event = []
    for k in range(num_phases - 1):
        model = LinearRegression().fit(np.concatenate(train_x), progression_targets(train_y, k))
        per_event.append(r2_score(progression_targets(val_y, k), model.predict(np.concatenate(val_x))))
    per_event = np.array(per_event, dtype=float)
    return ProgressionResult(float(per_event.mean()), per_event)


def progression_targets(labels_list: Sequence[np.ndarray], event: int) -> np.ndarray:
    """``(t - tau_k) / L`` for every frame of every video, concatenated (see :func:`phase_progression`).

    >>> progression_targets([np.array([0, 0, 1, 1])], 0).tolist()
    [-0.25, 0.0, 0.25, 0.5]
    """
    out = []
    for y in labels_list:
        tau = int(np.count_nonzero(y <= event)) - 1  # labels never decrease: the last frame <= k
        out.append((np.arange(len(y)) - tau) / len(y))
    return np.concatenate(out)


def _check_split(train_embs, train_labels, val_embs, val_labels):
    train_x = check_embeddings(train_embs, name="train_embs", min_videos=1)
    val_x = check_embeddings(val_embs, name="val_embs", min_videos=1)
    if train_x[0].shape[1] != val_x[0].shape[1]:
        raise InputError(f"val_embs: {val_x[0].shape[1]} dims, but train_embs have {train_x[0].shape[1]}")
    train_y = check_labels(train_labels, train_x, name="train_labels")
    val_y = check_labels(val_labels, val_x, name="val_labels")
    return train_x, train_y, val_x, val_y


def _check_fractions(fractions: Sequence[float]) -> tuple[float, ...]:
    fractions = tuple(fractions)
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ConfigError(f"fractions: each must be in (0, 1], got {fractions!r}")
    return fractions


def _check_monotone(labels: list[np.ndarray], name: str) -> None:
    for i, y in enumerate(labels):
        if y.min() < 0:
            raise InputError(f"{name}[{i}]: phase labels must be >= 0, got {int(y.min())}")
        if (np.diff(y) < 0).any():
            t = int(np.flatnonzero(np.diff(y) < 0)[0])
            raise InputError(
                f"{name}[{i}]: phase labels decrease at frame {t + 1} ({y[t]} -> {y[t + 1]}); phases must be ordered"
            )

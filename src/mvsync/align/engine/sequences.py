"""Turning user time series into padded tensors: the input contract of the DTAN and TPL estimators.

``X`` is either a numpy array ``(N, C, L)`` (or ``(N, L)`` for one channel) whose sequences may end early with
NaN padding, or a list of ``(C, L_i)`` arrays. ``lengths`` ``(N,)`` is optional: without it, a list's sequences
are as long as their arrays, and an array's end after their last frame holding any finite value. Inside a sequence,
NaN marks a missing value (kept, and masked later), also at a list sequence's end (a last frame where a clip's
features are invalid is still one of its frames).

Example
-------
>>> import numpy as np
>>> x, lengths = as_padded([np.ones((2, 5)), np.ones((2, 3))])
>>> tuple(x.shape), lengths.tolist()
((2, 2, 5), [5, 3])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from ...errors import InputError

Series = np.ndarray | Sequence[np.ndarray]


def as_padded(X: Series, lengths: Sequence[int] | np.ndarray | None = None) -> tuple[Tensor, Tensor]:
    """Padded float32 tensor ``(N, C, L)`` (NaN past each length) and lengths ``(N,)`` (int64)."""
    if isinstance(X, np.ndarray) or torch.is_tensor(X):
        x = _from_array(np.asarray(X, dtype=np.float32))
        own = None  # padded: the lengths are read from the NaN padding
    elif isinstance(X, (list, tuple)):
        x, own = _from_list(X)
    else:
        raise InputError(f"X: expected an (N, C, L) array or a list of (C, L_i) arrays, got {type(X).__name__}")
    if lengths is None:
        lengths = own
    n_lengths = _infer_lengths(x) if lengths is None else _check_lengths(lengths, x)
    if np.isinf(x).any():
        raise InputError("X: contains inf; use NaN for missing values")
    past = np.arange(x.shape[2])[None, :] >= n_lengths[:, None]  # (N, L)
    x[np.broadcast_to(past[:, None, :], x.shape)] = np.nan  # past the length is padding, whatever it held
    return torch.from_numpy(x), torch.from_numpy(n_lengths)


def _from_array(x: np.ndarray) -> np.ndarray:
    if x.ndim == 2:
        x = x[:, None, :]  # (N, 1, L)
    if x.ndim != 3 or x.shape[0] == 0 or x.shape[1] == 0:
        raise InputError(f"X: expected shape (N, C, L) or (N, L) with N, C >= 1, got {x.shape}")
    return x.copy()


def _from_list(X: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The sequences NaN-padded to one length, and each one's own length."""
    if len(X) == 0:
        raise InputError("X: empty list of sequences")
    seqs = [np.asarray(s, dtype=np.float32) for s in X]
    seqs = [s[None] if s.ndim == 1 else s for s in seqs]
    n_channels = seqs[0].shape[0]
    for i, s in enumerate(seqs):
        if s.ndim != 2 or s.shape[0] != n_channels or s.shape[1] == 0:
            raise InputError(f"X[{i}]: expected shape ({n_channels}, L_i) like X[0], got {s.shape}")
    out = np.full((len(seqs), n_channels, max(s.shape[1] for s in seqs)), np.nan, dtype=np.float32)
    for i, s in enumerate(seqs):
        out[i, :, : s.shape[1]] = s
    return out, np.array([s.shape[1] for s in seqs], dtype=np.int64)


def _infer_lengths(x: np.ndarray) -> np.ndarray:
    has_value = np.isfinite(x).any(axis=1)  # (N, L)
    last = x.shape[2] - np.argmax(has_value[:, ::-1], axis=1)  # one past the last finite frame
    lengths = np.where(has_value.any(axis=1), last, 0).astype(np.int64)
    return _check_lengths(lengths, x)


def _check_lengths(lengths: Sequence[int] | np.ndarray, x: np.ndarray) -> np.ndarray:
    arr = np.asarray(lengths)
    if arr.shape != (x.shape[0],) or not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"lengths: expected {x.shape[0]} integers, got shape {arr.shape} of {arr.dtype}")
    bad = np.flatnonzero((arr < 2) | (arr > x.shape[2]))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"lengths: sequence {i} has length {int(arr[i])}; need 2 <= length <= {x.shape[2]}")
    return arr.astype(np.int64)


def to_numpy_padded(x: Tensor, lengths: Tensor) -> np.ndarray:
    """``(N, ..., L)`` float64 numpy array with NaN past each length."""
    out = x.detach().cpu().double().numpy()
    past = np.arange(out.shape[-1])[None, :] >= lengths.cpu().numpy()[:, None]  # (N, L)
    out[np.broadcast_to(past.reshape(past.shape[:1] + (1,) * (out.ndim - 2) + past.shape[1:]), out.shape)] = np.nan
    return out

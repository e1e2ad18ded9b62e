"""The scikit-learn style contract shared by the :class:`~mvsync.align.engine.estimators.DTAN` and ``TPL`` estimators.

Both learn, from a set of sequences (optionally labelled), a net that warps every sequence onto a common timeline.
``fit`` trains it, ``transform`` returns the aligned sequences, ``warps`` the warp grids, and ``prototype_`` is the
mean aligned training sequence. ``save``/``load`` write and read checkpoints; ``fit(..., resume=path)`` continues a
saved run exactly where it stopped (same weights, optimizer, random stream and epoch).

Conventions: times are normalised to [0, 1] over each sequence's valid samples. ``warps(X)[i, j]`` is the time of
sequence ``i`` shown at common time ``s_j`` (``transform(X)[i, :, j] = X_i(warps(X)[i, j])``); ``inverse=True``
gives the other direction, common time as a function of the sequence's own time.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ...errors import ConfigError, InputError, NotFittedError, check_int_or_none
from .dtan import DTANet, own_grid, prior_precision
from .sequences import Series, as_padded, to_numpy_padded
from .tpl_losses import class_prototypes
from .checkpoint import load_checkpoint, save_checkpoint
from .fitting import FitConfig, Trainer, batch_of

_FIT_PARAMS = ("epochs", "batch_size", "lr", "weight_decay", "grad_clip", "seed", "device", "compile")


class JointAligner:
    """Shared fit / transform / warps / save / load; subclasses define the model and the objective."""

    _config_cls: type
    _model_cls: type
    _int_params: tuple[str, ...] = ("n_cells", "n_recurrences")  # validated as positive ints in fit
    _float_params: tuple[str, ...] = ("prior_weight", "prior_variance", "augment_variance")  # validated >= 0 in fit

    # ---- hooks -------------------------------------------------------------------------------------------
    def _model_config(self, n_channels: int) -> Any:
        raise NotImplementedError

    def _objective(self, model: nn.Module, batch: dict[str, Tensor], epoch: int, generator: torch.Generator):
        raise NotImplementedError

    def _thetas(self, x: Tensor, lengths: Tensor) -> list[Tensor]:
        raise NotImplementedError

    def _dtan(self) -> DTANet:
        raise NotImplementedError

    # ---- public API --------------------------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters, as given to ``__init__`` (scikit-learn's ``clone`` contract)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}

    def set_params(self, **params: Any) -> "JointAligner":
        """Set hyper-parameters by name; validated at the next ``fit``."""
        for name, value in params.items():
            if name not in self.get_params():
                raise ConfigError(f"{name}: not a parameter of {type(self).__name__}")
            setattr(self, name, value)
        return self

    def fit(
        self, X: Series, y: Sequence | None = None, lengths: Sequence[int] | None = None, *,
        resume: str | Path | None = None, checkpoint: str | Path | None = None, checkpoint_every: int = 10,
    ) -> "JointAligner":
        """Train on ``X``; with labels ``y`` the alignment is per class (one net, class-conditioned loss).

        ``resume`` continues a checkpoint up to ``epochs``. ``checkpoint`` is written every ``checkpoint_every``
        epochs and at the end; a ``{epoch}`` in it is replaced by the epoch, keeping every one.
        """
        self._check_params()
        if not isinstance(checkpoint_every, int) or checkpoint_every < 1:
            raise ConfigError(f"checkpoint_every: must be a positive int (got {checkpoint_every!r})")
        x, n = as_padded(X, lengths)
        labels = self._encode_labels(y, len(x))
        self.n_channels_, self.timeline_length_ = x.shape[1], int(n.max())
        payload = load_checkpoint(resume) if resume is not None else None
        config = self._config_cls(**payload["model_config"]) if payload else self._model_config(x.shape[1])
        if config.n_channels != x.shape[1]:
            raise InputError(f"X: has {x.shape[1]} channels, the checkpoint's model expects {config.n_channels}")
        self._setup(config, payload)

        def on_epoch_end(epoch: int) -> None:
            if checkpoint is not None and (epoch % checkpoint_every == 0 or epoch == self.epochs):
                self._set_prototypes(x, n, labels)
                self.save(str(checkpoint).format(epoch=epoch))

        self.trainer_.fit({"x": x, "lengths": n, "labels": labels}, on_epoch_end)
        self._set_prototypes(x, n, labels)
        return self

    def transform(self, X: Series, lengths: Sequence[int] | None = None) -> np.ndarray:
        """Aligned sequences ``(N, C, L)``, each on its own grid (NaN past its length)."""
        x, n = self._prepare(X, lengths)
        aligned = self._batched(x, n, lambda xb, nb, th: self._dtan().align(xb, nb, th), pad_to=x.shape[2])
        return to_numpy_padded(aligned, n)

    def warps(self, X: Series, lengths: Sequence[int] | None = None, *, n_points: int | None = None,
              inverse: bool = False) -> np.ndarray:
        """Warp grids ``(N, G)`` in normalised time: at each sequence's own ``L`` samples (NaN past its length),
        or at ``n_points`` common times ``linspace(0, 1)``. ``inverse`` gives common time per own time."""
        x, n = self._prepare(X, lengths)
        warp = self._dtan().inverse_grid if inverse else self._dtan().warp_grid

        def grids(xb: Tensor, nb: Tensor, thetas: list[Tensor]) -> Tensor:
            if n_points is not None:
                return warp(thetas, torch.linspace(0, 1, n_points, device=xb.device))  # (B, G)
            return warp(thetas, own_grid(nb, xb.shape[2]).to(xb.device))  # (B, L)

        out = self._batched(x, n, grids, pad_to=None if n_points is not None else x.shape[2])
        return out.double().numpy() if n_points is not None else to_numpy_padded(out, n)

    def save(self, path: str | Path, *, extra: dict[str, Any] | None = None) -> None:
        """Write a checkpoint: hyper-parameters, model config and weights, optimizer, RNG, epoch, prototypes.

        ``extra`` (plain values, lists and tensors) is stored as-is and comes back as ``extra_`` after ``load``.
        """
        self._check_fitted()
        save_checkpoint(path, {
            "extra": extra or {},
            "estimator": type(self).__name__,
            "params": self.get_params(),
            "model_config": asdict(self.config_),
            "model": self.model_.state_dict(),
            "trainer": self.trainer_.state_dict(),
            "fitted": {"classes": self.classes_.tolist(), "timeline_length": self.timeline_length_,
                       "class_prototypes": torch.from_numpy(self.class_prototypes_),
                       "class_counts": torch.from_numpy(self.class_counts_)},
        })

    @classmethod
    def load(cls, path: str | Path, *, device: str | None = None) -> "JointAligner":
        """Rebuild a fitted estimator from :meth:`save`'s checkpoint (on ``device``, default: the saved one)."""
        return cls.from_payload(load_checkpoint(path), source=str(path), device=device)

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, source: str = "checkpoint",
                     device: str | None = None) -> "JointAligner":
        """:meth:`load` for a checkpoint already read with :func:`~mvsync.align.engine.checkpoint.load_checkpoint`."""
        if payload.get("estimator") != cls.__name__:
            raise InputError(f"{source}: holds a {payload.get('estimator')} checkpoint, not {cls.__name__}")
        self = cls(**{**payload["params"], **({"device": device} if device is not None else {})})
        FitConfig(**{k: getattr(self, k) for k in _FIT_PARAMS}).check()
        self._setup(cls._config_cls(**payload["model_config"]), payload)
        fitted = payload["fitted"]
        self.classes_ = np.asarray(fitted["classes"])
        self.n_channels_, self.timeline_length_ = self.config_.n_channels, int(fitted["timeline_length"])
        self.class_prototypes_ = fitted["class_prototypes"].double().numpy()
        self.class_counts_ = fitted["class_counts"].numpy()
        self.prototype_ = self._overall_prototype()
        self.history_ = self.trainer_.history
        self.extra_ = payload.get("extra", {})
        return self

    # ---- internals ---------------------------------------------------------------------------------------
    def _setup(self, config: Any, payload: dict[str, Any] | None) -> None:
        """Build model and trainer from ``config`` (seeded init), then load a checkpoint's state if given."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = self._model_cls(config)
        fit_config = FitConfig(**{k: getattr(self, k) for k in _FIT_PARAMS})
        self.config_, self.model_ = config, model
        self.trainer_ = Trainer(model, self._objective, fit_config, progress=self.progress,
                                desc=f"fitting {type(self).__name__}")
        if payload is not None:
            model.load_state_dict(payload["model"])
            self.trainer_.load_state_dict(payload["trainer"])
        self._precision = prior_precision(self._dtan().cpab, length_scale=self.prior_length_scale,
                                          variance=self.prior_variance)

    def _augmented(self, batch: dict[str, Tensor], generator: torch.Generator) -> dict[str, Tensor]:
        """The batch with every sequence warped by its own random CPAB warp from the smoothness prior
        (``augment_variance``; 0 leaves it unchanged), so the net meets more timings than the training set has."""
        if not self.augment_variance:
            return batch
        x, lengths = batch["x"], batch["lengths"]
        cpab = self._dtan().cpab
        theta = cpab.sample_theta(len(x), length_scale=self.prior_length_scale, variance=self.augment_variance,
                                  generator=generator, dtype=x.dtype, device=x.device)  # (B, d)
        return {**batch, "x": cpab.warp(x, theta, lengths, pad_value=float("nan"))}

    def _encode_labels(self, y: Sequence | None, n: int) -> Tensor:
        if y is None:
            self.classes_ = np.array([0])
            return torch.zeros(n, dtype=torch.long)
        y = np.asarray(y)
        if y.shape != (n,):
            raise InputError(f"y: expected {n} labels, got shape {y.shape}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        return torch.from_numpy(codes.astype(np.int64))

    def _set_prototypes(self, x: Tensor, n: Tensor, labels: Tensor) -> None:
        t = self.timeline_length_
        aligned = self._batched(x, n, lambda xb, nb, th: self._dtan().align(xb, nb, th, n_points=t))  # (N, C, T)
        self.class_prototypes_ = class_prototypes(aligned, labels, len(self.classes_)).double().numpy()
        self.class_counts_ = np.bincount(labels.numpy(), minlength=len(self.classes_))
        self.prototype_ = self._overall_prototype()
        self.history_ = self.trainer_.history

    def _overall_prototype(self) -> np.ndarray:
        """Mean aligned sequence ``(C, T)``: the class prototypes weighted by class size."""
        weights = self.class_counts_ / self.class_counts_.sum()
        return np.tensordot(weights, self.class_prototypes_, axes=1)

    def _prepare(self, X: Series, lengths: Sequence[int] | None) -> tuple[Tensor, Tensor]:
        self._check_fitted()
        x, n = as_padded(X, lengths)
        if x.shape[1] != self.n_channels_:
            raise InputError(f"X: has {x.shape[1]} channels, the estimator was fitted on {self.n_channels_}")
        return x, n

    @torch.no_grad()
    def _batched(self, x: Tensor, n: Tensor, fn: Callable, pad_to: int | None = None) -> Tensor:
        """``fn(x_b, lengths_b, thetas_b)`` batch by batch in eval mode, concatenated on CPU; batches are cut to
        their longest sequence, so ``pad_to`` pads the time axis back (NaN)."""
        self.model_.eval()
        outs = []
        for idx in torch.arange(len(x)).split(self.batch_size):
            batch = batch_of({"x": x, "lengths": n}, idx, self.trainer_.config.device)
            out = fn(batch["x"], batch["lengths"], self._thetas(batch["x"], batch["lengths"])).float().cpu()
            if pad_to is not None:
                out = torch.nn.functional.pad(out, (0, pad_to - out.shape[-1]), value=float("nan"))
            outs.append(out)
        return torch.cat(outs)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"{type(self).__name__}: call fit() first")

    def _check_params(self) -> None:
        for name in self._int_params:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name}: must be a positive int (got {value!r})")
        for name in self._float_params:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value >= 0:
                raise ConfigError(f"{name}: must be a number >= 0 (got {value!r})")
        check_int_or_none("loc_length", self.loc_length, 2)  # DTAN's and TPL's
        if not self.prior_length_scale > 0:
            raise ConfigError(f"prior_length_scale: must be > 0 (got {self.prior_length_scale!r})")
        FitConfig(**{k: getattr(self, k) for k in _FIT_PARAMS}).check()

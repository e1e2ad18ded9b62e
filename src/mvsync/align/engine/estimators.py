"""Joint alignment estimators for any time series: :class:`DTAN` (Weber et al. 2019) and :class:`TPL` (D-MTAE).

``X`` is a numpy array ``(N, C, L)`` (NaN-padded where sequences are shorter) or a list of ``(C, L_i)`` arrays;
``y`` (optional) makes the alignment per class; ``lengths`` overrides the lengths read from the NaN padding.
The common methods (``fit``, ``transform``, ``warps``, ``save``, ``load``) are described in :mod:`.joint`.

Example
-------
>>> import numpy as np
>>> X = np.sin(np.linspace(0, 6, 40))[None, None] + 0.1 * np.random.default_rng(0).normal(size=(6, 1, 40))
>>> dtan = DTAN(n_filters=4, depth=3, n_recurrences=1, epochs=2).fit(X)
>>> dtan.transform(X).shape, dtan.warps(X).shape, dtan.prototype_.shape
((6, 1, 40), (6, 40), (1, 40))
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from ...errors import ConfigError
from .distributed import gather_rows, local_rows
from .dtan import DTANConfig, DTANet, common_warp_loss, prior_loss, wcss_loss
from .joint import JointAligner
from .sequences import Series, to_numpy_padded
from .tpl import DMTAE, TPLConfig, TPLWeights, tpl_loss
from .tpl_losses import between_clip_share, sigmoid_anneal, vae_noise


class DTAN(JointAligner):
    """Diffeomorphic Temporal Alignment Net: an InceptionTime net predicts recurrent CPAB warps that minimise
    the within-class variance of the aligned series (WCSS) plus DTAN's smoothness prior on ``theta``.

    Parameters
    ----------
    n_cells, zero_boundary : int, bool
        CPAB tessellation (seed: 16 cells, zero velocity at both ends, so ``dim(theta) = 15``).
    n_recurrences : int
        Recurrent passes of the shared localization net; the warps compose exactly.
    n_filters, depth : int
        InceptionTime width (filters per branch, x4 per block) and number of blocks (seed: 32, 6).
    loc_length : int or None
        The localization net reads a sequence longer than this at this many evenly spaced times, each the mean over
        the frames it stands for, instead of at every frame (None: every frame, the seed). Its cost then stays the
        same for long sequences; the warps still apply at every frame.
    prior_weight : float
        Weight of ``sum_passes mean theta^T Sigma^-1 theta`` (DTAN's code: 0.1).
    prior_length_scale, prior_variance : float
        Squared-exponential prior on the knot velocities that defines ``Sigma``.
    augment_variance : float
        Training augmentation: each batch sequence is first warped by a random CPAB warp drawn from the smoothness
        prior with this variance (and ``prior_length_scale``); 0 (default) turns it off. 0.01-0.05 gives moderate
        tempo changes.
    epochs, batch_size, lr, weight_decay, grad_clip : training (AdamW; seed: 300, 64, 1e-4, 1e-4, None)
    seed : int
        Seeds weight init, batch order and noise: seeded CPU runs are deterministic.
    device : str
        ``"cpu"`` or ``"cuda[:k]"``.
    compile : bool
        ``torch.compile`` the net for training, every batch padded to the longest sequence (one graph). Meant for
        a GPU, where the small net is bound by kernel launches; the first steps pay the compilation.
    progress : bool
        Show a tqdm bar over epochs.

    Fitted attributes: ``model_``, ``config_``, ``classes_``, ``class_prototypes_`` ``(K, C, T)``, ``prototype_``
    ``(C, T)``, ``history_`` (per-epoch losses), ``trainer_``.
    """

    _config_cls = DTANConfig
    _model_cls = DTANet
    _int_params = ("n_cells", "n_recurrences", "n_filters", "depth")

    def __init__(
        self, *, n_cells: int = 16, zero_boundary: bool = True, n_recurrences: int = 4, n_filters: int = 32,
        depth: int = 6, loc_length: int | None = None, prior_weight: float = 0.1, prior_length_scale: float = 0.1,
        prior_variance: float = 0.1, augment_variance: float = 0.0, epochs: int = 300, batch_size: int = 64,
        lr: float = 1e-4, weight_decay: float = 1e-4, grad_clip: float | None = None, seed: int = 0,
        device: str = "cpu", compile: bool = False, progress: bool = False,
    ) -> None:
        self.n_cells = n_cells
        self.zero_boundary = zero_boundary
        self.n_recurrences = n_recurrences
        self.n_filters = n_filters
        self.depth = depth
        self.loc_length = loc_length
        self.prior_weight = prior_weight
        self.prior_length_scale = prior_length_scale
        self.prior_variance = prior_variance
        self.augment_variance = augment_variance
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.seed = seed
        self.device = device
        self.compile = compile
        self.progress = progress

    def _model_config(self, n_channels: int) -> DTANConfig:
        return DTANConfig(n_channels, self.n_cells, self.zero_boundary, self.n_recurrences, self.n_filters, self.depth,
                          self.loc_length)

    def _objective(self, model: DTANet, batch: dict[str, Tensor], epoch: int, generator: torch.Generator):
        batch = self._augmented(batch, generator)
        local = local_rows(batch)  # under torchrun: this rank's rows; the loss sees the global batch
        thetas = [gather_rows(theta, len(batch["x"])) for theta in model(local["x"], local["lengths"])]
        aligned = self.model_.align(batch["x"], batch["lengths"], thetas, n_points=self.timeline_length_)  # (B, C, T)
        wcss = wcss_loss(aligned, batch["labels"])
        prior = prior_loss(thetas, self._precision)
        return wcss + self.prior_weight * prior, {"wcss": wcss.item(), "prior": prior.item()}

    def _thetas(self, x: Tensor, lengths: Tensor) -> list[Tensor]:
        return self.model_(x, lengths)

    def _dtan(self) -> DTANet:
        return self.model_


class TPL(JointAligner):
    """Temporal Prototype Learning with the D-MTAE: the encoder's 1-D latents are jointly aligned by a DTAN; the
    loss is seed eq. 6 (ICAE on the latents, annealed, + reconstruction [+ KL, smoothness, trajectory variance]).

    ``transform`` warps the input sequences themselves with the warps learned on their latents.

    Parameters
    ----------
    variational : bool
        VAE variant (seed: for OpenCLIP/DINO features), adding eqs. 1, 3, 4, 5.
    widths : tuple of int
        Encoder widths (seed Table 2: 128, 64, 32, 16 then 1); the decoder mirrors them.
    latent_norm : bool or str
        Normalisation of the plain autoencoder's latent, which keeps ICAE from shrinking ``Z`` to 0: ``"batch"``
        (or True) an affine-free BatchNorm; ``"clip"`` each clip's latent z-scored over its own frames, so that
        offsets between clips (or actions) cannot stand in for variation within a clip; frozen frames are left
        out of the statistics (a frozen lead-in or pause would otherwise shift a clip's statistics away from its
        copies'); ``"none"`` (or False).
    n_cells, zero_boundary, n_recurrences, loc_filters, loc_depth, loc_length
        The DTAN on the latent (see :class:`DTAN`; ``loc_length`` is its ``loc_length``).
    icae_weight, anneal_center, anneal_width : float
        ``lambda_t = icae_weight * sigmoid((epoch / epochs - center) / width)``.
    beta, gamma, alpha : float
        Weights of KL, smoothness and trajectory variance (VAE only). ``n_traj_steps`` is eq. 5's ``K``.
    prior_weight, prior_length_scale, prior_variance : float
        Optional DTAN smoothness prior on the latent warps (0: off, as ICAE needs no regulariser).
    center_weight : float
        Weight of the common-warp penalty: joint alignment is defined only up to a warp ``h`` shared by every
        sequence (``g_i o h`` aligns as well as ``g_i``), and nothing in ICAE stops ``h`` from parking most of the
        common time on one moment. This term, ``mean_s (mean_i g_i(s) - s)^2`` per class, keeps the average warp
        at the identity (0: off).
    between_weight : float
        Weight of the share of the latent's variance that lies between clips (their mean levels) rather than
        within them: a latent that codes the performer instead of the motion gives ICAE nothing to align. An
        alternative to ``latent_norm="clip"`` that leaves each clip's level free where clips differ by a lead-in
        or a tail (0: off).
    augment_variance : float
        Random-warp training augmentation, as for :class:`DTAN` (0: off).
    epochs, batch_size, lr, weight_decay, grad_clip, seed, device, compile, progress
        As for :class:`DTAN` (seed: AdamW, 300 epochs, batch 64, lr 1e-4, weight decay 1e-4).
    """

    _config_cls = TPLConfig
    _model_cls = DMTAE
    _int_params = ("n_cells", "n_recurrences", "loc_filters", "loc_depth", "n_traj_steps")
    _float_params = ("icae_weight", "beta", "gamma", "alpha", "prior_weight", "prior_variance", "augment_variance",
                     "center_weight", "between_weight")

    def __init__(
        self, *, variational: bool = False, widths: tuple[int, ...] = (128, 64, 32, 16), latent_norm: bool | str = True,
        n_cells: int = 16, zero_boundary: bool = True, n_recurrences: int = 4, loc_filters: int = 32,
        loc_depth: int = 6, loc_length: int | None = None, icae_weight: float = 1.0, anneal_center: float = 0.3,
        anneal_width: float = 0.1, beta: float = 1e-3, gamma: float = 1e-2, alpha: float = 1e-2, n_traj_steps: int = 16,
        prior_weight: float = 0.0, prior_length_scale: float = 0.1, prior_variance: float = 0.1,
        center_weight: float = 0.0, between_weight: float = 0.0, augment_variance: float = 0.0, epochs: int = 300,
        batch_size: int = 64, lr: float = 1e-4, weight_decay: float = 1e-4, grad_clip: float | None = None,
        seed: int = 0, device: str = "cpu", compile: bool = False, progress: bool = False,
    ) -> None:
        self.variational = variational
        self.widths = widths
        self.latent_norm = latent_norm
        self.n_cells = n_cells
        self.zero_boundary = zero_boundary
        self.n_recurrences = n_recurrences
        self.loc_filters = loc_filters
        self.loc_depth = loc_depth
        self.loc_length = loc_length
        self.icae_weight = icae_weight
        self.anneal_center = anneal_center
        self.anneal_width = anneal_width
        self.beta = beta
        self.gamma = gamma
        self.alpha = alpha
        self.n_traj_steps = n_traj_steps
        self.prior_weight = prior_weight
        self.prior_length_scale = prior_length_scale
        self.prior_variance = prior_variance
        self.center_weight = center_weight
        self.between_weight = between_weight
        self.augment_variance = augment_variance
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.seed = seed
        self.device = device
        self.compile = compile
        self.progress = progress

    def _check_params(self) -> None:
        super()._check_params()
        if not self.widths or any(not isinstance(w, int) or w < 1 for w in self.widths):
            raise ConfigError(f"widths: must be a non-empty tuple of positive ints (got {self.widths!r})")
        if self.latent_norm not in (True, False, "batch", "clip", "none"):
            raise ConfigError(f"latent_norm: 'batch', 'clip' or 'none' (got {self.latent_norm!r})")
        if not self.anneal_width > 0:
            raise ConfigError(f"anneal_width: must be > 0 (got {self.anneal_width!r})")

    def encode(self, X: Series, lengths: Sequence[int] | None = None) -> np.ndarray:
        """Latents ``Z`` ``(N, L)`` (the VAE mean), NaN past each length."""
        x, n = self._prepare(X, lengths)
        z = self._batched(x, n, lambda xb, nb, th: self.model_.encode(xb, nb)[0][:, 0], pad_to=x.shape[2])
        return to_numpy_padded(z, n)

    def _model_config(self, n_channels: int) -> TPLConfig:
        return TPLConfig(
            n_channels, self.variational, tuple(self.widths), self.latent_norm, self.n_cells, self.zero_boundary,
            self.n_recurrences, self.loc_filters, self.loc_depth, self.loc_length,
        )

    def _objective(self, model: DMTAE, batch: dict[str, Tensor], epoch: int, generator: torch.Generator):
        batch = self._augmented(batch, generator)
        x = batch["x"]
        noise = vae_noise((len(x), 1, x.shape[2]), generator, x.dtype) if self.variational else None  # (B, 1, L)
        local = local_rows({**batch, **({"noise": noise} if noise is not None else {})})  # this rank's rows
        out = model(local["x"], local["lengths"], noise=local.get("noise"), n_points=self.timeline_length_)
        out = out.map(lambda t: gather_rows(t, len(x)))  # every rank's rows: ICAE's prototypes are the global batch's
        lambda_t = self.icae_weight * sigmoid_anneal(
            epoch, self.epochs, center=self.anneal_center, width=self.anneal_width
        )
        weights = TPLWeights(self.beta, self.gamma, self.alpha, self.n_traj_steps)
        total, logs = tpl_loss(self.model_, out, batch, lambda_t=lambda_t, weights=weights,
                               n_classes=len(self.classes_), n_points=self.timeline_length_)
        if self.prior_weight > 0:
            prior = prior_loss(out.thetas, self._precision)
            total, logs["prior"] = total + self.prior_weight * prior, prior.item()
        if self.center_weight > 0:
            center = common_warp_loss(self.model_.dtan, out.thetas, batch["labels"])
            total, logs["center"] = total + self.center_weight * center, center.item()
        if self.between_weight > 0:
            between = between_clip_share(out.z, batch["lengths"])
            total, logs["between"] = total + self.between_weight * between, between.item()
        return total, logs

    def _thetas(self, x: Tensor, lengths: Tensor) -> list[Tensor]:
        z, _, _ = self.model_.encode(x, lengths)  # (B, 1, L)
        return self.model_.dtan(z, lengths)

    def _dtan(self) -> DTANet:
        return self.model_.dtan

"""``mvsync sync --method tpl``: Temporal Prototype Learning as a video aligner.

The clips' per-frame features are standardised over the set, then a :class:`~mvsync.align.engine.TPL` model
either comes from a training checkpoint (``model=path``) or is fitted on the clips themselves (unsupervised
test-time fitting, a small net for a few seconds on CPU). The common timeline is the prototype's: ``T`` steps (the
median clip length) evenly spread over normalised time [0, 1].

Direction of the frame maps (the WHY): the DTAN resamples clip ``i`` as ``aligned_i(s) = U_i(g_i(s))``, so at
prototype time ``s`` the aligned sequence shows clip ``i`` at its own normalised time ``g_i(s)``: the frame map is
``g_i(s) * (L_i - 1)``, the forward warp grid, not its inverse (``g_i^-1`` takes clip time to prototype time).

Pace of the timeline: joint alignment fixes the warps only up to a common warp ``h`` (``g_i o h`` aligns as well),
and the learned prototype time may rush through the action and idle elsewhere. With ``recenter`` the timeline
steps are placed where the mean clip time ``mean_i g_i(s)`` is evenly spaced, i.e. ``g_i o h`` with
``h = (mean_i g_i)^-1``: the relative alignment is unchanged and the timeline moves at the clips' average pace.

Refinement (``refine`` rounds, see :mod:`~mvsync.align.prototype_refine`): the smooth 16-cell warps cannot make the
kinks of a frozen lead-in or a sudden tempo change, so the maps are then sharpened by DTW of every clip to the
feature prototype read along them (DBA), within ``refine_band`` of the TPL map. The timeline keeps its (recentered)
steps: the prototype is read at them and DTW only re-chooses the clip frames matched to each step, so the pace stays
the one above up to the band. ``refine=0`` gives the TPL maps unchanged.

Refinement only where the clips agree: the prototype is the mean of the features the clips show at each step, so
it is sharp when the clips show the same thing (retimed copies, the same performer and camera) and a blur when they
do not (different performers filmed from different places), and DTW to a blur drifts: on 9 actions x 25 Penn Action
test clips, refinement raised the key-event error from 6.16 to 7.50 frames. So the refined maps are kept only where
the prototype then explains the clips (:func:`~mvsync.align.prototype_refine.prototype_residual` along the refined
maps below ``refine_below``: 0.00-0.22 on retimed copies, 0.63-0.96 on those Penn Action sets). The residual is read
after refinement, not before, because TPL's smooth maps alone can be far enough off on copies (9 frames) for the
clips to look unlike each other until the refinement has aligned them.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> seqs = [rng.normal(size=(40, 3)).cumsum(0) for _ in range(3)]
>>> aligner = TPLAligner(epochs=2).fit(seqs)
>>> len(aligner.frame_maps_), aligner.frame_maps_[0].shape, aligner.reference_
(3, (40,), None)
"""

from __future__ import annotations

import logging
import time

import numpy as np

from ..errors import ConfigError, InputError, check_int_or_none
from .base import ALIGNERS, VideoAligner
from .engine import DTAN, TPL, JointAligner, load_checkpoint
from .prototype_refine import prototype_residual, refine_frame_maps
from .standardizer import Standardizer, standardize_set

ESTIMATORS = {"TPL": TPL, "DTAN": DTAN}

log = logging.getLogger(__name__)


@ALIGNERS.register("tpl")
class TPLAligner(VideoAligner):
    """Synchronise clips on a learned temporal prototype (D-MTAE).

    Parameters
    ----------
    model : str or None
        Path of a ``mvsync train --algo tpl`` (or ``dtan``) checkpoint trained on the same kind of features: its
        standardisation and warps are used as they are. None fits on the clips themselves.
    epochs, lr, grad_clip : int, float, float or None
        Test-time fitting (ignored with ``model``): up to ``batch_size`` clips form one batch, so one step per
        epoch. A higher learning rate than the seed's 1e-4 (with gradient clipping) because there are only
        ``epochs`` steps. 100 epochs (300 before 2026-11-28): on Penn Action (9 actions x 25 test clips,
        unrefined, seeds 0-5) the key-event error was 6.33 frames on average against 6.67 with 300, and 5.75-6.96
        against 5.76-8.00; on retimed copies the refined maps were as good (docs/scale_features.md). The fit is
        most of ``tpl``'s cost on clips of up to about 1000 frames.
    batch_size : int
        Clips per step of the test-time fit (ignored with ``model``). With more clips than this, each pass over
        them takes several steps, and the fit makes as many passes as keep its steps at about ``epochs``: the fit
        then costs the same for 100 clips as for 1000 (issue 12, section 4), and only the frame maps and the
        refinement grow with N.
    n_recurrences, loc_filters, loc_depth, widths : int, int, int, tuple
        Size of the test-time model: smaller than the seed's (4, 32, 6, (128, 64, 32, 16)) to fit in seconds.
    loc_length : int or None
        The localization net reads a latent longer than this averaged down to this many evenly spaced times, each
        the mean over the frames it stands for (None: every frame, the seed; with ``model``, the checkpoint's).
        15 warp parameters need only a few points per cell, and the net's cost no longer grows with the clips'
        length: on Penn Action the key-event error stayed within the seed spread (6.67 against 6.60 frames over
        6 seeds; docs/scale_features.md).
    variational : bool
        VAE variant (for DINO/CLIP features).
    latent_norm : str
        How the plain autoencoder's latent is normalised (see :class:`~mvsync.align.engine.estimators.TPL`):
        ``"clip"`` (default) z-scores each clip's latent over its own moving frames. With ``"batch"``
        (the default before) the net can tell performers apart by the level of their latent instead of following
        their motion: on Penn Action's test clips (9 actions x 25, unrefined, seed 0) the key-event error was 7.31
        frames with it and 6.20 with ``"clip"`` (raw DTW 6.57, no warping 6.99; README, "TPL against DTW").
    recenter : bool
        Pace the timeline at the clips' average pace (see the module notes) instead of the raw prototype time.
    refine, refine_band, refine_below : int, float, float
        Most rounds of DBA refinement after the TPL warps (0: none; it stops early once the maps stop changing; a
        round costs a few ms per clip), the half-width of its DTW search band around the TPL map, as a fraction
        of each clip's length, and the prototype residual along the refined maps below which they are kept
        (see the module notes; a large value keeps them always). Applies with ``model`` too.
    refine_length : int or None
        Coarse to fine: when the timeline or a clip is longer than this, the refinement's rounds run on the clips
        averaged over blocks of frames, then at most 2 rounds on every frame near the coarse result (None: every
        round on every frame). On 6 retimed copies of about 1000 frames it took 0.26 s instead of 0.86 s, with a
        mean error of 0.42 frames instead of 0.53 (:func:`~mvsync.align.prototype_refine.refine_frame_maps`).
    fit_length : int or None
        Test-time fitting sees each clip time-downsampled to at most this many frames (evenly spaced frames; None:
        every frame). The warps live on normalised time [0, 1], so they apply to the full clips unchanged, and the
        refinement then runs on every frame. 256 frames are 16 per CPAB cell, more than a 16-cell warp can use;
        without the cap the fit's cost grows with the clips' length (issue 12, section 4: 20 clips of 526-1283
        frames took 577 s to fit, DTW 8 s). docs/scale_features.md gives the cost and the accuracy kept.
    seed, device, progress
        Determinism seed, torch device, progress bar.

    Fitted attributes: ``frame_maps_`` (list of ``(T,)`` float arrays, NaN where the clip has no content),
    ``reference_`` (None), ``estimator_`` (the :class:`TPL`), ``timeline_length_`` (``T``), ``prototype_residual_``
    (along the TPL maps), ``refined_residual_`` (along the refined maps; None with ``refine=0``), ``refined_``
    (whether the refined maps were kept) and ``summary_`` (those three, saved in ``sync.json``).
    """

    def __init__(
        self, *, model: str | None = None, epochs: int = 100, lr: float = 5e-3, grad_clip: float | None = 1.0,
        n_recurrences: int = 1, loc_filters: int = 8, loc_depth: int = 3, widths: tuple[int, ...] = (32, 16),
        loc_length: int | None = 64, batch_size: int = 64, variational: bool = False, latent_norm: str = "clip",
        recenter: bool = True, refine: int = 4, refine_band: float = 0.2, refine_below: float = 0.5,
        refine_length: int | None = 256, fit_length: int | None = 256, seed: int = 0, device: str = "cpu",
        progress: bool = False,
    ) -> None:
        self.model = model
        self.epochs = epochs
        self.lr = lr
        self.grad_clip = grad_clip
        self.n_recurrences = n_recurrences
        self.loc_filters = loc_filters
        self.loc_depth = loc_depth
        self.widths = widths
        self.loc_length = loc_length
        self.batch_size = batch_size
        self.variational = variational
        self.latent_norm = latent_norm
        self.recenter = recenter
        self.refine = refine
        self.refine_band = refine_band
        self.refine_below = refine_below
        self.fit_length = fit_length
        self.refine_length = refine_length
        self.seed = seed
        self.device = device
        self.progress = progress

    def fit(self, seqs: list[np.ndarray], masks: list[np.ndarray] | None = None) -> "TPLAligner":
        masks = [np.ones(len(s), bool) for s in seqs] if masks is None else [np.asarray(m, bool) for m in masks]
        _check_inputs(seqs, masks)
        self.check_params()
        estimator, standardizer = self._trained(seqs[0].shape[1]) if self.model is not None else (None, None)
        if standardizer is not None:  # a checkpoint of mvsync train: prepare the clips like its training clips
            data = [standardizer.transform(np.asarray(s, np.float64)) for s in seqs]
        else:
            data = standardize_set([np.asarray(s, np.float64) for s in seqs], masks)
        X = [np.where(m[:, None], d, np.nan).T for d, m in zip(data, masks)]  # (C, L_i), NaN on missing frames
        if estimator is None:  # test-time fitting: on the clips as the fit sees them, which also give the warps
            X = [self._for_fit(x) for x in X]
        self.estimator_ = estimator if estimator is not None else self._estimator(X)
        lengths = np.array([len(s) for s in seqs])
        self.timeline_length_ = int(np.median(lengths))
        grids = self._grids(X, np.array([x.shape[1] for x in X]))  # (N, T) clip time in [0, 1] at each step
        frames = [_monotone(g * (n - 1), n) for g, n in zip(grids, lengths)]  # (T,) each
        self.prototype_residual_ = prototype_residual(data, masks, frames)
        self.refined_residual_, self.refined_ = None, False
        if self.refine:
            start = time.perf_counter()
            refined = refine_frame_maps(data, masks, frames, n_iter=self.refine, band=self.refine_band,
                                        coarse_length=self.refine_length)
            self.refined_residual_ = prototype_residual(data, masks, refined)
            self.refined_ = self.refined_residual_ < self.refine_below
            elapsed = time.perf_counter() - start
            log.debug("refined %d frame maps in %.3f s", len(frames), elapsed, extra={"refine_s": elapsed})
            if self.refined_:
                frames = refined
            else:
                log.info("tpl: prototype refinement not kept: the clips differ too much for one prototype (residual "
                         "%.2f after refinement, refine_below %.2f)", self.refined_residual_, self.refine_below)
        self.frame_maps_ = [_frame_map(f, m) for f, m in zip(frames, masks)]
        self.reference_ = None
        return self

    @property
    def summary_(self) -> dict:
        """What ``sync`` saves as ``extra.aligner``: the fitted residuals and decision, as plain JSON values
        (an AttributeError before ``fit``, like every fitted attribute)."""
        return {"prototype_residual": _rounded(self.prototype_residual_), "refinement_kept": self.refined_,
                "refined_residual": _rounded(self.refined_residual_)}

    def check_params(self) -> None:
        """Raise :class:`ConfigError` on the first invalid option (the test-time model's through :class:`TPL`)."""
        if not isinstance(self.refine, (int, np.integer)) or isinstance(self.refine, bool) or self.refine < 0:
            raise ConfigError(f"refine: must be an int >= 0 (got {self.refine!r})")
        if not isinstance(self.refine_band, (int, float)) or not 0 < self.refine_band <= 1:
            raise ConfigError(f"refine_band: must be in (0, 1] (got {self.refine_band!r})")
        if isinstance(self.refine_below, bool) or not isinstance(self.refine_below, (int, float)) \
                or not self.refine_below >= 0:
            raise ConfigError(f"refine_below: must be a number >= 0 (got {self.refine_below!r})")
        for name in ("recenter", "variational"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ConfigError(f"{name}: must be True or False (got {getattr(self, name)!r})")
        for name in ("fit_length", "refine_length"):
            check_int_or_none(name, getattr(self, name), 2)
        if not isinstance(self.widths, (tuple, list)):
            raise ConfigError(f"widths: must be a tuple of positive ints (got {self.widths!r})")
        if self.model is None:
            self._test_time_model(epochs=self.epochs, batch_size=self.batch_size)._check_params()

    def _trained(self, n_channels: int) -> tuple[JointAligner, Standardizer | None]:
        """The TPL (or DTAN) checkpoint named by ``model`` and, if ``mvsync train`` wrote it, its standardisation."""
        payload = load_checkpoint(self.model)
        if payload.get("estimator") not in ESTIMATORS:
            raise ConfigError(f"{self.model}: not a TPL or DTAN checkpoint (train one with the tpl or dtan algorithm)")
        estimator = ESTIMATORS[payload["estimator"]].from_payload(payload, source=str(self.model), device=self.device)
        if estimator.n_channels_ != n_channels:
            raise InputError(
                f"{self.model}: model expects {estimator.n_channels_} feature channels, clips have {n_channels}"
            )
        return estimator, Standardizer.from_extra(estimator.extra_)

    def _estimator(self, X: list[np.ndarray]) -> TPL:
        batch_size = min(len(X), self.batch_size)
        steps_per_pass = -(-len(X) // batch_size)
        return self._test_time_model(epochs=max(1, round(self.epochs / steps_per_pass)), batch_size=batch_size).fit(X)

    def _test_time_model(self, *, epochs: int, batch_size: int) -> TPL:
        """The unfitted test-time :class:`TPL` (its ``_check_params`` checks every option it takes)."""
        return TPL(
            variational=self.variational, latent_norm=self.latent_norm, widths=tuple(self.widths),
            n_recurrences=self.n_recurrences, loc_filters=self.loc_filters, loc_depth=self.loc_depth,
            loc_length=self.loc_length, epochs=epochs, lr=self.lr, grad_clip=self.grad_clip, batch_size=batch_size,
            seed=self.seed, device=self.device, progress=self.progress,
        )

    def _for_fit(self, x: np.ndarray) -> np.ndarray:
        """A clip ``(C, L)`` as the fit sees it: at most ``fit_length`` evenly spaced frames ``(C, L')``."""
        if self.fit_length is None or x.shape[1] <= self.fit_length:
            return x
        return x[:, np.round(np.linspace(0, x.shape[1] - 1, self.fit_length)).astype(int)]

    def _grids(self, X: list[np.ndarray], lengths: np.ndarray) -> np.ndarray:
        """Normalised clip times ``(N, T)`` shown at the timeline steps (see "Pace of the timeline")."""
        if not self.recenter:
            return self.estimator_.warps(X, lengths, n_points=self.timeline_length_)  # (N, T)
        fine = np.linspace(0.0, 1.0, 8 * self.timeline_length_)  # prototype times, finely
        grids = self.estimator_.warps(X, lengths, n_points=len(fine))  # (N, 8T) g_i at those times
        mean = np.maximum.accumulate(grids.mean(axis=0))  # (8T,) monotone, from 0 to 1
        steps = np.interp(np.linspace(0.0, 1.0, self.timeline_length_), mean, fine)  # (T,) h at even mean times
        return np.stack([np.interp(steps, fine, g) for g in grids])  # (N, T) g_i o h


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None and np.isfinite(value) else None


def _monotone(frames: np.ndarray, length: int) -> np.ndarray:
    """Fractional frames clipped to the clip and made monotone: a diffeomorphism; this only fixes rounding."""
    return np.maximum.accumulate(np.clip(frames, 0, length - 1))


def _frame_map(frames: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Monotone fractional frame indices ``(T,)``, NaN where the nearest frame has no content."""
    frames = _monotone(frames, len(mask))
    nearest = np.rint(frames).astype(int)
    return np.where(mask[nearest], frames, np.nan)


def _check_inputs(seqs: list[np.ndarray], masks: list[np.ndarray]) -> None:
    if len(seqs) < 2:
        raise InputError(f"need at least 2 sequences to align, got {len(seqs)}")
    if len(masks) != len(seqs):
        raise InputError(f"masks: {len(masks)} masks for {len(seqs)} sequences")
    for i, (seq, mask) in enumerate(zip(seqs, masks)):
        if np.ndim(seq) != 2 or len(seq) < 2 or np.shape(seq)[1] != np.shape(seqs[0])[1]:
            raise InputError(f"sequence {i}: expected (L>=2, {np.shape(seqs[0])[1]}) features, got {np.shape(seq)}")
        if mask.shape != (len(seq),) or not mask.any():
            raise InputError(f"sequence {i}: mask must be ({len(seq)},) with at least one valid frame")
        if not np.isfinite(np.asarray(seq)[mask]).all():
            raise InputError(f"sequence {i}: features contain NaN or inf on valid frames")

"""Temporal Prototype Learning: the Diffeomorphic Multitasking Autoencoder (D-MTAE), seed Table 2 and eqs. 1-6.

An encoder maps a multichannel sequence ``U_i`` ``(C, L_i)`` to a 1-D latent ``Z_i`` ``(L_i,)``; a DTAN jointly aligns
the latents (``Z~_i = Z_i o g_i``); a decoder maps the aligned latent back to ``C`` channels, and the reconstruction is
brought back to the video's own time with the exact inverse warp (``Psi_dec(Z~_i) o g_i^-1``). Training mixes the
ICAE loss on the latents (per-class prototype warped back into each sequence) with the reconstruction loss; the VAE
variant (for DINO/CLIP features) adds eqs. 1, 3, 4 and 5.

Missing frames (NaN anywhere in a frame's channels) are replaced by zeros before the convolutions and left out of
every loss; frames past a sequence's length are masked in every layer (see ``masked.py``).

Example
-------
>>> import torch
>>> model = DMTAE(TPLConfig(n_channels=3, loc_filters=4, loc_depth=3, n_recurrences=1)).eval()
>>> out = model(torch.randn(2, 3, 20), torch.tensor([20, 15]))
>>> tuple(out.z.shape), tuple(out.recon.shape), len(out.thetas)
((2, 1, 20), (2, 3, 20), 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from .dtan import DTANConfig, DTANet, own_grid, resample
from .masked import MaskedBatchNorm1d, length_mask, standardize_per_sequence
from .tpl_losses import class_prototypes, icae_loss, kl_loss, reconstruction_loss, reparameterize
from .tpl_losses import smoothness_loss, trajectory_variance_loss


@dataclass(frozen=True)
class TPLConfig:
    """Architecture of a :class:`DMTAE`; saved in checkpoints and enough to rebuild the model."""

    n_channels: int  # input channels C
    variational: bool = False  # VAE variant: mu and log sigma^2 heads (seed, for OpenCLIP/DINO features)
    widths: tuple[int, ...] = (128, 64, 32, 16)  # encoder widths (seed Table 2); the decoder mirrors them
    latent_norm: bool | str = True  # plain AE: "batch" (or True) affine-free BatchNorm on Z, keeps ICAE from
    # shrinking Z to 0; "clip": each clip's Z z-scored over its own moving frames (no offsets between clips or
    # actions for the norm to use; frozen lead-ins, pauses and tails are left out of the statistics); False / "none":
    # off
    n_cells: int = 16  # CPAB cells (seed: 16)
    zero_boundary: bool = True  # dim(theta) = n_cells - 1 (seed: 15)
    n_recurrences: int = 4  # DTAN recurrent passes
    loc_filters: int = 32  # InceptionTime filters per branch (seed: 32)
    loc_depth: int = 6  # Inception blocks (seed: 6)
    loc_length: int | None = None  # the localization net reads a longer latent at this many times (None: every frame)

    def dtan(self) -> DTANConfig:
        """The config of the DTAN that aligns the 1-channel latent."""
        return DTANConfig(1, self.n_cells, self.zero_boundary, self.n_recurrences, self.loc_filters, self.loc_depth,
                          self.loc_length)


class ConvStack(nn.Module):
    """Conv -> masked BatchNorm -> GELU layers, the mask re-applied after each (Table 2's encoder and decoder)."""

    def __init__(self, widths: tuple[int, ...], transpose: bool) -> None:
        super().__init__()
        conv = nn.ConvTranspose1d if transpose else nn.Conv1d
        self.convs = nn.ModuleList(conv(a, b, 3, padding=1) for a, b in zip(widths[:-1], widths[1:]))
        self.norms = nn.ModuleList(MaskedBatchNorm1d(b) for b in widths[1:])

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:  # x (B, C, L), mask (B, 1, L)
        for conv, norm in zip(self.convs, self.norms):
            x = nn.functional.gelu(norm(conv(x), mask)) * mask  # (B, C', L)
        return x


def motion_weight(x: Tensor, mask: Tensor) -> Tensor:
    """``(B, 1, L)`` 1 on frames that move, 0 on frozen ones (a lead-in, a pause, a tail: a change from the previous
    frame below a tenth of the clip's median change), and on missing frames and padding. Binary, so that a clip
    played faster or slower gets the same weights: only freezes are left out of per-clip statistics."""
    step = torch.nan_to_num(x.diff(dim=2, prepend=x[..., :1]), nan=0.0).norm(dim=1, keepdim=True)  # (B, 1, L)
    step = step.masked_fill(~mask, float("nan"))
    typical = torch.nanmedian(step, dim=2, keepdim=True).values.nan_to_num(0.0)  # (B, 1, 1)
    moving = (step > 0.1 * typical) & mask
    frozen_clip = ~moving.any(2, keepdim=True)  # a clip that never moves: use all its frames
    return (moving | (frozen_clip & mask)).to(x.dtype)


@dataclass
class DMTAEOutput:
    """What one forward pass computes; tensors are ``(B, ., L)`` on each sequence's own grid."""

    z: Tensor  # (B, 1, L) latent Z (sampled in VAE training, else the mean); zero past the length
    mu: Tensor | None  # (B, 1, L) VAE mean
    logvar: Tensor | None  # (B, 1, L) VAE log-variance
    thetas: list[Tensor]  # R x (B, dim) DTAN pass parameters
    recon: Tensor  # (B, C, L) Psi_dec(Z~) o g^-1: the reconstruction in the video's own time
    inverse: Tensor | None = None  # (B, L) g^-1 at each sequence's own grid (kept for the ICAE term)
    common: Tensor | None = None  # (B, T) g at T common times linspace(0, 1), if asked for (the ICAE prototypes)

    def map(self, fn: Callable[[Tensor], Tensor]) -> DMTAEOutput:
        """The output with ``fn`` applied to every tensor (e.g. gathering every rank's rows under torchrun)."""
        maybe = lambda t: None if t is None else fn(t)  # noqa: E731
        return DMTAEOutput(fn(self.z), maybe(self.mu), maybe(self.logvar), [fn(t) for t in self.thetas], fn(self.recon),
                           maybe(self.inverse), maybe(self.common))


class DMTAE(nn.Module):
    """Encoder -> DTAN on the latent -> decoder, with the exact inverse warp back to video time."""

    def __init__(self, config: TPLConfig) -> None:
        super().__init__()
        self.config = config
        widths = (config.n_channels, *config.widths)
        self.encoder = ConvStack(widths, transpose=False)
        self.mu_head = nn.Conv1d(widths[-1], 1, 3, padding=1)
        self.logvar_head = nn.Conv1d(widths[-1], 1, 3, padding=1) if config.variational else None
        norm = {True: "batch", False: "none"}.get(config.latent_norm, config.latent_norm)
        if norm not in ("batch", "clip", "none"):
            raise ValueError(f"latent_norm: 'batch', 'clip' or 'none' (got {config.latent_norm!r})")
        self.per_clip_norm = norm == "clip" and not config.variational
        self.latent_norm = MaskedBatchNorm1d(1, affine=False) if norm == "batch" and not config.variational else None
        self.dtan = DTANet(config.dtan())
        self.decoder = ConvStack((1, *reversed(config.widths)), transpose=True)
        self.out = nn.ConvTranspose1d(config.widths[0], config.n_channels, 3, padding=1)

    def encode(
        self, x: Tensor, lengths: Tensor, generator: torch.Generator | None = None, noise: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Latent ``(z, mu, logvar)``, each ``(B, 1, L)`` (``logvar`` None unless variational). VAE training draws
        its noise from ``generator``, unless ``noise`` ``(B, 1, L)`` gives the draws."""
        mask = length_mask(lengths, x.shape[2])[:, None]  # (B, 1, L)
        h = self.encoder(x.masked_fill(x.isnan() | ~mask, 0.0), mask)  # (B, 16, L)
        mu = self.mu_head(h) * mask  # (B, 1, L)
        if self.latent_norm is not None:
            mu = self.latent_norm(mu, mask)
        elif self.per_clip_norm:
            mu = standardize_per_sequence(mu, mask, weight=motion_weight(x, mask))
        if self.logvar_head is None:
            return mu, None, None
        logvar = self.logvar_head(h) * mask  # (B, 1, L)
        z = reparameterize(mu, logvar, generator, noise) * mask if self.training else mu
        return z, mu, logvar

    def decode(self, z_aligned: Tensor, mask: Tensor) -> Tensor:
        """``Psi_dec``: aligned latent ``(B, 1, L)`` -> aligned reconstruction ``(B, C, L)``."""
        return self.out(self.decoder(z_aligned * mask, mask)) * mask

    def forward(
        self, x: Tensor, lengths: Tensor, generator: torch.Generator | None = None, noise: Tensor | None = None,
        n_points: int | None = None,
    ) -> DMTAEOutput:
        """Encode, align the latents, decode, and bring the reconstruction back to each sequence's own time.
        ``n_points`` also evaluates the warps at that many common times (``out.common``, for the prototypes), in
        the same CPAB integrations as the own-grid warps."""
        mask = length_mask(lengths, x.shape[2])[:, None]  # (B, 1, L)
        z, mu, logvar = self.encode(x, lengths, generator, noise)  # (B, 1, L)
        thetas = self.dtan(z, lengths)
        n_own = x.shape[2]
        grid = own_grid(lengths, n_own).to(x.dtype)  # (B, L)
        if n_points is not None:  # points are independent: one integration serves both grids
            common = torch.linspace(0.0, 1.0, n_points, dtype=x.dtype, device=x.device).expand(len(x), -1)
            grid = torch.cat([grid, common], dim=1)  # (B, L + T)
        warps, inverses = self.dtan.warp_and_inverse(thetas, grid)  # (B, L [+ T]) each
        warp, inverse = warps[:, :n_own], inverses[:, :n_own]  # (B, L)
        z_aligned = resample(z, warp, lengths)  # (B, 1, L) Z~ = Z o g
        u_aligned = self.decode(z_aligned, mask)  # (B, C, L)
        recon = resample(u_aligned, inverse, lengths)  # (B, C, L) back in video time
        return DMTAEOutput(z, mu, logvar, thetas, recon, inverse, warps[:, n_own:] if n_points is not None else None)

    def prototype_back(
        self, out: DMTAEOutput, lengths: Tensor, frames: Tensor, labels: Tensor, n_classes: int, n_points: int
    ) -> tuple[Tensor, Tensor]:
        """Class prototypes ``(K, 1, T)``: masked means of the aligned latents on a common grid of ``n_points``
        (aligned values that read a missing frame, ``frames`` ``(B, 1, L)`` False, are left out); and each
        sequence's prototype warped back into its own time, ``(B, 1, L)``."""
        z = out.z.masked_fill(~frames, float("nan"))  # (B, 1, L) NaN marks what the mean must skip
        if out.common is not None and out.common.shape[1] == n_points:  # the forward pass's warps, reused
            z_common = resample(z, out.common, lengths)  # (B, 1, T)
        else:
            z_common = self.dtan.align(z, lengths, out.thetas, n_points)  # (B, 1, T)
        protos = class_prototypes(z_common, labels, n_classes)  # (K, 1, T)
        grid = out.inverse  # (B, L) g^-1 on the own grid, from the forward pass
        if grid is None:
            grid = self.dtan.inverse_grid(out.thetas, own_grid(lengths, out.z.shape[2]).to(out.z.dtype))
        t_lengths = torch.full_like(lengths, n_points)
        return protos, resample(protos[labels], grid, t_lengths)  # (B, 1, L)


@dataclass(frozen=True)
class TPLWeights:
    """Weights of seed eq. 6 (``lambda_t`` is given per epoch by the annealing schedule)."""

    beta: float = 1e-3  # KL (eq. 3), VAE only
    gamma: float = 1e-2  # temporal smoothness (eq. 4), VAE only
    alpha: float = 1e-2  # trajectory variance (eq. 5), VAE only
    n_steps: int = 16  # K, valid steps sampled for eq. 5


def tpl_loss(
    model: DMTAE,
    out: DMTAEOutput,
    batch: dict[str, Tensor],
    *,
    lambda_t: float,
    weights: TPLWeights,
    n_classes: int,
    n_points: int,
) -> tuple[Tensor, dict[str, float]]:
    """Seed eq. 6: ``lambda_t ICAE + rec + beta KL + gamma smooth + alpha traj-var`` (the last three: VAE only).

    ``batch`` holds ``x`` ``(B, C, L)`` (NaN on missing entries), ``lengths`` ``(B,)`` and ``labels`` ``(B,)``.
    """
    x, lengths = batch["x"], batch["lengths"]
    frames = length_mask(lengths, x.shape[2])[:, None] & ~x.isnan().any(1, keepdim=True)  # (B, 1, L) m^(z)
    entries = length_mask(lengths, x.shape[2])[:, None] & ~x.isnan()  # (B, C, L) M, entry by entry (eq. 2)
    _, back = model.prototype_back(out, lengths, frames, batch["labels"], n_classes, n_points)
    terms = {"icae": icae_loss(out.z, back, frames), "rec": reconstruction_loss(x, out.recon, entries)}
    total = lambda_t * terms["icae"] + terms["rec"]
    if out.mu is not None:
        terms["kl"] = kl_loss(out.mu, out.logvar, frames)
        terms["smooth"] = smoothness_loss(out.z, frames)
        terms["traj"] = trajectory_variance_loss(out.z, frames, weights.n_steps)
        total = total + weights.beta * terms["kl"] + weights.gamma * terms["smooth"] + weights.alpha * terms["traj"]
    return total, {k: v.item() for k, v in terms.items()}

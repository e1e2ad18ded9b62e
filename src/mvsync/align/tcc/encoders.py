"""The TCC encoder (seed Table 1): a base network per frame, then an embedder over each frame and its context.

For every embedded frame t the encoder sees ``k`` frames, ``t - (k - 1) * stride, ..., t - stride, t`` (clamped
at the first frame; only the past, as in TCC's ``get_steps``), never the index t itself: the embedding depends
on content only, so the losses cannot be satisfied by counting frames.

Shapes: ``x`` is ``(B, T, k, 3, H, W)`` RGB floats in [0, 255] for the frame bases, or ``(B, T, k, C)`` for
precomputed features; the output is ``(B, T, E)``.

Example
-------
>>> encoder = TCCEncoder(EncoderConfig(base="mlp", in_channels=32)).eval()
>>> encoder(torch.randn(2, 5, 2, 32)).shape
torch.Size([2, 5, 128])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ...errors import ConfigError
from .bases import BASES


@dataclass(frozen=True)
class EncoderConfig:
    """Architecture of :class:`TCCEncoder` (defaults: seed Table 1 and TCC's released config)."""

    base: str = "resnet50"  # "resnet50" or "vggm" (frames), "mlp" (precomputed per-frame features)
    in_channels: int = 3  # 3 for frames; the feature width for "mlp"
    image_size: int = 224  # frames are resized (squashed, as TCC does) to image_size x image_size
    context_frames: int = 2  # k: frames stacked in time per embedding (seed: k = 2)
    context_stride: int = 15  # frames between context frames (seed: 15 at 20 fps)
    width: int = 512  # channels of conv5_x and fc6_x, and the "mlp" base's projection
    embedding_size: int = 128  # the embedding every loss acts on
    dropout: float = 0.1  # before each fc6 layer (TCC: FC_DROPOUT_RATE)
    weights: str = "auto"  # resnet50: "auto" (env var, torch.hub cache, download), "random" or a file
    train_base: str = "only_bn"  # resnet50: "only_bn", "frozen" or "all" (vggm and mlp train entirely)
    resnet_blocks: int = 3  # conv4_x blocks kept (Table 1: 3; 6 is torchvision's whole layer3)
    feature_kind: str = ""  # Features.kind the "mlp" base expects ("pose", "appearance"...); selects augmentation

    @property
    def context_offsets(self) -> tuple[int, ...]:
        """How far back each stacked frame is, oldest first: ``(15, 0)`` for k = 2, stride 15."""
        return tuple((self.context_frames - 1 - j) * self.context_stride for j in range(self.context_frames))

    @property
    def takes_frames(self) -> bool:
        """True for RGB frame bases, False for bases over precomputed features."""
        return BASES.get(self.base).takes_frames

    def check(self) -> None:
        """Raise :class:`ConfigError` on the first invalid field."""
        BASES.get(self.base)
        for name in ("in_channels", "image_size", "context_frames", "context_stride", "width", "embedding_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name}: must be a positive int, got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout: must be in [0, 1), got {self.dropout!r}")
        if self.takes_frames and self.in_channels != 3:
            raise ConfigError(f"in_channels: the {self.base} base takes RGB frames (3), got {self.in_channels}")


class ConvEmbedder(nn.Module):
    """Table 1's embedder: conv5_x = two ``3x3x3`` Conv3d (512) with BatchNorm and ReLU over ``(k, h, w)``, a
    global 3-D max-pool, fc6_x = two FC 512 with ReLU, each after a dropout, and a linear embedding.

    On vector inputs (``spatial=False``, ``h = w = 1``) the kernels are ``3x1x1``: a 1-D convolution over the
    context axis (``3x3x3`` would only add taps that see zero padding).
    """

    def __init__(self, in_channels: int, *, spatial: bool, width: int = 512, embedding_size: int = 128,
                 dropout: float = 0.1) -> None:
        super().__init__()
        kernel, padding = ((3, 3, 3), (1, 1, 1)) if spatial else ((3, 1, 1), (1, 0, 0))
        self.conv5 = nn.Sequential(
            nn.Conv3d(in_channels, width, kernel, padding=padding, bias=False), nn.BatchNorm3d(width), nn.ReLU(),
            nn.Conv3d(width, width, kernel, padding=padding, bias=False), nn.BatchNorm3d(width), nn.ReLU(),
        )
        self.fc6 = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(width, width), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(width, width), nn.ReLU(),
        )
        self.embedding = nn.Linear(width, embedding_size)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv5(x)  # (N, width, k, h, w)
        x = torch.amax(x, dim=(2, 3, 4))  # (N, width): global spatio-temporal max-pool
        return self.embedding(self.fc6(x))  # (N, E)


class TCCEncoder(nn.Module):
    """Base network on every frame, then :class:`ConvEmbedder` on each frame's context stack.

    Parameters
    ----------
    config
        The architecture; kept as ``self.config`` (checkpoints rebuild the encoder from it).
    pretrained
        Load the resnet50 base's weights (False when a checkpoint's state dict follows anyway).
    """

    def __init__(self, config: EncoderConfig, *, pretrained: bool = True) -> None:
        super().__init__()
        config.check()
        self.config = config
        self.base = BASES.get(config.base)(config, pretrained=pretrained)
        self.embedder = ConvEmbedder(self.base.out_channels, spatial=self.base.spatial, width=config.width,
                                     embedding_size=config.embedding_size, dropout=config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        b, t, k = x.shape[:3]
        feats = self.base(x.flatten(0, 2))  # (B*T*k, C, h, w)
        feats = feats.unflatten(0, (b * t, k)).transpose(1, 2)  # (B*T, C, k, h, w)
        return self.embedder(feats).unflatten(0, (b, t))  # (B, T, E)


def encoder_config_for(config: EncoderConfig | None, *, frames: bool, channels: int, kind: str = "") -> EncoderConfig:
    """The encoder config that fits the training data: ``mlp`` over features of width ``channels``, or a frame base.

    >>> encoder_config_for(None, frames=False, channels=132, kind="pose").base
    'mlp'
    """
    if config is None:
        config = EncoderConfig() if frames else EncoderConfig(base="mlp")
    if frames != config.takes_frames:
        what, wanted = ("video frames", "a frame base (resnet50, vggm)") if frames else ("feature", "base='mlp'")
        raise ConfigError(f"base: {config.base!r} does not fit {what} inputs; use {wanted}")
    if not frames:
        config = dataclasses.replace(config, in_channels=channels, feature_kind=kind)
    config.check()
    return config

"""Base networks of the TCC encoder (seed Table 1, "Base Network"): features of one frame, before the embedder.

A base maps a batch of single inputs to feature maps ``(N, C, h, w)`` (``h = w = 1`` for vector inputs) and
exposes ``out_channels`` and ``spatial``. Registered in ``BASES``:

- ``resnet50``: ImageNet ResNet-50 up to conv4 (1024 channels at 14x14 for 224-px frames); weights from the
  user's cache (as the ``resnet50`` feature extractor finds them); by default only BatchNorm trains.
- ``vggm``: the VGG-M-like network of Table 1, trained from scratch (512 channels at 14x14 for 224 px).
- ``mlp``: precomputed per-frame features (pose 132-d, appearance 32-d, DINO 384-d, CLIP 512-d...),
  ``(N, C_in) -> (N, width, 1, 1)``, so that the same head trains on a CPU.

Frame bases take RGB frames ``(N, 3, H, W)`` as floats in [0, 255] and normalise them themselves.

Example
-------
>>> from types import SimpleNamespace
>>> base = BASES.get("vggm")(SimpleNamespace(in_channels=3), pretrained=False)  # or an encoders.EncoderConfig
>>> base(torch.zeros(1, 3, 224, 224)).shape
torch.Size([1, 512, 14, 14])
"""

from __future__ import annotations

from typing import Callable, Protocol

import torch
from torch import Tensor, nn

from ...errors import ConfigError
from ...registry import Registry


class BaseSettings(Protocol):
    """What a base reads of its encoder's configuration (``encoders.EncoderConfig`` has these fields and more)."""

    in_channels: int
    width: int
    weights: str
    train_base: str
    resnet_blocks: int


BASES: Registry[Callable[..., nn.Module]] = Registry("tcc base")
TRAIN_BASE = ("only_bn", "frozen", "all")  # resnet50 fine-tuning modes (TCC's CONFIG.MODEL.TRAIN_BASE)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class FrameNormalize(nn.Module):
    """``(x / 255 - mean) / std`` per RGB channel, on ``(N, 3, H, W)`` frames in [0, 255]."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return (x / 255.0 - self.mean) / self.std


@BASES.register("resnet50")
class ResNetBase(nn.Module):
    """ResNet-50 up to conv4 (torchvision layout: ``conv1 .. layer3[:blocks]``).

    Table 1 of the seed keeps 3 blocks of conv4_x (TCC's code reads ``conv4_block3_out`` of Keras' ResNet50V2),
    so ``config.resnet_blocks`` defaults to 3; 6 gives torchvision's whole ``layer3``. ``config.train_base``:
    ``only_bn`` (TCC's default: convolutions frozen, BatchNorm affine parameters and statistics trained),
    ``frozen`` (nothing trains, BatchNorm stays in eval mode) or ``all``.
    """

    takes_frames = True  # input: (N, 3, H, W) RGB in [0, 255]
    spatial = True  # output: a feature map (N, C, h, w)
    out_channels = 1024

    def __init__(self, config: BaseSettings, *, pretrained: bool = True) -> None:
        super().__init__()
        if config.train_base not in TRAIN_BASE:
            raise ConfigError(f"train_base: {config.train_base!r} is unknown; choose one of {', '.join(TRAIN_BASE)}")
        if not 1 <= config.resnet_blocks <= 6:
            raise ConfigError(f"resnet_blocks: conv4 has 6 blocks, got {config.resnet_blocks}")
        net = _resnet50(config.weights if pretrained else "random")
        self.train_base = config.train_base
        self.normalize = FrameNormalize(IMAGENET_MEAN, IMAGENET_STD)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3 = net.layer1, net.layer2, net.layer3[: config.resnet_blocks]
        for name, param in self.named_parameters():
            param.requires_grad = config.train_base == "all" or (config.train_base == "only_bn" and _is_bn(self, name))

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(self.normalize(x))  # (N, 64, H/4, W/4)
        x = self.layer2(self.layer1(x))  # (N, 512, H/8, W/8)
        return self.layer3(x)  # (N, 1024, H/16, W/16)

    def train(self, mode: bool = True) -> ResNetBase:
        super().train(mode)
        if self.train_base == "frozen":  # frozen means frozen statistics too
            super().train(False)
        return self


@BASES.register("vggm")
class VGGMBase(nn.Module):
    """The VGG-M-like base of Table 1, from scratch: conv1 7x7/2 64 + 3x3/2 max-pool, then [3x3, 128] x2,
    [3x3, 256] x2, [3x3, 512] x2, each conv with BatchNorm and ReLU, a 2x2/2 max-pool after the first two
    blocks (as in TCC's ``vggm_net``). Frames are scaled to [-1, 1] like TCC's input pipeline."""

    takes_frames = True
    spatial = True
    out_channels = 512

    def __init__(self, config: BaseSettings, *, pretrained: bool = True) -> None:
        super().__init__()
        self.normalize = FrameNormalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
        self.conv1 = nn.Sequential(*_conv_bn_relu(config.in_channels, 64, 7, stride=2), nn.MaxPool2d(3, 2, padding=1))
        pool = nn.MaxPool2d(2, 2, ceil_mode=True)  # TF's "same" pooling
        self.conv2 = nn.Sequential(*_conv_bn_relu(64, 128), *_conv_bn_relu(128, 128), pool)
        self.conv3 = nn.Sequential(*_conv_bn_relu(128, 256), *_conv_bn_relu(256, 256), pool)
        self.conv4 = nn.Sequential(*_conv_bn_relu(256, 512), *_conv_bn_relu(512, 512))
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")  # TCC: he_normal

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(self.normalize(x))  # (N, 64, H/4, W/4)
        x = self.conv3(self.conv2(x))  # (N, 256, H/16, W/16)
        return self.conv4(x)  # (N, 512, H/16, W/16)


@BASES.register("mlp")
class FeatureBase(nn.Module):
    """Precomputed per-frame features: z-scored per channel (a BatchNorm without affine parameters, so the
    statistics of the training set travel with the model), then ``Linear -> BatchNorm -> ReLU`` to ``width``."""

    takes_frames = False  # input: (N, C_in) features
    spatial = False  # output: (N, width, 1, 1)

    def __init__(self, config: BaseSettings, *, pretrained: bool = True) -> None:
        super().__init__()
        self.out_channels = config.width
        # momentum=None: the running statistics are the plain average over all training batches
        self.standardize = nn.BatchNorm1d(config.in_channels, affine=False, momentum=None)
        self.project = nn.Sequential(
            nn.Linear(config.in_channels, config.width), nn.BatchNorm1d(config.width), nn.ReLU()
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.project(self.standardize(x))[:, :, None, None]  # (N, width, 1, 1)


def _conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, stride: int = 1) -> list[nn.Module]:
    conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False)
    return [conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


def _is_bn(module: nn.Module, param_name: str) -> bool:
    owner = module.get_submodule(param_name.rsplit(".", 1)[0])
    return isinstance(owner, nn.modules.batchnorm._BatchNorm)


def _resnet50(weights: str) -> nn.Module:
    """torchvision's ImageNet ResNet-50, looked up like the ``resnet50`` feature extractor's weights."""
    from ...features.backbone import ResNet50Extractor, load_state_file, resolve_weights
    from ...features.nets import resnet50

    path = resolve_weights(ResNet50Extractor.source, weights)  # ConfigError with instructions when missing
    net = resnet50()
    if path is not None:
        try:
            net.load_state_dict(load_state_file(path), strict=True)
        except RuntimeError as err:
            raise ConfigError(f"{path}: not torchvision ResNet-50 weights ({str(err).splitlines()[0]})") from None
    return net

"""ResNet-50 in plain torch, laid out like torchvision's so its ImageNet checkpoints load with ``strict=True``.

torchvision cannot be imported next to a CPU-only torch build (GUIDE.md), so the network is written
here. Module names reproduce ``torchvision.models.resnet50`` exactly (``conv1``, ``bn1``,
``layer1``..``layer4`` of :class:`Bottleneck` blocks with ``conv1/bn1/conv2/bn2/conv3/bn3`` and
``downsample.0/.1``, ``fc``): 320 state-dict entries, ``num_batches_tracked`` included. The stride
sits on the 3x3 convolution ("ResNet v1.5"), as in torchvision.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Layer = Literal["pool", "conv4"]
LAYERS: tuple[str, ...] = ("pool", "conv4")
LAYER_CHANNELS = {"pool": 2048, "conv4": 1024}  # channels of each readout


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (strided) -> 1x1 expand, plus the (projected) shortcut."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)  # (B, 4*width, H/s, W/s)
        out = self.relu(self.bn1(self.conv1(x)))  # (B, width, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (B, width, H/s, W/s)
        out = self.bn3(self.conv3(out))  # (B, 4*width, H/s, W/s)
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """ImageNet ResNet-50 with readouts at the global pool (2048-d) or after ``layer3`` ("conv4").

    Parameters
    ----------
    num_classes
        Size of the ``fc`` classifier (1000 for the ImageNet checkpoints; kept so they load strictly).

    >>> net = ResNet50().eval()
    >>> net.forward_features(torch.zeros(1, 3, 224, 224), layer="conv4").shape
    torch.Size([1, 1024, 14, 14])
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self._in_channels = 64
        self.layer1 = self._make_layer(64, 3, stride=1)
        self.layer2 = self._make_layer(128, 4, stride=2)
        self.layer3 = self._make_layer(256, 6, stride=2)
        self.layer4 = self._make_layer(512, 3, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)
        self._init_weights()

    def _make_layer(self, width: int, blocks: int, stride: int) -> nn.Sequential:
        out_channels = width * Bottleneck.expansion
        downsample = None
        if stride != 1 or self._in_channels != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(self._in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        layers = [Bottleneck(self._in_channels, width, stride, downsample)]
        self._in_channels = out_channels
        layers += [Bottleneck(out_channels, width) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        # torchvision's initialisation, so that a random network behaves like an untrained one there
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward_features(self, x: torch.Tensor, *, layer: Layer = "pool") -> torch.Tensor:
        """Normalised images ``(B, 3, H, W)`` to pooled ``(B, 2048)`` or the conv4 map ``(B, 1024, H/16, W/16)``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (B, 64, H/4, W/4)
        x = self.layer1(x)  # (B, 256, H/4, W/4)
        x = self.layer2(x)  # (B, 512, H/8, W/8)
        x = self.layer3(x)  # (B, 1024, H/16, W/16)
        if layer == "conv4":
            return x
        x = self.layer4(x)  # (B, 2048, H/32, W/32)
        return torch.flatten(self.avgpool(x), 1)  # (B, 2048)

    def embed(self, x: torch.Tensor, *, layer: Layer = "pool") -> torch.Tensor:
        """One vector per image: ``(B, 2048)`` for ``pool``, the spatial mean of conv4 ``(B, 1024)`` for ``conv4``."""
        features = self.forward_features(x, layer=layer)
        return features if layer == "pool" else features.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits ``(B, num_classes)``."""
        return self.fc(self.forward_features(x, layer="pool"))


def resnet50() -> ResNet50:
    """A randomly initialised ResNet-50 (load a torchvision checkpoint into it for ImageNet weights)."""
    return ResNet50()

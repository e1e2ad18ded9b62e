"""InceptionTime, the localization net of DTAN and TPL (seed Table 3), made mask-aware.

Ismail Fawaz et al., "InceptionTime: Finding AlexNet for time series classification" (DMKD 2020), in the layout of
tsai's implementation that the seed cites: each block is a bottleneck Conv(k=1), three parallel Convs (k=39, 19, 9)
and a MaxPool(3) -> Conv(k=1) branch, concatenated to ``4 * n_filters`` channels, BatchNorm and ReLU. Every third
block adds a residual shortcut (Conv(k=1) + BatchNorm the first time, BatchNorm alone afterwards). A masked global
average pool and a Linear layer give one parameter vector per sequence.

Masks make padding irrelevant: inputs are zeroed past each length (so convolutions see the zero padding they would
see at the true end), the max-pool sees ``-inf`` there (as at a true end), and batch norm and pooling ignore it.

Example
-------
>>> import torch
>>> net = InceptionTime(3, 15, n_filters=8, depth=3)
>>> x, mask = torch.randn(2, 3, 40), torch.ones(2, 1, 40, dtype=torch.bool)
>>> net(x, mask).shape  # (B, n_out)
torch.Size([2, 15])
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .masked import MaskedBatchNorm1d, masked_mean


class InceptionBlock(nn.Module):
    """One Inception module: bottleneck, three kernel widths and a max-pool branch, concatenated."""

    def __init__(self, c_in: int, n_filters: int = 32, kernel_sizes: tuple[int, ...] = (39, 19, 9)) -> None:
        super().__init__()
        self.bottleneck = nn.Conv1d(c_in, n_filters, 1, bias=False)
        self.convs = nn.ModuleList(nn.Conv1d(n_filters, n_filters, k, padding=k // 2, bias=False) for k in kernel_sizes)
        self.pool = nn.MaxPool1d(3, stride=1, padding=1)
        self.pool_conv = nn.Conv1d(c_in, n_filters, 1, bias=False)
        self.bn = MaskedBatchNorm1d(n_filters * (len(kernel_sizes) + 1))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:  # x (B, C, L), zero where mask (B, 1, L) is False
        b = self.bottleneck(x)  # (B, F, L)
        branches = [conv(b) for conv in self.convs]  # k x (B, F, L)
        pooled = self.pool(x.masked_fill(~mask, float("-inf"))).masked_fill(~mask, 0.0)  # (B, C, L)
        branches.append(self.pool_conv(pooled))
        out = torch.cat(branches, dim=1)  # (B, 4F, L)
        return torch.relu(self.bn(out, mask))  # zero past the lengths


class Shortcut(nn.Module):
    """Residual path every third block: Conv(k=1) + BatchNorm when the width changes, BatchNorm alone otherwise."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 1, bias=False) if c_in != c_out else None
        self.bn = MaskedBatchNorm1d(c_out)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return self.bn(self.conv(x) if self.conv is not None else x, mask)  # (B, c_out, L)


class InceptionTime(nn.Module):
    """InceptionTime backbone with a masked global-average-pool head.

    Parameters
    ----------
    c_in : int
        Input channels.
    n_out : int
        Output size (``dim(theta)`` for a localization net).
    n_filters : int
        Filters per branch; blocks output ``4 * n_filters`` channels (seed: 32, so 128).
    depth : int
        Number of Inception blocks (seed: 6); a shortcut joins every third one.
    kernel_sizes : tuple of int
        Widths of the parallel convolutions (seed: 39, 19, 9).
    zero_init : bool
        Start the final Linear layer at zero, so a localization net starts at the identity warp.
    """

    def __init__(
        self,
        c_in: int,
        n_out: int,
        *,
        n_filters: int = 32,
        depth: int = 6,
        kernel_sizes: tuple[int, ...] = (39, 19, 9),
        zero_init: bool = True,
    ) -> None:
        super().__init__()
        width = n_filters * (len(kernel_sizes) + 1)
        self.blocks = nn.ModuleList(
            InceptionBlock(c_in if d == 0 else width, n_filters, kernel_sizes) for d in range(depth)
        )
        self.shortcuts = nn.ModuleDict(
            {str(d): Shortcut(c_in if d == 2 else width, width) for d in range(2, depth, 3)}
        )
        self.head = nn.Linear(width, n_out)
        if zero_init:
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Map ``x`` ``(B, C, L)`` with validity ``mask`` ``(B, 1, L)`` to ``(B, n_out)``."""
        x = x.masked_fill(~mask, 0.0)  # (B, C, L)
        residual = x
        for d, block in enumerate(self.blocks):
            x = block(x, mask)  # (B, 4F, L)
            if str(d) in self.shortcuts:
                x = torch.relu(x + self.shortcuts[str(d)](residual, mask))
                residual = x
        return self.head(masked_mean(x, mask))  # (B, n_out)

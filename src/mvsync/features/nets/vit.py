"""Vision transformers in plain torch, laid out so the official checkpoints load with ``strict=True``.

Two layouts of the same pre-norm ViT:

* :class:`DinoVisionTransformer`: facebookresearch/dinov2 (``cls_token``, ``pos_embed``, ``mask_token``,
  ``patch_embed.proj``, ``blocks.N.{norm1, attn.qkv, attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2,
  ls2.gamma}``, ``norm``). ViT-S/14 has 175 state-dict entries; its position embedding covers a 37x37
  grid (518 px) and is interpolated bicubically to the input grid exactly as DINOv2 does.
* :class:`CLIPVisionTransformer`: the image tower of open_clip (``conv1``, ``class_embedding``,
  ``positional_embedding``, ``ln_pre``, ``transformer.resblocks.N.{ln_1, attn.in_proj_weight,
  attn.in_proj_bias, attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}``, ``ln_post``, ``proj``), i.e. the
  ``visual.*`` keys of a full CLIP checkpoint. ViT-B/32 has 152 entries.

Both pack q, k and v in one ``(3*D, D)`` matrix in the same order (as ``nn.MultiheadAttention`` does),
so one attention function serves both.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Activation = Literal["gelu", "quick_gelu"]


def packed_attention(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, proj: nn.Linear,
                     num_heads: int) -> torch.Tensor:
    """Multi-head self-attention with q, k, v packed row-wise in ``weight`` ``(3*D, D)``: ``(B, N, D) -> (B, N, D)``."""
    batch, tokens, dim = x.shape
    qkv = F.linear(x, weight, bias).reshape(batch, tokens, 3, num_heads, dim // num_heads)  # (B, N, 3, H, d)
    q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 x (B, H, N, d)
    out = F.scaled_dot_product_attention(q, k, v)  # (B, H, N, d); softmax(q k^T / sqrt(d)) v
    return proj(out.transpose(1, 2).reshape(batch, tokens, dim))


# --- DINOv2 -----------------------------------------------------------------------------------------


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)  # (B, 3, H, W) -> (B, H/p * W/p, D), row-major


class DinoAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return packed_attention(x, self.qkv.weight, self.qkv.bias, self.proj, self.num_heads)


class LayerScale(nn.Module):
    def __init__(self, dim: int, init_value: float = 1.0) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), init_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class DinoMlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class DinoBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = DinoAttention(dim, num_heads)
        self.ls1 = LayerScale(dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = DinoMlp(dim, int(dim * mlp_ratio))
        self.ls2 = LayerScale(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.ls1(self.attn(self.norm1(x)))  # (B, N, D)
        return x + self.ls2(self.mlp(self.norm2(x)))


class DinoVisionTransformer(nn.Module):
    """DINOv2 backbone; ``forward`` returns the normalised CLS token, like the hub model in eval mode.

    >>> net = dinov2_vits14().eval()
    >>> net(torch.zeros(2, 3, 224, 224)).shape
    torch.Size([2, 384])
    """

    def __init__(self, *, dim: int = 384, depth: int = 12, num_heads: int = 6, patch_size: int = 14,
                 img_size: int = 518, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.patch_size = patch_size
        grid = img_size // patch_size  # 37 for the released checkpoints
        self.patch_embed = PatchEmbed(patch_size, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + grid * grid, dim))
        self.blocks = nn.ModuleList(DinoBlock(dim, num_heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.mask_token = nn.Parameter(torch.zeros(1, dim))  # used in training only; kept for strict loading
        self._init_weights()

    def _init_weights(self) -> None:
        # DINOv2 uses trunc_normal_(std=0.02) with bounds at +-2 (absolute), i.e. a plain normal: no slow erfinv
        nn.init.normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def interpolate_pos_encoding(self, rows: int, cols: int) -> torch.Tensor:
        """Position embeddings ``(1, 1 + rows*cols, D)`` for a ``rows`` x ``cols`` patch grid.

        Bicubic, with DINOv2's scale factor ``(rows + 0.1) / M`` (not an output size): the
        interpolation weights then match the official model's bit for bit.
        """
        n = self.pos_embed.shape[1] - 1
        side = math.isqrt(n)
        if rows * cols == n and rows == cols:
            return self.pos_embed
        dim = self.pos_embed.shape[-1]
        patch_pos = self.pos_embed[:, 1:].float().reshape(1, side, side, dim).permute(0, 3, 1, 2)  # (1, D, M, M)
        patch_pos = F.interpolate(
            patch_pos, scale_factor=((rows + 0.1) / side, (cols + 0.1) / side), mode="bicubic", antialias=False
        )  # (1, D, rows, cols)
        assert patch_pos.shape[-2:] == (rows, cols)
        patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(1, rows * cols, dim)  # (1, rows*cols, D)
        return torch.cat([self.pos_embed[:, :1], patch_pos.to(self.pos_embed.dtype)], dim=1)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised images ``(B, 3, H, W)`` (H, W multiples of 14) to normalised tokens ``(B, 1 + N, D)``."""
        rows, cols = x.shape[2] // self.patch_size, x.shape[3] // self.patch_size
        x = self.patch_embed(x)  # (B, N, D)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1)  # (B, 1 + N, D)
        x = x + self.interpolate_pos_encoding(rows, cols)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[:, 0]  # (B, D): the CLS embedding


def dinov2_vits14() -> DinoVisionTransformer:
    """DINOv2 ViT-S/14 (384-d, 12 blocks, 6 heads), randomly initialised."""
    return DinoVisionTransformer(dim=384, depth=12, num_heads=6, patch_size=14, img_size=518)


# --- OpenCLIP ---------------------------------------------------------------------------------------


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``: the activation of OpenAI's CLIP weights (LAION weights use exact GELU)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class CLIPAttention(nn.Module):
    """Parameters named like ``nn.MultiheadAttention`` (``in_proj_weight``, ``in_proj_bias``, ``out_proj``)."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * dim))
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return packed_attention(x, self.in_proj_weight, self.in_proj_bias, self.out_proj, self.num_heads)


class CLIPBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, act: Activation) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = CLIPAttention(dim, num_heads)
        self.ln_2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(dim, hidden)),
            ("gelu", QuickGELU() if act == "quick_gelu" else nn.GELU()),
            ("c_proj", nn.Linear(hidden, dim)),
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))  # (B, N, D)
        return x + self.mlp(self.ln_2(x))


class CLIPTransformer(nn.Module):
    def __init__(self, dim: int, depth: int, num_heads: int, mlp_ratio: float, act: Activation) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(CLIPBlock(dim, num_heads, mlp_ratio, act) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x)
        return x


class CLIPVisionTransformer(nn.Module):
    """OpenCLIP image tower; ``forward`` returns the (unnormalised) image embedding ``(B, output_dim)``.

    >>> net = clip_vit_b32().eval()
    >>> net(torch.zeros(2, 3, 224, 224)).shape
    torch.Size([2, 512])
    """

    def __init__(self, *, dim: int = 768, depth: int = 12, num_heads: int = 12, patch_size: int = 32,
                 img_size: int = 224, output_dim: int = 512, mlp_ratio: float = 4.0, act: Activation = "gelu") -> None:
        super().__init__()
        self.grid = img_size // patch_size  # 7 for ViT-B/32 at 224
        scale = dim**-0.5
        self.conv1 = nn.Conv2d(3, dim, patch_size, stride=patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(dim))
        self.positional_embedding = nn.Parameter(scale * torch.randn(1 + self.grid * self.grid, dim))
        self.ln_pre = nn.LayerNorm(dim)
        self.transformer = CLIPTransformer(dim, depth, num_heads, mlp_ratio, act)
        self.ln_post = nn.LayerNorm(dim)
        self.proj = nn.Parameter(scale * torch.randn(dim, output_dim))
        self._init_blocks(dim, depth)

    def _init_blocks(self, dim: int, depth: int) -> None:
        # CLIP's own initialisation (Radford et al. 2021, code release), for meaningful random features
        attn_std, proj_std, fc_std = dim**-0.5, dim**-0.5 * (2 * depth) ** -0.5, (2 * dim) ** -0.5
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.zeros_(block.attn.out_proj.bias)
            nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised images ``(B, 3, img_size, img_size)`` to embeddings ``(B, output_dim)``."""
        x = self.conv1(x).flatten(2).transpose(1, 2)  # (B, N, D)
        cls = self.class_embedding.view(1, 1, -1).expand(len(x), -1, -1)  # (B, 1, D)
        x = torch.cat([cls.to(x.dtype), x], dim=1) + self.positional_embedding  # (B, 1 + N, D)
        x = self.transformer(self.ln_pre(x))  # (B, 1 + N, D)
        return self.ln_post(x[:, 0]) @ self.proj  # (B, output_dim); LayerNorm is per token, so pooling first is equal


def clip_vit_b32(*, act: Activation = "gelu") -> CLIPVisionTransformer:
    """OpenCLIP ViT-B/32 image tower (768 wide, 12 blocks, 512-d output), randomly initialised.

    ``act="quick_gelu"`` for OpenAI's weights, ``"gelu"`` for LAION's.
    """
    return CLIPVisionTransformer(dim=768, depth=12, num_heads=12, patch_size=32, img_size=224, output_dim=512, act=act)


def clip_visual_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The image tower of a full CLIP checkpoint: its ``visual.*`` keys without the prefix (text tower dropped)."""
    if not any(key.startswith("visual.") for key in state):
        return state  # already the image tower alone
    return {key[len("visual.") :]: value for key, value in state.items() if key.startswith("visual.")}

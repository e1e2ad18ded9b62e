"""Backbone networks in plain torch whose state-dict keys match the official checkpoints.

torchvision, timm and open_clip cannot be imported beside a CPU-only torch here (GUIDE.md), so the three
networks the ``resnet50``, ``dino`` and ``clip`` extractors need are written out; the official weight
files load into them with ``load_state_dict(strict=True)``.
"""

from .resnet import LAYER_CHANNELS, LAYERS, ResNet50, resnet50
from .vit import CLIPVisionTransformer, DinoVisionTransformer, clip_visual_state, clip_vit_b32, dinov2_vits14

__all__ = [
    "LAYERS", "LAYER_CHANNELS", "ResNet50", "resnet50",
    "DinoVisionTransformer", "dinov2_vits14", "CLIPVisionTransformer", "clip_vit_b32", "clip_visual_state",
]

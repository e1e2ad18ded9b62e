"""The plain-torch backbones load checkpoints laid out like the official ones (strict=True) and compute
attention the way torchvision / DINOv2 / open_clip do."""

import pytest
import torch
from torch import nn

from mvsync.features.nets import CLIPVisionTransformer, clip_visual_state, clip_vit_b32, dinov2_vits14, resnet50
from mvsync.features.nets.vit import CLIPAttention, DinoAttention, QuickGELU

# Key -> shape, copied from the official checkpoints (resnet50-11ad3fa6.pth, dinov2_vits14_pretrain.pth,
# open_clip_pytorch_model.bin of laion/CLIP-ViT-B-32-laion2B-s34B-b79K) and their model code.
RESNET50_KEYS = {
    "conv1.weight": (64, 3, 7, 7),
    "bn1.weight": (64,),
    "bn1.running_var": (64,),
    "bn1.num_batches_tracked": (),
    "layer1.0.conv1.weight": (64, 64, 1, 1),
    "layer1.0.conv2.weight": (64, 64, 3, 3),
    "layer1.0.conv3.weight": (256, 64, 1, 1),
    "layer1.0.downsample.0.weight": (256, 64, 1, 1),
    "layer1.0.downsample.1.running_mean": (256,),
    "layer2.0.downsample.0.weight": (512, 256, 1, 1),
    "layer2.3.bn3.bias": (512,),
    "layer3.5.conv2.weight": (256, 256, 3, 3),
    "layer3.0.downsample.0.weight": (1024, 512, 1, 1),
    "layer4.0.conv1.weight": (512, 1024, 1, 1),
    "layer4.2.conv3.weight": (2048, 512, 1, 1),
    "layer4.2.bn3.running_var": (2048,),
    "fc.weight": (1000, 2048),
    "fc.bias": (1000,),
}
DINOV2_VITS14_KEYS = {
    "cls_token": (1, 1, 384),
    "pos_embed": (1, 1370, 384),
    "mask_token": (1, 384),
    "patch_embed.proj.weight": (384, 3, 14, 14),
    "patch_embed.proj.bias": (384,),
    "blocks.0.norm1.weight": (384,),
    "blocks.0.attn.qkv.weight": (1152, 384),
    "blocks.0.attn.qkv.bias": (1152,),
    "blocks.0.attn.proj.weight": (384, 384),
    "blocks.0.ls1.gamma": (384,),
    "blocks.5.norm2.bias": (384,),
    "blocks.5.mlp.fc1.weight": (1536, 384),
    "blocks.5.mlp.fc2.weight": (384, 1536),
    "blocks.11.ls2.gamma": (384,),
    "norm.weight": (384,),
    "norm.bias": (384,),
}
OPEN_CLIP_B32_KEYS = {
    "visual.class_embedding": (768,),
    "visual.positional_embedding": (50, 768),
    "visual.proj": (768, 512),
    "visual.conv1.weight": (768, 3, 32, 32),
    "visual.ln_pre.weight": (768,),
    "visual.transformer.resblocks.0.ln_1.weight": (768,),
    "visual.transformer.resblocks.0.attn.in_proj_weight": (2304, 768),
    "visual.transformer.resblocks.0.attn.in_proj_bias": (2304,),
    "visual.transformer.resblocks.0.attn.out_proj.weight": (768, 768),
    "visual.transformer.resblocks.0.attn.out_proj.bias": (768,),
    "visual.transformer.resblocks.11.ln_2.bias": (768,),
    "visual.transformer.resblocks.11.mlp.c_fc.weight": (3072, 768),
    "visual.transformer.resblocks.11.mlp.c_proj.weight": (768, 3072),
    "visual.ln_post.weight": (768,),
    "visual.ln_post.bias": (768,),
}
OPEN_CLIP_TEXT_KEYS = {  # a full CLIP checkpoint also holds the text tower; the image extractor drops it
    "positional_embedding": (77, 512),
    "text_projection": (512, 512),
    "logit_scale": (),
    "token_embedding.weight": (49408, 512),
    "ln_final.weight": (512,),
}
NUM_KEYS = {"resnet50": 320, "dino": 175, "clip": 152}  # len(state_dict()) of the official models


def torchvision_resnet50_layout() -> dict[str, tuple]:
    """Every key of torchvision's resnet50 state dict, spelled out from torchvision/models/resnet.py."""
    def bn(prefix, c):
        return {f"{prefix}.{n}": (c,) for n in ("weight", "bias", "running_mean", "running_var")} | {f"{prefix}.num_batches_tracked": ()}

    keys = {"conv1.weight": (64, 3, 7, 7), **bn("bn1", 64), "fc.weight": (1000, 2048), "fc.bias": (1000,)}
    in_c = 64
    for layer, (width, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=1):
        for b in range(blocks):
            p = f"layer{layer}.{b}"
            keys |= {f"{p}.conv1.weight": (width, in_c, 1, 1), **bn(f"{p}.bn1", width)}
            keys |= {f"{p}.conv2.weight": (width, width, 3, 3), **bn(f"{p}.bn2", width)}
            keys |= {f"{p}.conv3.weight": (4 * width, width, 1, 1), **bn(f"{p}.bn3", 4 * width)}
            if b == 0:
                keys |= {f"{p}.downsample.0.weight": (4 * width, in_c, 1, 1), **bn(f"{p}.downsample.1", 4 * width)}
            in_c = 4 * width
    return keys


def dinov2_vits14_layout() -> dict[str, tuple]:
    keys = {"cls_token": (1, 1, 384), "pos_embed": (1, 1370, 384), "mask_token": (1, 384),
            "patch_embed.proj.weight": (384, 3, 14, 14), "patch_embed.proj.bias": (384,),
            "norm.weight": (384,), "norm.bias": (384,)}
    for i in range(12):
        p = f"blocks.{i}"
        keys |= {f"{p}.norm1.weight": (384,), f"{p}.norm1.bias": (384,), f"{p}.norm2.weight": (384,), f"{p}.norm2.bias": (384,),
                 f"{p}.attn.qkv.weight": (1152, 384), f"{p}.attn.qkv.bias": (1152,),
                 f"{p}.attn.proj.weight": (384, 384), f"{p}.attn.proj.bias": (384,),
                 f"{p}.ls1.gamma": (384,), f"{p}.ls2.gamma": (384,),
                 f"{p}.mlp.fc1.weight": (1536, 384), f"{p}.mlp.fc1.bias": (1536,),
                 f"{p}.mlp.fc2.weight": (384, 1536), f"{p}.mlp.fc2.bias": (384,)}
    return keys


def open_clip_b32_visual_layout() -> dict[str, tuple]:
    keys = {"visual.class_embedding": (768,), "visual.positional_embedding": (50, 768), "visual.proj": (768, 512),
            "visual.conv1.weight": (768, 3, 32, 32), "visual.ln_pre.weight": (768,), "visual.ln_pre.bias": (768,),
            "visual.ln_post.weight": (768,), "visual.ln_post.bias": (768,)}
    for i in range(12):
        p = f"visual.transformer.resblocks.{i}"
        keys |= {f"{p}.ln_1.weight": (768,), f"{p}.ln_1.bias": (768,), f"{p}.ln_2.weight": (768,), f"{p}.ln_2.bias": (768,),
                 f"{p}.attn.in_proj_weight": (2304, 768), f"{p}.attn.in_proj_bias": (2304,),
                 f"{p}.attn.out_proj.weight": (768, 768), f"{p}.attn.out_proj.bias": (768,),
                 f"{p}.mlp.c_fc.weight": (3072, 768), f"{p}.mlp.c_fc.bias": (3072,),
                 f"{p}.mlp.c_proj.weight": (768, 3072), f"{p}.mlp.c_proj.bias": (768,)}
    return keys


def _state(layout: dict[str, tuple]) -> dict[str, torch.Tensor]:
    """A checkpoint with the given layout; each tensor filled with its own small value (fast, recognisable)."""
    return {k: (torch.zeros(s, dtype=torch.long) if k.endswith("num_batches_tracked") else torch.full(s, 0.01 * (i % 50)))
            for i, (k, s) in enumerate(layout.items())}


@pytest.fixture(scope="module")
def nets():
    """One of each network (the layout tests load checkpoints into them; forward tests build their own)."""
    return {"resnet50": resnet50().eval(), "dino": dinov2_vits14().eval(), "clip": clip_vit_b32().eval()}


@pytest.mark.parametrize("kind, keys, prefix", [
    ("resnet50", RESNET50_KEYS, ""), ("dino", DINOV2_VITS14_KEYS, ""), ("clip", OPEN_CLIP_B32_KEYS, "visual."),
])
def test_representative_official_keys_and_shapes(nets, kind, keys, prefix):
    state = nets[kind].state_dict()
    assert len(state) == NUM_KEYS[kind]
    assert {k: tuple(state[k.removeprefix(prefix)].shape) for k in keys} == keys


@pytest.mark.parametrize("kind, layout", [
    ("resnet50", torchvision_resnet50_layout), ("dino", dinov2_vits14_layout), ("clip", open_clip_b32_visual_layout),
])
def test_official_state_dicts_load_strictly(nets, kind, layout):
    official = _state(layout())
    if kind == "clip":  # the whole CLIP checkpoint, reduced to the image tower like the extractor does
        official = clip_visual_state(official | _state(OPEN_CLIP_TEXT_KEYS))
    net = nets[kind]
    result = net.load_state_dict(official, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for key in list(official)[:: max(1, len(official) // 10)]:
        assert torch.equal(net.state_dict()[key], official[key])


def test_resnet_readouts_and_v15_strides():
    net = resnet50().eval()
    assert net.layer2[0].conv2.stride == (2, 2) and net.layer2[0].conv1.stride == (1, 1)  # ResNet v1.5
    with torch.inference_mode():
        assert net.forward_features(torch.randn(1, 3, 224, 224), layer="conv4").shape == (1, 1024, 14, 14)
        x = torch.randn(1, 3, 64, 64)
        torch.testing.assert_close(net.embed(x, layer="conv4"), net.forward_features(x, layer="conv4").mean(dim=(2, 3)))
        assert net.embed(x, layer="pool").shape == (1, 2048)
        assert net(x).shape == (1, 1000)


def test_dino_pos_embed_interpolation():
    net = dinov2_vits14().eval()
    assert net.interpolate_pos_encoding(37, 37) is net.pos_embed  # the native 518 px grid is used as is
    pos = net.interpolate_pos_encoding(16, 20)
    assert pos.shape == (1, 1 + 16 * 20, 384)
    assert torch.equal(pos[:, 0], net.pos_embed[:, 0])
    with torch.no_grad():
        saved = net.pos_embed.clone()
        net.pos_embed[:, 1:] = 0.5  # bicubic interpolation keeps a constant field constant
        torch.testing.assert_close(net.interpolate_pos_encoding(16, 16)[:, 1:], torch.full((1, 256, 384), 0.5))
        net.pos_embed.copy_(saved)
    with torch.inference_mode():
        assert net(torch.randn(1, 3, 56, 84)).shape == (1, 384)  # non-square input: a 4x6 grid


def test_clip_attention_is_torch_multihead_attention():
    torch.manual_seed(0)
    ours, ref = CLIPAttention(64, 4), nn.MultiheadAttention(64, 4, batch_first=True)
    nn.init.normal_(ours.in_proj_weight, std=0.1)
    ref.load_state_dict(ours.state_dict())  # same parameter names, as open_clip relies on
    x = torch.randn(2, 9, 64)
    torch.testing.assert_close(ours(x), ref(x, x, x, need_weights=False)[0], atol=1e-5, rtol=1e-4)


def test_dino_attention_matches_the_reference_formula():
    torch.manual_seed(0)
    attn = DinoAttention(48, 6)
    x = torch.randn(2, 5, 48)
    b, n, c = x.shape
    qkv = attn.qkv(x).reshape(b, n, 3, 6, c // 6).permute(2, 0, 3, 1, 4)  # DINOv2's Attention.forward
    q, k, v = qkv[0] * (c // 6) ** -0.5, qkv[1], qkv[2]
    expected = attn.proj(((q @ k.transpose(-2, -1)).softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))
    torch.testing.assert_close(attn(x), expected, atol=1e-5, rtol=1e-4)


def test_clip_activation_choice():
    small = dict(dim=64, depth=1, num_heads=4, patch_size=32, img_size=64, output_dim=16)
    torch.manual_seed(0)
    gelu = CLIPVisionTransformer(**small, act="gelu")
    quick = CLIPVisionTransformer(**small, act="quick_gelu")
    quick.load_state_dict(gelu.state_dict())
    assert isinstance(quick.transformer.resblocks[0].mlp.gelu, QuickGELU)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        a, b = gelu(x), quick(x)
    assert a.shape == (2, 16) and not torch.allclose(a, b)

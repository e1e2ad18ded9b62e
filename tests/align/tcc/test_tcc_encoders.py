"""TCC encoders (seed Table 1): base networks, the context embedder, and what the embedding may depend on."""

import numpy as np
import pytest
import torch
from torch import nn

from mvsync.align.tcc import EncoderConfig, TCCEncoder, embed, fit_embedder
from mvsync.align.tcc.bases import BASES, ResNetBase, VGGMBase
from mvsync.errors import ConfigError

from ...conftest import gradient_frames, write_clip


def small(base="vggm", **kw):
    return EncoderConfig(base=base, image_size=64, width=32, embedding_size=16, **kw)


def test_vggm_follows_table_1():
    base = VGGMBase(small(), pretrained=False)
    convs = [m for m in base.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 128, 256, 256, 512, 512]
    assert convs[0].kernel_size == (7, 7) and convs[0].stride == (2, 2)
    assert all(c.kernel_size == (3, 3) for c in convs[1:])
    assert base(torch.zeros(2, 3, 112, 112)).shape == (2, 512, 7, 7)  # 224 px gives 14 x 14


def test_embedder_follows_table_1():
    encoder = TCCEncoder(EncoderConfig(base="vggm"), pretrained=False)
    convs = [m for m in encoder.embedder.modules() if isinstance(m, nn.Conv3d)]
    fcs = [m for m in encoder.embedder.modules() if isinstance(m, nn.Linear)]
    drops = [m for m in encoder.embedder.modules() if isinstance(m, nn.Dropout)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(512, (3, 3, 3))] * 2
    assert [f.out_features for f in fcs] == [512, 512, 128] and [d.p for d in drops] == [0.1, 0.1]
    assert encoder.config.context_offsets == (15, 0)  # k = 2 frames, 15 apart, only the past


def test_feature_encoder_convolves_over_the_context_only():
    encoder = TCCEncoder(EncoderConfig(base="mlp", in_channels=132)).eval()
    convs = [m for m in encoder.embedder.modules() if isinstance(m, nn.Conv3d)]
    assert all(c.kernel_size == (3, 1, 1) for c in convs)
    assert encoder(torch.randn(2, 5, 2, 132)).shape == (2, 5, 128)


def test_vggm_encoder_trains_one_step_on_frames_and_embeds_every_frame():
    rng = np.random.default_rng(0)
    videos = [rng.integers(0, 255, (12, 48, 80, 3), dtype=np.uint8) for _ in range(2)]
    torch.manual_seed(0)
    before = TCCEncoder(small(), pretrained=False)  # fit_embedder's seeded initialisation
    model = fit_embedder(videos, encoder=small(), epochs=1, num_frames=4, seed=0)
    assert len(model.history) == 1 and np.isfinite(model.history[0]["loss"])
    assert not torch.equal(before.base.conv1[0].weight, model.encoder.base.conv1[0].weight)  # trained from scratch
    assert not torch.equal(before.embedder.embedding.weight, model.encoder.embedder.embedding.weight)
    assert embed(model, videos[0]).shape == (12, 16)  # frames of any size are resized to image_size


def test_video_files_train_and_embed(tmp_path):
    paths = [write_clip(tmp_path / f"{i}.mp4", gradient_frames(10, seed=i)) for i in range(2)]
    model = fit_embedder(paths, encoder=small(), epochs=1, num_frames=3, algo="tcc+tcn")
    assert embed(model, paths[1]).shape == (10, 16)


def test_resnet_base_reads_conv4_and_trains_only_batchnorm():
    base = ResNetBase(small("resnet50", weights="random"))
    assert len(base.layer3) == 3  # conv4_x x 3 (Table 1)
    assert base(torch.zeros(2, 3, 64, 64)).shape == (2, 1024, 4, 4)  # 14 x 14 at 224 px
    owners = {n: type(base.get_submodule(n.rsplit(".", 1)[0])) for n, _ in base.named_parameters()}
    trainable = {n for n, p in base.named_parameters() if p.requires_grad}
    assert trainable == {n for n, owner in owners.items() if owner is nn.BatchNorm2d}  # convolutions frozen


def test_resnet_frozen_keeps_batchnorm_statistics():
    base = ResNetBase(small("resnet50", weights="random", train_base="frozen", resnet_blocks=6)).train()
    assert len(base.layer3) == 6
    assert not any(p.requires_grad for p in base.parameters())
    assert not any(m.training for m in base.modules() if isinstance(m, nn.BatchNorm2d))


def test_resnet_encoder_forward_with_random_weights():
    encoder = TCCEncoder(small("resnet50", weights="random")).eval()
    assert encoder(torch.rand(1, 2, 2, 3, 64, 64) * 255).shape == (1, 2, 16)


def test_resnet_loads_a_torchvision_state_dict_file(tmp_path):
    from mvsync.features.nets import resnet50

    torch.manual_seed(1)
    state = resnet50().state_dict()
    torch.save(state, tmp_path / "r50.pth")
    base = ResNetBase(small("resnet50", weights=str(tmp_path / "r50.pth")))
    assert torch.equal(base.stem[0].weight, state["conv1.weight"])
    assert torch.equal(base.layer3[2].conv3.weight, state["layer3.2.conv3.weight"])


def test_resnet_without_weights_is_a_clear_config_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("MVSYNC_RESNET50_WEIGHTS", raising=False)
    with pytest.raises(ConfigError, match="resnet50: pretrained weights not found"):
        TCCEncoder(small("resnet50"))


def test_bad_configs_are_config_errors():
    with pytest.raises(ConfigError, match="tcc base 'vit'"):
        TCCEncoder(EncoderConfig(base="vit"))
    with pytest.raises(ConfigError, match="context_frames"):
        TCCEncoder(EncoderConfig(base="mlp", context_frames=0))
    with pytest.raises(ConfigError, match="does not fit feature inputs"):
        fit_embedder([np.zeros((5, 3)), np.zeros((5, 3))], encoder=EncoderConfig(base="vggm"))
    assert BASES.names() == ["mlp", "resnet50", "vggm"]


# --- the embedding sees content only, never the frame index -----------------------------------------


def test_constant_frames_get_one_embedding_whatever_their_index():
    rng = np.random.default_rng(0)
    model = fit_embedder([rng.normal(size=(30, 6)) for _ in range(2)], encoder=small("mlp"), epochs=2, num_frames=5)
    embs = embed(model, np.tile(rng.normal(size=(1, 6)), (40, 1)))
    np.testing.assert_allclose(embs, np.broadcast_to(embs[0], embs.shape), atol=1e-5)

    frame = rng.integers(0, 255, (1, 64, 64, 3), dtype=np.uint8)
    encoder = TCCEncoder(small(), pretrained=False).eval()
    embs = embed(encoder, np.repeat(frame, 20, axis=0))
    np.testing.assert_allclose(embs, np.broadcast_to(embs[0], embs.shape), atol=1e-5)


def test_a_frame_embeds_the_same_wherever_it_sits_in_the_video():
    rng = np.random.default_rng(1)
    encoder = TCCEncoder(small("mlp", in_channels=6)).eval()
    clip = rng.normal(size=(40, 6))
    shifted = np.concatenate([rng.normal(size=(25, 6)), clip])  # the same content, 25 frames later
    a, b = embed(encoder, clip), embed(encoder, shifted)
    np.testing.assert_allclose(a[15:], b[25 + 15 :], atol=1e-5)  # once the context lies inside the clip
    assert not np.allclose(a[:15], b[25:40], atol=1e-3)  # before that the context differs (clamped at frame 0)


@pytest.mark.parametrize("base", ["vggm", "mlp"])
def test_embed_runs_the_base_once_per_frame_and_equals_the_full_forward(base):
    """embed() shares each frame's base output between the context stacks; the result is the encoder's forward
    on the explicit stacks (frame t with t - 3, clamped at 0)."""
    rng = np.random.default_rng(2)
    config = small(base, in_channels=6, context_stride=3) if base == "mlp" else small(base, context_stride=3)
    encoder = TCCEncoder(config, pretrained=False).eval()
    video = rng.normal(size=(9, 6)) if base == "mlp" else rng.integers(0, 255, (9, 64, 64, 3), dtype=np.uint8)
    stacks = video[np.maximum(np.arange(9)[:, None] - np.array([3, 0]), 0)]  # (9, 2, ...)
    x = torch.from_numpy(stacks).float()[None]
    if base == "vggm":
        x = x.permute(0, 1, 2, 5, 3, 4)  # (1, 9, 2, 3, H, W)
    with torch.no_grad():
        expected = encoder(x)[0].numpy()
    calls = []
    encoder.base.register_forward_hook(lambda module, args, out: calls.append(len(out)))
    np.testing.assert_allclose(embed(encoder, video, batch_size=4), expected, rtol=1e-4, atol=1e-5)
    assert sum(calls) == 9  # once per frame, not once per context slot (18)

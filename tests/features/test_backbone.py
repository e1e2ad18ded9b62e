"""Pretrained-backbone extractors, run with random weights on a real clip; weight lookup and its errors."""

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

import mvsync.features.backbone as backbone  # noqa: F401  (registers resnet50, dino, clip)
from mvsync.errors import ConfigError
from mvsync.features import FEATURES, create_extractor, extract_features
from mvsync.features.backbone import CLIP_MEAN, CLIP_STD, DinoExtractor, Preprocess, resolve_weights, weight_candidates
from mvsync.io import read_all_frames

DIMS = {"resnet50": 2048, "dino": 384, "clip": 512}
EVERY = 20  # carphone has 120 frames: 6 per clip keeps three backbones on 2 CPU cores within seconds


@pytest.fixture(autouse=True)
def _no_real_weights(tmp_path, monkeypatch):
    """Empty torch.hub and Hugging Face caches, no weight env vars, downloads off."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for kind in DIMS:
        monkeypatch.delenv(f"MVSYNC_{kind.upper()}_WEIGHTS", raising=False)


@pytest.fixture(scope="module")
def random_features(carphone):
    return {kind: create_extractor(kind, weights="random", every=EVERY).extract(carphone) for kind in DIMS}


@pytest.mark.parametrize("kind", list(DIMS))
def test_random_weights_on_a_real_clip(random_features, carphone, kind):
    feats = random_features[kind]
    _, times = read_all_frames(carphone, size=(16, 16))
    assert feats.values.shape == (120 // EVERY, DIMS[kind])
    assert feats.values.dtype == np.float32 and np.isfinite(feats.values).all()
    assert feats.valid.all() and feats.kind == kind and feats.meta == {"weights": "random"}
    np.testing.assert_array_equal(feats.times_s, times[::EVERY])
    assert feats.fps == pytest.approx(29.97, abs=0.01)
    assert np.abs(np.diff(feats.values, axis=0)).max() > 1e-4  # frames differ, so do their features


@pytest.mark.parametrize("kind", list(DIMS))
def test_deterministic(random_features, carphone, kind):
    again = create_extractor(kind, weights="random", every=3 * EVERY, batch_size=1).extract(carphone)
    np.testing.assert_allclose(again.values, random_features[kind].values[::3], rtol=1e-4, atol=1e-5)


def test_resnet_conv4_readout(carphone):
    feats = create_extractor("resnet50", weights="random", layer="conv4", every=60).extract(carphone)
    assert feats.values.shape == (2, 1024) and (feats.values >= 0).all()  # a spatial mean after a ReLU


@pytest.mark.parametrize("kind", list(DIMS))
def test_missing_weights_offline_fail_fast_and_clearly(carphone, kind, tmp_path):
    with pytest.raises(ConfigError) as err:  # how fast: a benchmark's business, not a unit test's
        create_extractor(kind).extract(carphone)
    message = str(err.value)
    source = FEATURES.get(kind).source
    assert "\n" not in message
    hub_file = tmp_path / "torch" / "hub" / "checkpoints" / source.filename
    assert message.startswith(f"{kind}: pretrained weights not found (looked for {hub_file}")
    assert "downloads are off: HF_HUB_OFFLINE=1" in message
    assert f"download_weights('{kind}')" in message and source.url in message
    assert f"weights=PATH or set MVSYNC_{kind.upper()}_WEIGHTS=PATH" in message
    if kind == "clip":
        assert ("hf/hub/models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K/snapshots/*/"
                "{open_clip_model.safetensors,open_clip_pytorch_model.bin}") in message


def test_failed_download_is_fast_and_clear(carphone, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("MVSYNC_OFFLINE", raising=False)
    unreachable = dataclasses.replace(DinoExtractor.source, url="http://127.0.0.1:9/dinov2_vits14_pretrain.pth")
    monkeypatch.setattr(DinoExtractor, "source", unreachable)
    with pytest.raises(ConfigError, match=r"^dino: pretrained weights not found .*download failed: http://127\.0\.0\.1:9/"):
        create_extractor("dino").extract(carphone)


@pytest.fixture(scope="module")
def random_dino_state():
    return create_extractor("dino", weights="random").load().state_dict()


def test_weights_found_in_torch_hub_cache_load_strictly(random_features, random_dino_state, carphone, tmp_path):
    path = DinoExtractor.source.hub_path()
    assert path == tmp_path / "torch" / "hub" / "checkpoints" / "dinov2_vits14_pretrain.pth"
    path.parent.mkdir(parents=True)
    torch.save(random_dino_state, path)
    feats = create_extractor("dino", every=3 * EVERY).extract(carphone)
    assert feats.meta == {"weights": str(path)}
    np.testing.assert_allclose(feats.values, random_features["dino"].values[::3], rtol=1e-4, atol=1e-5)


def test_weights_from_env_var_and_path(tmp_path, monkeypatch):
    path = tmp_path / "my_resnet.pth"
    path.write_bytes(b"")
    monkeypatch.setenv("MVSYNC_RESNET50_WEIGHTS", str(path))
    source = FEATURES.get("resnet50").source
    assert resolve_weights(source) == path
    assert resolve_weights(source, str(path)) == path and resolve_weights(source, "random") is None
    monkeypatch.setenv("MVSYNC_RESNET50_WEIGHTS", str(tmp_path / "gone.pth"))
    with pytest.raises(ConfigError, match=r"^MVSYNC_RESNET50_WEIGHTS: .*gone\.pth: no such file"):
        resolve_weights(source)


def test_clip_weights_found_in_hugging_face_cache(tmp_path):
    repo = tmp_path / "hf" / "hub" / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123\n")
    snapshot = repo / "snapshots" / "abc123" / "open_clip_pytorch_model.bin"
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(b"")
    source = FEATURES.get("clip").source
    assert weight_candidates(source)[1:] == [repo / "snapshots" / "abc123" / "open_clip_model.safetensors", snapshot, snapshot]
    assert resolve_weights(source) == snapshot
    safetensors = snapshot.with_name("open_clip_model.safetensors")  # what newer open_clip downloads, preferred
    safetensors.write_bytes(b"")
    assert resolve_weights(source) == safetensors


def test_unreadable_or_foreign_weight_files(tmp_path, carphone):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match=r"junk\.pth: cannot read weights \(.*\); delete the file and get it again$"):
        create_extractor("resnet50", weights=str(junk)).load()
    junk_safetensors = junk.rename(tmp_path / "junk.safetensors")
    with pytest.raises(ConfigError, match=r"junk\.safetensors: (cannot read weights|reading \.safetensors needs the safetensors)"):
        create_extractor("clip", weights=str(junk_safetensors)).load()
    foreign = tmp_path / "resnet_part.pth"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7), "cls_token": torch.zeros(1, 1, 10)}, foreign)
    with pytest.raises(ConfigError, match=r"resnet_part\.pth: not dino weights \(174 missing, e\.g\. pos_embed, .*; "
                                          r"1 unexpected, e\.g\. conv1\.weight; 1 with the wrong shape, e\.g\. cls_token \(1, 1, 10\)"):
        create_extractor("dino", weights=str(foreign)).load()


@pytest.mark.parametrize("kind, options, match", [
    ("resnet50", {"layer": "conv9"}, r"resnet50 layer: 'conv9' is unknown; choose one of pool, conv4"),
    ("dino", {"every": 0}, r"dino every: must be a positive integer, got 0"),
    ("clip", {"weights": "/no/such.pth"}, r"clip weights: /no/such\.pth: no such file; give a state-dict file, 'auto' or 'random'"),
    ("clip", {"activation": "relu"}, r"clip activation: 'relu' is unknown"),
    ("dino", {"device": "tpu9"}, r"dino device: 'tpu9' is not a torch device"),
    ("dino", {"pretrained": False}, r"dino: unknown option\(s\) pretrained; valid: batch_size, device, every, fps, weights"),
])
def test_bad_options_fail_at_construction(kind, options, match):
    with pytest.raises(ConfigError, match=match):
        create_extractor(kind, **options)


def test_preprocess_resizes_the_shorter_side_and_centre_crops():
    prep = Preprocess(224, Image.BICUBIC, CLIP_MEAN, CLIP_STD)
    gray = np.full((144, 176, 3), np.round(np.asarray(CLIP_MEAN) * 255), np.uint8)
    out = prep(gray)
    assert out.shape == (3, 224, 224) and out.dtype == np.float32
    np.testing.assert_allclose(out, 0, atol=0.01)  # the mean colour normalises to zero
    halves = np.zeros((100, 300, 3), np.uint8)
    halves[:, :150] = 255  # left half white: the 224 px centre crop of the 672x224 resize is split at its middle
    out = prep(halves)[0]
    assert (out[:, :100] > 1).all() and (out[:, 124:] < -1).all()


def test_through_extract_features_and_its_cache(carphone, tmp_path):
    first = extract_features([carphone], kind="dino", cache_dir=tmp_path / "cache", weights="random", every=60)
    again = extract_features([carphone], kind="dino", cache_dir=tmp_path / "cache", weights="random", every=60)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    np.testing.assert_array_equal(first[0].values, again[0].values)
    assert again[0].meta == {"weights": "random"} and again[0].values.shape == (2, 384)

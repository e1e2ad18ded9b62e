"""Pretrained-backbone features: ``resnet50`` (ImageNet), ``dino`` (DINOv2 ViT-S/14) and ``clip`` (OpenCLIP ViT-B/32).

Each frame is resized and centre-cropped to 224 px exactly as the official evaluation transform does
(Pillow resampling on the uint8 frame, like torchvision's transforms on PIL images), normalised, and
embedded in batches by a plain-torch network (:mod:`.nets`) whose state dict matches the official
checkpoint. Weights come, in this order, from ``weights=PATH``, ``$MVSYNC_<NAME>_WEIGHTS``, the
torch.hub checkpoint folder, the Hugging Face cache (clip), or a download into the torch.hub folder.
With ``HF_HUB_OFFLINE=1`` or ``MVSYNC_OFFLINE=1`` nothing is downloaded and a missing file is an
immediate one-line :class:`~mvsync.errors.ConfigError` that says where to put it. With the weights at hand::

    feats = extract_features(paths, kind="dino")
    feats[0].values.shape  # (250, 384): one 384-number embedding per frame of a 250-frame clip
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from ..atomic import atomic_write
from ..errors import ConfigError, InputError
from ..io import probe
from ..types import Features
from .base import FEATURES, FeatureExtractor

if TYPE_CHECKING:  # torch is imported where a network runs: a pool worker that extracts pose never loads it
    import torch
    from torch import nn

log = logging.getLogger(__name__)

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CLIP_MEAN, CLIP_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
OFFLINE_VARS = ("MVSYNC_OFFLINE", "HF_HUB_OFFLINE")  # either one set to 1/true/yes/on: never download
DOWNLOAD_TIMEOUT_S = 10.0  # per socket operation: a dead network fails in seconds, not minutes


@dataclasses.dataclass(frozen=True)
class WeightSource:
    """Where the official weights of one extractor live."""

    kind: str  # extractor name; also names the env var MVSYNC_<KIND>_WEIGHTS
    url: str  # official download
    filename: str  # file name in torch.hub's checkpoint folder
    sha256_prefix: str = ""  # torch.hub's integrity check: the file's sha256 starts with this
    hf_repo: str = ""  # also look in the Hugging Face cache for this repo...
    hf_filenames: tuple[str, ...] = ()  # ...and these files, in order of preference

    @property
    def env_var(self) -> str:
        return f"MVSYNC_{self.kind.upper()}_WEIGHTS"

    def hub_path(self) -> Path:
        """``<torch.hub.get_dir()>/checkpoints/<filename>`` (honours ``$TORCH_HOME``)."""
        import torch

        return Path(torch.hub.get_dir()) / "checkpoints" / self.filename

    def hf_repo_dir(self) -> Path:
        """The repo's folder in the Hugging Face hub cache (which holds ``snapshots/<revision>/<file>``)."""
        return _hf_cache_dir() / f"models--{self.hf_repo.replace('/', '--')}"


@dataclasses.dataclass(frozen=True)
class Preprocess:
    """Resize the shorter side, centre-crop, scale to [0, 1] and normalise: ``(H, W, 3) uint8 -> (3, crop, crop)``."""

    resize: int  # shorter side after resizing, in pixels
    interpolation: int  # Pillow filter of the official transform
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    crop: int = 224  # side of the centre crop fed to the network

    def __call__(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        short, long = min(width, height), max(width, height)
        new_short, new_long = self.resize, int(self.resize * long / short)  # torchvision's rounding
        size = (new_short, new_long) if width <= height else (new_long, new_short)  # (w, h)
        resized = np.asarray(Image.fromarray(image).resize(size, self.interpolation))  # (h', w', 3) uint8
        top = int(round((size[1] - self.crop) / 2.0))
        left = int(round((size[0] - self.crop) / 2.0))
        patch = resized[top : top + self.crop, left : left + self.crop].astype(np.float32) / 255.0  # (crop, crop, 3)
        patch = (patch - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(patch.transpose(2, 0, 1))  # (3, crop, crop)


class BackboneExtractor(FeatureExtractor):
    """Shared machinery: config checks, weight loading, frame batching. Subclasses set the class
    attributes and :meth:`build`; :meth:`embed` and :meth:`select_state` have defaults."""

    version = "2"  # 2: frames read upright (the container's display rotation applied)
    execution_fields = ("batch_size", "device")
    source: ClassVar[WeightSource]
    preprocess: ClassVar[Preprocess]

    @dataclasses.dataclass(frozen=True)
    class Config(FeatureExtractor.Config):
        weights: str = "auto"  # "auto": env var, caches, then download; "random": untrained (tests); or a file
        batch_size: int = 32  # frames per forward pass
        every: int = 1  # embed every n-th frame (times_s stay exact)
        device: str = "auto"  # "auto" (CUDA when available), "cpu", "cuda", "cuda:1"...

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self._check_config()
        self._net: nn.Module | None = None
        self._weights_label = ""

    def _check_config(self) -> None:
        cfg = self.config
        for field in ("batch_size", "every"):
            if not isinstance(getattr(cfg, field), int) or getattr(cfg, field) < 1:
                raise ConfigError(f"{self.name} {field}: must be a positive integer, got {getattr(cfg, field)!r}")
        if cfg.weights not in ("auto", "random") and not Path(cfg.weights).expanduser().is_file():
            raise ConfigError(f"{self.name} weights: {cfg.weights}: no such file; give a state-dict file, 'auto' or 'random'")
        _device(self.name, cfg.device)

    def build(self) -> nn.Module:
        """The network with random weights (the architecture of the official checkpoint)."""
        raise NotImplementedError

    def embed(self, net: nn.Module, batch: torch.Tensor) -> torch.Tensor:
        """``(B, 3, 224, 224)`` normalised images to ``(B, C)`` features."""
        return net(batch)

    def select_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The part of a checkpoint that belongs to :meth:`build`'s network (all of it by default)."""
        return state

    def load(self) -> nn.Module:
        """Build the network and load its weights once (raises :class:`ConfigError` when they are missing)."""
        import torch

        if self._net is None:
            path = resolve_weights(self.source, self.config.weights)
            if path is None:
                with torch.random.fork_rng(devices=[]):  # same random net every time, global RNG untouched
                    torch.manual_seed(0)
                    net = self.build()
                self._weights_label = "random"
            else:
                net = _load_into(self.build, self.select_state(load_state_file(path)), path, self.name)
                self._weights_label = str(path)
            self._net = net.float().eval().to(_device(self.name, self.config.device))
        return self._net

    def extract(self, path: Path, *, progress: bool = False) -> Features:
        import torch

        path = Path(path)
        info = probe(path)
        net = self.load()
        device = next(net.parameters()).device
        rows, times, batch = [], [], []
        total = math.ceil(self.expected_frames(info) / self.config.every) if info.num_frames else None
        frames = tqdm(self.frames(path, every=self.config.every), total=total, desc=f"{self.name} {path.name}",
                      unit="frame", disable=not progress, leave=False)
        with torch.inference_mode():
            for frame in frames:
                batch.append(self.preprocess(frame.image))  # (3, 224, 224)
                times.append(frame.time_s)
                if len(batch) == self.config.batch_size:
                    rows.append(self._embed_batch(net, batch, device))
                    batch = []
            if batch:
                rows.append(self._embed_batch(net, batch, device))
        if len(times) < 2:
            raise InputError(f"{path}: only {len(times)} frame(s) (every={self.config.every}); need at least 2 to synchronize")
        values = np.concatenate(rows)  # (L, C)
        meta = {"weights": self._weights_label}
        return Features(values, np.ones(len(values), bool), np.asarray(times), self.name, path, info.fps, meta)

    def _embed_batch(self, net: nn.Module, batch: list[np.ndarray], device: torch.device) -> np.ndarray:
        import torch

        images = torch.from_numpy(np.stack(batch)).to(device)  # (B, 3, 224, 224)
        return self.embed(net, images).float().cpu().numpy()  # (B, C)


@FEATURES.register("resnet50")
class ResNet50Extractor(BackboneExtractor):
    """torchvision's ImageNet ResNet-50 (``IMAGENET1K_V2`` weights): the 2048-d global average pool,
    or with ``layer="conv4"`` the ``layer3`` map (1024x14x14, TCC's base network) averaged to 1024-d."""

    name = "resnet50"
    source = WeightSource(
        "resnet50", "https://download.pytorch.org/models/resnet50-11ad3fa6.pth", "resnet50-11ad3fa6.pth", "11ad3fa6"
    )
    preprocess = Preprocess(232, Image.BILINEAR, IMAGENET_MEAN, IMAGENET_STD)  # the V2 weights' eval transform

    @dataclasses.dataclass(frozen=True)
    class Config(BackboneExtractor.Config):
        layer: str = "pool"  # "pool": 2048-d global average pool; "conv4": layer3 averaged, 1024-d

    def _check_config(self) -> None:
        super()._check_config()
        from .nets import LAYERS

        if self.config.layer not in LAYERS:
            raise ConfigError(f"resnet50 layer: {self.config.layer!r} is unknown; choose one of {', '.join(LAYERS)}")

    def build(self) -> nn.Module:
        from .nets import resnet50

        return resnet50()

    def embed(self, net: nn.Module, batch: torch.Tensor) -> torch.Tensor:
        return net.embed(batch, layer=self.config.layer)  # (B, 2048) or (B, 1024)


@FEATURES.register("dino")
class DinoExtractor(BackboneExtractor):
    """DINOv2 ViT-S/14 (facebookresearch/dinov2): the 384-d normalised CLS token at 224 px (16x16 patches)."""

    name = "dino"
    source = WeightSource(
        "dino", "https://dl.fbaipublicfiles.com/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth", "dinov2_vits14_pretrain.pth"
    )
    preprocess = Preprocess(256, Image.BICUBIC, IMAGENET_MEAN, IMAGENET_STD)  # DINOv2's classification eval transform

    def build(self) -> nn.Module:
        from .nets import dinov2_vits14

        return dinov2_vits14()


@FEATURES.register("clip")
class CLIPExtractor(BackboneExtractor):
    """OpenCLIP ViT-B/32 image embedding, 512-d (LAION-2B ``laion2b_s34b_b79k`` weights, exact GELU;
    ``activation="quick_gelu"`` for OpenAI's weights given with ``weights=PATH``)."""

    name = "clip"
    source = WeightSource(
        "clip",
        "https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/main/open_clip_pytorch_model.bin",
        "open_clip_ViT-B-32_laion2b_s34b_b79k.bin",
        hf_repo="laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        hf_filenames=("open_clip_model.safetensors", "open_clip_pytorch_model.bin"),  # open_clip's order
    )
    preprocess = Preprocess(224, Image.BICUBIC, CLIP_MEAN, CLIP_STD)

    @dataclasses.dataclass(frozen=True)
    class Config(BackboneExtractor.Config):
        activation: str = "gelu"  # "gelu" (LAION weights) or "quick_gelu" (OpenAI weights)

    def _check_config(self) -> None:
        super()._check_config()
        if self.config.activation not in ("gelu", "quick_gelu"):
            raise ConfigError(f"clip activation: {self.config.activation!r} is unknown; choose gelu or quick_gelu")

    def build(self) -> nn.Module:
        from .nets import clip_vit_b32

        return clip_vit_b32(act=self.config.activation)

    def select_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        from .nets import clip_visual_state

        return clip_visual_state(state)


# --- weights ----------------------------------------------------------------------------------------


def weight_candidates(source: WeightSource) -> list[Path]:
    """Files that would be used, in order: the torch.hub checkpoint, then Hugging Face cache snapshots."""
    paths = [source.hub_path()]
    if source.hf_repo:
        repo_dir = source.hf_repo_dir()
        ref = repo_dir / "refs" / "main"
        revision = ref.read_text().strip() if ref.is_file() else ""
        for name in source.hf_filenames:  # the snapshot of main first, then any other
            paths += [repo_dir / "snapshots" / revision / name] if revision else []
            paths += sorted((repo_dir / "snapshots").glob(f"*/{name}"))
    return paths


def resolve_weights(source: WeightSource, weights: str = "auto") -> Path | None:
    """The weight file to load, or None for ``weights="random"``; downloads when allowed and needed."""
    if weights == "random":
        return None
    if weights != "auto":
        return Path(weights).expanduser()
    if os.environ.get(source.env_var):
        path = Path(os.environ[source.env_var]).expanduser()
        if not path.is_file():
            raise ConfigError(f"{source.env_var}: {path}: no such file; unset it or point it at the {source.kind} weights")
        return path
    found = next((p for p in weight_candidates(source) if p.is_file()), None)
    if found is not None:
        return found
    offline = next((f"{var}={os.environ[var]}" for var in OFFLINE_VARS if _truthy(os.environ.get(var))), None)
    if offline:
        raise ConfigError(_missing_message(source, f"downloads are off: {offline}"))
    try:
        return download_weights(source.kind)
    except ConfigError as err:
        raise ConfigError(_missing_message(source, f"download failed: {err}")) from None


def download_weights(kind: str, *, progress: bool = True) -> Path:
    """Download the official weights of ``kind`` (``resnet50``, ``dino``, ``clip``) into torch.hub's folder.

    Run it once on a machine with internet; later runs (also offline ones) find the file there::

        download_weights("dino")  # PosixPath('/home/me/.cache/torch/hub/checkpoints/dinov2_vits14_pretrain.pth')
    """
    extractor = FEATURES.get(kind)
    if not issubclass(extractor, BackboneExtractor):
        raise ConfigError(f"{kind}: has no pretrained weights to download; choose one of resnet50, dino, clip")
    source = extractor.source
    dest = source.hub_path()
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s weights from %s to %s", kind, source.url, dest)
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(source.url, timeout=DOWNLOAD_TIMEOUT_S) as response, atomic_write(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            if not digest.hexdigest().startswith(source.sha256_prefix):
                raise ConfigError(f"{source.url}: sha256 {digest.hexdigest()[:8]}... does not start with {source.sha256_prefix}")
    except OSError as err:  # URLError, HTTPError, timeouts, refused connections, full disks
        reason = err.reason if type(err) is urllib.error.URLError else err  # "[Errno -2] Name or service not known"
        raise ConfigError(f"{source.url}: {reason}") from None
    return dest


def load_state_file(path: Path) -> dict[str, torch.Tensor]:
    """Read a state dict (``.pth``/``.bin`` via ``torch.load(weights_only=True)``, or ``.safetensors``)."""
    import torch

    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state: Any = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except ImportError:
        raise ConfigError(f"{path}: reading .safetensors needs the safetensors package; pip install safetensors") from None
    except Exception as err:  # torch raises many types for a damaged or foreign file
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        raise ConfigError(f"{path}: cannot read weights ({reason}); delete the file and get it again") from None
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigError(f"{path}: not a state dict of tensors")
    return {key.removeprefix("module."): value for key, value in state.items()}


def _load_into(build: Callable[[], nn.Module], state: dict[str, torch.Tensor], path: Path, kind: str) -> nn.Module:
    import torch

    with torch.device("meta"):  # no time spent on a random init that the checkpoint overwrites
        net = build()
    expected = {key: tuple(value.shape) for key, value in net.state_dict().items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k} {tuple(state[k].shape)} (expected {expected[k]})"
             for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if missing or unexpected or wrong:
        parts = [f"{len(keys)} {what}, e.g. {', '.join(keys[:3])}" for what, keys in
                 (("missing", missing), ("unexpected", unexpected), ("with the wrong shape", wrong)) if keys]
        raise ConfigError(f"{path}: not {kind} weights ({'; '.join(parts)})")
    net.load_state_dict(state, strict=True, assign=True)
    return net


def _missing_message(source: WeightSource, reason: str) -> str:
    looked = [str(source.hub_path())]
    if source.hf_repo:
        looked.append(str(source.hf_repo_dir() / "snapshots" / "*" / f"{{{','.join(source.hf_filenames)}}}"))
    command = f"python -c \"from mvsync.features.backbone import download_weights; download_weights('{source.kind}')\""
    return (
        f"{source.kind}: pretrained weights not found (looked for {' and '.join(looked)}; {reason}); "
        f"with internet run once: {command}, or save {source.url} as {looked[0]}, "
        f"or pass weights=PATH or set {source.env_var}=PATH"
    )


def _hf_cache_dir() -> Path:
    """Hugging Face's hub cache: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    xdg = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(os.environ.get("HF_HOME", xdg / "huggingface")).expanduser() / "hub"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _device(kind: str, name: str) -> torch.device:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"{kind} device: {name!r} is not a torch device; use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{kind} device: {name!r} but CUDA is not available; use device=cpu")
    return device

"""TCC-family self-supervised frame embedders (Dwibedi et al. 2019): encoders, losses, training, embedding.

Train on unlabelled videos of one action (or their per-frame features), then embed every frame; aligned videos
have nearby embeddings at corresponding moments.

>>> from mvsync import load_features
>>> features = [load_features(p) for p in ("feats/ride/a.npz", "feats/pedal/b.npz", "feats/ride/c.npz")]
>>> model = fit_embedder(features, algo="tcc", epochs=1)  # one epoch to show the calls; a real run trains ~300
>>> embs = embed(model, features[0])  # one embedding per frame of a.mp4
>>> embs.shape
(100, 128)
>>> model = load_embedder(save_embedder(model, "tcc.pt"))
>>> len(model.history)  # the loss history travels with the weights
1
"""

from .augment import FEATURE_FLIPS, augment_features, augment_frames
from .bases import BASES
from .encoders import ConvEmbedder, EncoderConfig, TCCEncoder
from .losses import (
    cycle_back_classification,
    cycle_back_regression,
    npairs_loss,
    sal_loss,
    tcn_loss,
)
from .objectives import ALGORITHMS, LossConfig, build_objective
from .embedder import TCCConfig, TCCEmbedder, TCCTrainConfig, embed, fit_embedder, load_embedder, save_embedder

__all__ = [
    "ALGORITHMS", "BASES", "FEATURE_FLIPS", "ConvEmbedder", "EncoderConfig", "LossConfig", "TCCConfig",
    "TCCEmbedder", "TCCEncoder", "TCCTrainConfig", "augment_features", "augment_frames", "build_objective",
    "cycle_back_classification", "cycle_back_regression", "embed", "fit_embedder", "load_embedder",
    "npairs_loss", "sal_loss", "save_embedder", "tcn_loss",
]

"""Stage 2: per-frame features. Each extractor module registers itself in ``FEATURES``."""

from . import appearance, backbone, pose  # noqa: F401  (registration)
from .auto import FeatureChoice, choose_features
from .base import FEATURES, FeatureExtractor, create_extractor
from .cache import FeatureCache, default_cache_dir
from .extract import extract_features
from .parallel import Execution, available_cores, default_jobs
from .store import load_features, save_features

__all__ = ["FEATURES", "Execution", "available_cores", "default_jobs", "FeatureChoice", "FeatureExtractor", "choose_features", "create_extractor", "FeatureCache", "default_cache_dir", "extract_features", "load_features", "save_features"]

"""The registered names the command line offers (see :mod:`mvsync.names`), importable without loading torch."""

from .names import ALIGNER_NAMES, AUTO_FEATURES, DATASET_NAMES, FEATURE_NAMES, TRAINER_NAMES

__all__ = ["ALIGNER_NAMES", "AUTO_FEATURES", "DATASET_NAMES", "FEATURE_NAMES", "TRAINER_NAMES"]

"""The registered names the command line offers (see :mod:`mvsync.names`), importable without loading torch."""

from .names import (ALIGNER_NAMES, ALWAYS_OUTPUT, AUTO_FEATURES, DATASET_NAMES, DEFAULT_OUTPUTS, FEATURE_NAMES,
                    TRAINER_NAMES, WRITER_NAMES)

__all__ = ["ALIGNER_NAMES", "ALWAYS_OUTPUT", "AUTO_FEATURES", "DATASET_NAMES", "DEFAULT_OUTPUTS", "FEATURE_NAMES",
           "TRAINER_NAMES", "WRITER_NAMES"]

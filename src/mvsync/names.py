"""The registered names, importable without loading torch or mediapipe (like :mod:`mvsync.types`, from anywhere).

Checking options (``mvsync sync --features x``, ``sync(method=...)``) and building the command line's choices must not
import the models (seconds), so the names are listed here; ``tests/test_cli.py`` checks that they equal the
registries' names, so a new extractor, aligner, trainer, dataset or writer that is registered but not listed fails the tests.
"""

FEATURE_NAMES = ("appearance", "clip", "dino", "pose", "resnet50")  # mvsync.features.FEATURES
AUTO_FEATURES = "auto"  # not an extractor: pose where a person is found, else appearance (mvsync.features.auto)
ALIGNER_NAMES = ("consensus", "dtw", "tpl")  # mvsync.align.ALIGNERS
REFERENCE_ALIGNERS = ("dtw",)  # the aligners whose timeline is one clip's (they take a reference)
TRAINER_NAMES = ("dtan", "sal", "tcc", "tcc+sal", "tcc+tcn", "tcn", "tpl")  # mvsync.train.TRAINERS
DATASET_NAMES = ("gen_mvs", "penn_action", "pouring")  # mvsync.datasets.DATASETS
WRITER_NAMES = ("alignment", "clips", "ghost", "grid", "json", "pair", "player")  # mvsync.render.WRITERS
ALWAYS_OUTPUT = "json"  # sync.json: every other output, and ``mvsync render``, reads it
DEFAULT_OUTPUTS = ("json", "grid", "alignment", "player")  # what ``mvsync sync`` writes unless told otherwise
ANGLE_NAMES = ("knee_left", "knee_right", "hip_left", "hip_right", "elbow_left", "elbow_right", "shoulder_left",
               "shoulder_right", "trunk_lean")  # mvsync.features.joint_angles: JOINTS, then the trunk's lean

"""The registered names the command line offers, importable without loading torch or mediapipe.

Building the parser must not import the models (``mvsync --help`` would take seconds), so the choices are listed
here; ``tests/test_cli.py`` checks that they equal the registries' names, so a new extractor, aligner, trainer or
dataset that is registered but not listed fails the tests.
"""

FEATURE_NAMES = ("appearance", "clip", "dino", "pose", "resnet50")  # mvsync.features.FEATURES
ALIGNER_NAMES = ("dtw", "tpl")  # mvsync.align.ALIGNERS
TRAINER_NAMES = ("dtan", "sal", "tcc", "tcc+sal", "tcc+tcn", "tcn", "tpl")  # mvsync.train.TRAINERS
DATASET_NAMES = ("gen_mvs", "penn_action", "pouring")  # mvsync.datasets.DATASETS

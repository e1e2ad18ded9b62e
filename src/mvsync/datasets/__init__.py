"""Datasets for evaluating alignment: each loader reads an official on-disk layout into ``Clip`` items.

``DATASETS`` maps a name to a loader class (``create_dataset("penn_action", root)``):
``penn_action``, ``pouring`` and ``gen_mvs``. UCR/UEA time series load with :func:`load_ucr`.
"""

from . import gen_mvs, penn_action, pouring  # noqa: F401  (registration)
from .base import DATASETS, Clip, ClipDataset, create_dataset, event_matrix
from .gen_mvs import GenMVS
from .penn_action import PennAction, read_keypoints
from .penn_keypoints import DERIVED_EVENT_RULES, Keypoints, derived_key_events, keypoint_features
from .phases import events_from_phases, phases_from_boundaries, read_phase_file, read_phase_table
from .pouring import Pouring
from .ucr import load_ucr

__all__ = [
    "DATASETS", "Clip", "ClipDataset", "create_dataset", "event_matrix",
    "GenMVS", "PennAction", "Pouring", "load_ucr",
    "Keypoints", "read_keypoints", "keypoint_features", "derived_key_events", "DERIVED_EVENT_RULES",
    "read_phase_file", "read_phase_table", "phases_from_boundaries", "events_from_phases",
]

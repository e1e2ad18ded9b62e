"""The dataset registry and the Clip helpers."""

import numpy as np
import pytest

from mvsync.datasets import DATASETS, Clip, create_dataset, event_matrix
from mvsync.errors import ConfigError


def test_registry_names_and_unknown_name(tmp_path):
    assert DATASETS.names() == ["gen_mvs", "penn_action", "pouring"]
    with pytest.raises(ConfigError, match="dataset 'kinetics': unknown; choose one of gen_mvs, penn_action, pouring"):
        create_dataset("kinetics", tmp_path)


def test_event_matrix_from_clips_and_dicts():
    a = Clip("a", "golf", "all", events={"start": 0.0, "top": 10.0, "end": 20.0})
    b = Clip("b", "golf", "all", events={"start": 2.0, "end": 30.0})
    names, table = event_matrix([a, b])
    assert names == ["start", "top", "end"]
    assert np.array_equal(table, [[0, 10, 20], [2, np.nan, 30]], equal_nan=True)
    names, table = event_matrix([a, {"top": None}], names=["top"])
    assert names == ["top"] and table[0, 0] == 10 and np.isnan(table[1, 0])

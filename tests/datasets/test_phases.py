"""Phase label files and tables, and key events read from phases."""

import json
import math

import numpy as np
import pytest

from mvsync.datasets import events_from_phases, phases_from_boundaries, read_phase_file, read_phase_table
from mvsync.datasets.phases import resolve_phases
from mvsync.errors import InputError


@pytest.mark.parametrize("name, content", [
    ("a.txt", "0 0 1\n1 2\n"),
    ("a.csv", "phase\n0\n0\n1\n1\n2\n"),
    ("a.csv", "0,0,1,1,2"),
])
def test_read_phase_file_text(tmp_path, name, content):
    (tmp_path / name).write_text(content)
    assert read_phase_file(tmp_path / name).tolist() == [0, 0, 1, 1, 2]


def test_read_phase_file_npy(tmp_path):
    np.save(tmp_path / "a.npy", np.array([0.0, 1.0, 1.0]))  # whole floats are accepted
    labels = read_phase_file(tmp_path / "a.npy")
    assert labels.tolist() == [0, 1, 1] and labels.dtype == np.int64


@pytest.mark.parametrize("content, match", [
    ("0 x 1", "expected integers"),
    ("0 -1 1", ">= 0"),
    ("", "non-empty"),
])
def test_read_phase_file_rejects_bad_values(tmp_path, content, match):
    (tmp_path / "a.txt").write_text(content)
    with pytest.raises(InputError, match=match):
        read_phase_file(tmp_path / "a.txt")


def test_phases_from_boundaries():
    # boundaries = first frames of phases 1 and 2: frames 0 | 1 2 | 3 4
    assert phases_from_boundaries(np.array([1, 3]), 5).tolist() == [0, 1, 1, 2, 2]
    assert phases_from_boundaries(np.array([], int), 3).tolist() == [0, 0, 0]
    with pytest.raises(InputError, match="non-decreasing"):
        phases_from_boundaries(np.array([3, 1]), 5)
    with pytest.raises(InputError, match="non-decreasing"):
        phases_from_boundaries(np.array([1, 7]), 5)


def test_read_phase_table_json_and_csv(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"a": [0, 1], "b": {"phases": [0, 0, 1]}, "c": {"boundaries": [1]}}))
    table = read_phase_table(tmp_path / "t.json")
    assert table["a"]["phases"].tolist() == [0, 1] and table["b"]["phases"].tolist() == [0, 0, 1]
    assert resolve_phases(table["c"], 3, "c").tolist() == [0, 1, 1]
    (tmp_path / "t.csv").write_text("name,frame,phase\na,1,1\na,0,0\nb,0,2\n")
    table = read_phase_table(tmp_path / "t.csv")
    assert table["a"]["phases"].tolist() == [0, 1] and table["b"]["phases"].tolist() == [2]


@pytest.mark.parametrize("name, content, match", [
    ("t.json", "[1, 2]", "keyed by clip name"),
    ("t.json", '{"a": 3}', "expected a list of per-frame labels"),
    ("t.json", "{", "not valid JSON"),
    ("t.csv", "clip,frame,phase\na,0,0\n", "name,frame,phase"),
    ("t.csv", "name,frame,phase\na,0,0\na,2,1\n", "every frame 0..1"),
    ("t.txt", "0 1", "must be .json or .csv"),
])
def test_read_phase_table_rejects_bad_tables(tmp_path, name, content, match):
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=match):
        read_phase_table(tmp_path / name)


def test_events_from_phases():
    # phase 1 starts at frame 2, phase 2 at frame 4
    assert events_from_phases(np.array([0, 0, 1, 1, 2])) == {"phase_1_start": 2.0, "phase_2_start": 4.0}
    # a clip that never reaches phase 2 of a 3-phase dataset
    events = events_from_phases(np.array([0, 1, 1]), num_phases=3)
    assert events["phase_1_start"] == 1.0 and math.isnan(events["phase_2_start"])

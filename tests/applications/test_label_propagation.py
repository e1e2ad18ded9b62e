"""Label propagation (issue 11, section 5): known phases of a real clip carried through the sync map to retimed
copies, whose true phases are known from the frames they show."""

import json

import numpy as np
import pytest

from mvsync.applications.label_propagation import label_accuracy, label_spans, read_labels
from mvsync.cli import main
from mvsync.errors import ConfigError, InputError
from mvsync.sync import sync

BOUNDARIES = np.array([40, 75, 110])  # first source frame of phases 1, 2, 3 of the 150 source frames


def true_phases(content: np.ndarray) -> np.ndarray:
    return np.searchsorted(BOUNDARIES, content, side="right")


@pytest.fixture(scope="module")
def synced(retimed):
    paths, contents = retimed
    return sync(paths, method="dtw", features="appearance"), contents


def test_propagated_phases_match_the_known_truth(synced):
    result, contents = synced
    for source in (0, 2):
        propagated = result.propagate(true_phases(contents[source]), from_clip=source)
        accuracy = [label_accuracy(p, true_phases(c)) for p, c in zip(propagated, contents)]
        assert accuracy[source] == 1.0
        assert min(accuracy) >= 0.97, accuracy
        assert [len(p) for p in propagated] == [len(c) for c in contents]


def test_propagate_refuses_wrong_length_and_unknown_clip(synced):
    result, contents = synced
    with pytest.raises(InputError, match=r"labels: 10 labels for the \d+ frames of clip 1"):
        result.propagate(np.zeros(10, int), from_clip=1)
    with pytest.raises(ConfigError, match="from_clip: 7 is out of range for 4 videos"):
        result.propagate(true_phases(contents[0]), from_clip=7)


def test_labels_files_and_spans(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"boundaries": [2, 4]}))
    (tmp_path / "b.json").write_text(json.dumps(["up", "up", "down"]))
    assert read_labels(tmp_path / "a.json", 5).tolist() == [0, 0, 1, 1, 2]
    assert read_labels(tmp_path / "b.json", 3).tolist() == ["up", "up", "down"]
    with pytest.raises(InputError, match=r"b.json: 3 labels for a clip of 4 frames"):
        read_labels(tmp_path / "b.json", 4)
    assert label_spans(np.array(["up", "up", "down"])) == [{"label": "up", "start_frame": 0, "end_frame": 1},
                                                             {"label": "down", "start_frame": 2, "end_frame": 2}]


def test_cli_writes_one_labels_file_per_clip(capsys, tmp_path, retimed, synced):
    paths, contents = retimed
    result, _ = synced
    result.save(tmp_path / "sync.json")
    (tmp_path / "phases.json").write_text(json.dumps(true_phases(contents[1]).tolist()))
    out = tmp_path / "labels"
    args = [str(tmp_path / "sync.json"), "--labels", f"{paths[1].name}:{tmp_path / 'phases.json'}", "-o", str(out), "-q"]
    assert main(["propagate-labels", *args]) == 0
    files = sorted(out.glob("*.json"))
    assert [f.stem for f in files] == sorted(p.stem for p in paths)
    record = json.loads((out / f"{paths[3].stem}.json").read_text())
    assert record["propagated_from"] == str(paths[1]) and record["num_frames"] == len(contents[3])
    assert label_accuracy(np.array(record["labels"]), true_phases(contents[3])) >= 0.97
    assert main(["propagate-labels", *args]) == 2  # exists: needs --force
    assert "pass --force" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["missing clip", "wrong length", "unknown clip"])
def test_cli_bad_input_is_one_line_exit_2_and_no_output(capsys, tmp_path, retimed, case):
    paths, contents = retimed
    labels = tmp_path / "phases.json"
    labels.write_text(json.dumps(true_phases(contents[0])[: 10 if case == "wrong length" else None].tolist()))
    clips = [str(p) for p in paths[:2]] + ([str(tmp_path / "gone.mp4")] if case == "missing clip" else [])
    clip = "nope.mp4" if case == "unknown clip" else "0"
    out = tmp_path / "out"
    assert main(["propagate-labels", *clips, "--labels", f"{clip}:{labels}", "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("mvsync: error: ")
    assert {"missing clip": "gone.mp4: no such file", "wrong length": "10 labels for a clip of 150 frames",
            "unknown clip": "clip nope.mp4: is none of the clips"}[case] in err
    assert not out.exists()

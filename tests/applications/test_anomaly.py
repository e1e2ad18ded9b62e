"""Anomaly map (issue 11, section 6): a real clip with a segment replaced by another clip's frames is flagged there
(>= 80% of the replaced frames) and nowhere else (<= 5% of the other frames)."""

import itertools
import json

import numpy as np
import pytest

from mvsync.applications.anomaly import anomaly_map, anomaly_record
from mvsync.cli import main
from mvsync.evaluate import Retiming
from mvsync.features import extract_features
from mvsync.io import VideoWriter, read_frames
from mvsync.sync import sync
from ..conftest import SMALL

RETIMINGS = (Retiming(1.0), Retiming(0.8, lead_in=10, tail=3), Retiming(1.25, lead_in=4, ease=0.3),
             Retiming(0.9, lead_in=15, ease=-0.4))
DAMAGED, REPLACED = 3, slice(70, 100)  # frames 70-99 of copy 3 show carphone_pristine.mp4 instead


@pytest.fixture(scope="module")
def damaged_set(tmp_path_factory, bikes, carphone):
    """Retimed copies of bikes.mp4; copy 3 has 30 frames replaced by another real clip's frames."""
    folder = tmp_path_factory.mktemp("anomaly")
    frames = [f.image for f in itertools.islice(read_frames(bikes, size=SMALL), 150)]
    intruder = [f.image for f in itertools.islice(read_frames(carphone, size=SMALL), 30)]
    paths = []
    for k, retiming in enumerate(RETIMINGS):
        images = [frames[c] for c in retiming.content_frames(len(frames))]
        if k == DAMAGED:
            images[REPLACED] = intruder
        paths.append(folder / f"copy{k}.mp4")
        with VideoWriter(paths[-1], fps=25, size=SMALL, crf=0) as writer:
            for image in images:
                writer.write(image)
    return paths


def replaced_mask(num_frames: int) -> np.ndarray:
    mask = np.zeros(num_frames, bool)
    mask[REPLACED] = True
    return mask


def test_the_replaced_segment_is_flagged_there_and_nowhere_else(damaged_set):
    result = sync(damaged_set, method="dtw", features="appearance")
    amap = anomaly_map(result, extract_features(damaged_set, kind="appearance"))
    truth = replaced_mask(len(amap.flagged[DAMAGED]))
    assert amap.flagged[DAMAGED][truth].mean() >= 0.8
    others = np.concatenate([amap.flagged[DAMAGED][~truth]] + [f for i, f in enumerate(amap.flagged) if i != DAMAGED])
    assert others.mean() <= 0.05
    spans = anomaly_record(amap, result)["clips"][DAMAGED]["spans"]
    assert len(spans) == 1 and abs(spans[0]["start_frame"] - 70) <= 2 and abs(spans[0]["end_frame"] - 99) <= 2


def test_cli_writes_heat_strips_and_spans(capsys, tmp_path, damaged_set):
    out = tmp_path / "out"
    assert main(["anomaly", *map(str, damaged_set), "--features", "appearance", "-o", str(out), "-q"]) == 0
    png = (out / "anomaly.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    record = json.loads((out / "anomaly.json").read_text())
    assert [c["path"] for c in record["clips"]] == list(map(str, damaged_set))
    assert [bool(c["spans"]) for c in record["clips"]] == [False, False, False, True]
    assert f"{damaged_set[DAMAGED]}: 30 of" in capsys.readouterr().out
    assert main(["anomaly", *map(str, damaged_set), "-o", str(out), "-q"]) == 2  # exists: needs --force


def test_cli_refuses_fewer_than_three_clips_and_a_bad_k(capsys, tmp_path, damaged_set):
    out = tmp_path / "out"
    assert main(["anomaly", *map(str, damaged_set[:2]), "-o", str(out), "-q"]) == 2
    assert "needs at least 3 clips" in capsys.readouterr().err
    assert main(["anomaly", *map(str, damaged_set), "-k", "0", "-o", str(out), "-q"]) == 2
    assert "k: 0.0 must be a finite number > 0" in capsys.readouterr().err
    assert not out.exists()

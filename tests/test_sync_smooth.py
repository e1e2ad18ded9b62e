"""``sync(..., smooth=SIGMA)`` / ``mvsync sync --smooth SIGMA``: the features smoothed over time before aligning."""

import json

import numpy as np
import pytest

from mvsync import sync
from mvsync.cli import main
from mvsync.errors import ConfigError
from mvsync.evaluate import content_error
from mvsync.features.smoothing import smooth_over_time


def test_smoothing_averages_valid_frames_only():
    rng = np.random.default_rng(0)
    values = 5.0 + rng.normal(0, 1, (200, 3))  # a constant signal with jitter
    valid = np.ones(200, bool)
    valid[50] = False
    values[50] = 1e6  # an invalid frame holds garbage: it must neither move nor leak into its neighbours
    out = smooth_over_time(values, valid, 2.0)
    assert out[50, 0] == 1e6 and np.abs(out[valid] - 5.0).max() < 2.0
    assert out[valid].std() < 0.5 * values[valid].std()  # the jitter is averaged out
    assert smooth_over_time(values, valid, 0) is values  # 0: off
    steps = np.repeat([[0.0], [1.0]], 50, axis=0)  # a step stays a step (monotone), only its edge softens
    smoothed = smooth_over_time(steps, np.ones(100, bool), 1.0)[:, 0]
    assert np.all(np.diff(smoothed) >= 0) and smoothed[0] == 0 and smoothed[-1] == 1


def test_sync_smooths_and_says_so(retimed):
    paths, contents = retimed
    result = sync(paths, features="appearance", smooth=1.0)
    errors = content_error(result, contents)
    assert np.median(errors) <= 1 and np.percentile(errors, 95) <= 2
    assert result.extra["smooth"] == 1.0
    assert "smooth" not in sync(paths[:2], features="appearance").extra


@pytest.mark.parametrize("bad", [-1.0, 11.0, float("nan"), True])
def test_bad_smooth_is_refused_before_any_work(retimed, bad):
    with pytest.raises(ConfigError, match="smooth: must be a number of frames from 0"):
        sync(retimed[0][:2], features="appearance", smooth=bad)


def test_cli_smooth(capsys, tmp_path, retimed):
    out = tmp_path / "out"
    assert main(["sync", *map(str, retimed[0][:3]), "-o", str(out), "--features", "appearance", "--smooth", "1",
                 "--outputs", "json", "-q"]) == 0
    assert json.loads((out / "sync.json").read_text())["extra"]["smooth"] == 1.0
    assert main(["sync", *map(str, retimed[0][:2]), "-o", str(tmp_path / "bad"), "--smooth", "-2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "smooth: must be" in err and not (tmp_path / "bad").exists()

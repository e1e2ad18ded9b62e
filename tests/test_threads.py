"""torch's thread count: set for a call and restored, capped at the usable cores, --threads checked up front."""

import os
import subprocess
import sys
import time

import pytest
import torch

from mvsync.cli import main
from mvsync.errors import ConfigError
from mvsync.threads import available_cores, busy_cores, default_threads, idle_cores, torch_threads


def test_a_given_count_holds_inside_the_call_and_the_old_one_comes_back():
    before = torch.get_num_threads()
    with torch_threads(before + 1) as n:
        assert n == torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before


def test_cores_taken_by_other_jobs_are_left_to_them():
    assert idle_cores(2, 2, 0.0) == 2
    assert idle_cores(2, 2, 1.0) == 1  # one busy core of two: the case measured in bench_threads.py
    assert idle_cores(2, 2, 7.0) == 1  # never 0
    assert idle_cores(8, 64, 32.0) == 4  # a cpuset of 8 cores on a half-busy 64-core host


def test_the_default_caps_at_the_usable_cores_and_never_raises_a_smaller_choice(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert available_cores() == len(os.sched_getaffinity(0))
    torch.set_num_threads(available_cores() + 3)  # more than this process may use
    try:
        assert 1 <= default_threads() <= available_cores()
        torch.set_num_threads(1)  # the caller's choice (as the test session's)
        with torch_threads() as n:
            assert n == 1
    finally:
        torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # torchrun's: left as it is
    assert default_threads() is None


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="busy_cores reads Linux's /proc/stat")
def test_a_job_started_just_before_counts_though_the_load_average_lags(monkeypatch):
    """A process spinning for a second barely moves the 1-minute load average; /proc/stat sees its core busy."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # interpreter start-up, then it spins
        busy = busy_cores(0.3)
        assert busy is not None and busy >= 0.8, busy  # at least its own core (more if the machine is loaded)
        if available_cores() == os.cpu_count() == 2:  # this project's machine and CI: one core left
            torch.set_num_threads(2)
            assert default_threads() == 1
    finally:
        spinner.kill()
        spinner.wait()
        torch.set_num_threads(1)


@pytest.mark.parametrize("bad", [0, -2, True, 1.5])
def test_a_bad_count_is_one_line(bad):
    with pytest.raises(ConfigError, match="threads: must be a positive int"):
        with torch_threads(bad):
            pass


def test_sync_rejects_bad_threads_before_any_output(tmp_path, capsys, bikes):
    out = tmp_path / "out"
    assert main(["sync", str(bikes), str(bikes), "-o", str(out), "--threads", "0", "-q"]) == 2
    assert "threads: must be a positive int (got 0)" in capsys.readouterr().err
    assert not out.exists()

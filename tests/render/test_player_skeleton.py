"""Issue 25: the pose skeleton over each clip, the joint-angle readout and plot in the player (headless Chromium), and
``mvsync angles`` (CSV and PNG), all on a real clip with a person (bikes.mp4, a cyclist, as in the demo) and a retimed copy of it."""

from __future__ import annotations

import csv
import dataclasses
import os

import numpy as np
import pytest
from PIL import Image

from mvsync import sync
from mvsync.applications.body_angles import timeline_angles
from mvsync.cli import main
from mvsync.errors import ConfigError
from mvsync.evaluate import Retiming, write_retimed
from mvsync.features import extract_features
from mvsync.features.joint_angles import ANGLE_NAMES, visible_angles
from mvsync.io import probe
from mvsync.render import PlayerOptions, render_player
from mvsync.result import SyncResult

from .browser import player_data, wait_until_loaded, wait_until_still

SCREENSHOT_ENV = "MVSYNC_SKELETON_SCREENSHOT"  # set to a path (docs/images/player_skeleton.png) to keep the picture


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def synced(tmp_path_factory, bikes, cache):
    clips = write_retimed(bikes, tmp_path_factory.mktemp("copies"),
                          (Retiming(tempo=1.0), Retiming(tempo=0.8, lead_in=6, tail=3)), size=(320, 136), max_frames=90)
    return sync([p for p, _ in clips], method="dtw", features="pose", cache_dir=str(cache))


@pytest.fixture(scope="module")
def features(synced, cache):
    return extract_features([t.path for t in synced.videos], kind="pose", cache_dir=str(cache))


@pytest.fixture(scope="module")
def player(tmp_path_factory, synced, cache):
    return render_player(synced, tmp_path_factory.mktemp("out") / "player", options=PlayerOptions(cache_dir=str(cache)))


@pytest.fixture()
def page(chromium, player):
    page = chromium.new_page(viewport={"width": 1000, "height": 760})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((player / "index.html").resolve().as_uri())
    wait_until_loaded(page)
    yield page
    assert not errors, errors
    page.close()


def _both_shown(player) -> list[int]:
    """Timeline frames where both clips show a frame with the person."""
    rows = [c["pose"]["rows"] for c in player_data(player)["clips"]]
    return [i for i in range(len(rows[0])) if rows[0][i] is not None and rows[1][i] is not None]


def _shown_landmarks(player, k: int, frame: int) -> np.ndarray | None:
    """Clip k's landmarks at timeline frame ``frame`` in pixels of its displayed frame, from sync-data.js."""
    pose = player_data(player)["clips"][k]["pose"]
    row = pose["rows"][frame]
    if row is None:
        return None
    marks = np.asarray(pose["landmarks"][row]).reshape(33, 3)
    return marks * [*pose["size"], 1.0]  # pixels, and the visibility


def test_the_player_data_carries_each_clips_landmarks_from_the_cache(player, synced, features):
    for clip, track, feats in zip(player_data(player)["clips"], synced.videos, features):
        pose = clip["pose"]
        info = probe(track.path)
        assert pose["size"] == [info.width, info.height] and len(pose["rows"]) == synced.length
        assert len(pose["landmarks"]) == feats.num_frames
        np.testing.assert_allclose(np.asarray(pose["landmarks"]).reshape(-1, 33, 3), feats.meta["image_landmarks"],
                                   atol=6e-5)  # 4 decimals
        shown = [r for r in pose["rows"] if r is not None]
        assert len(shown) > 0.3 * synced.length  # the cyclist, small in a 320x136 frame, is found in part of them


def test_no_skeleton_without_cached_pose_unless_asked(tmp_path, synced):
    """Default: from the cache only (an empty cache here: none); skeleton=False: none."""
    empty = tmp_path / "empty-cache"
    folder = render_player(synced, tmp_path / "a", options=PlayerOptions(cache_dir=str(empty)))
    assert [c["pose"] for c in player_data(folder)["clips"]] == [None, None]
    folder = render_player(synced, tmp_path / "b", options=PlayerOptions(skeleton=False))
    assert [c["pose"] for c in player_data(folder)["clips"]] == [None, None]


def test_a_skeleton_extracted_for_the_player_runs_the_model_at_pose_rate_unless_the_cache_has_every_frame(
        tmp_path, synced, cache, player):
    """skeleton=True with pose_rate (the demo's 10 Hz): the cached every-frame pose is used as it is; with an empty
    cache the model runs on a third of the 25 fps frames, the landmarks between interpolated."""
    with pytest.raises(ConfigError, match="pose_rate: expected a positive number"):
        PlayerOptions(pose_rate=0)
    kept = render_player(synced, tmp_path / "kept", options=PlayerOptions(skeleton=True, cache_dir=str(cache),
                                                                          pose_rate=10))
    assert player_data(kept)["clips"][0]["pose"] == player_data(player)["clips"][0]["pose"]
    fresh = tmp_path / "fresh-cache"
    render_player(synced, tmp_path / "fresh", options=PlayerOptions(skeleton=True, cache_dir=str(fresh), pose_rate=10))
    made = extract_features([synced.videos[0].path], kind="pose", cache_dir=str(fresh), min_detected=0.0,
                            model_rate=10)[0]  # read back from the cache the player filled
    assert made.meta["model_frames"] == -(-made.num_frames // 3)


def test_the_skeleton_is_drawn_on_the_person(page, player, synced):
    """Each drawn joint lies where its landmark is in the picture (object-fit: contain), within 2 pixels, and the
    canvas has ink there; overlay(false, k) takes one clip's skeleton away."""
    frame = _both_shown(player)[len(_both_shown(player)) // 2]
    page.evaluate(f"mvsyncPlayer.seek({frame / synced.fps})")
    wait_until_still(page)
    for k in range(2):
        drawn = page.evaluate(f"mvsyncPlayer.skeleton({k})")
        expected_px = _shown_landmarks(player, k, frame)
        box = page.evaluate(f"""(() => {{ const v = document.querySelectorAll('video')[{k}]; const r = v.getBoundingClientRect();
            return [r.left, r.top, r.width, r.height, v.videoWidth, v.videoHeight]; }})()""")
        left, top, width, height, vw, vh = box
        scale = min(width / vw, height / vh)
        x0, y0 = left + (width - vw * scale) / 2, top + (height - vh * scale) / 2
        size = player_data(player)["clips"][k]["pose"]["size"]
        expected = np.stack([x0 + expected_px[:, 0] / size[0] * vw * scale, y0 + expected_px[:, 1] / size[1] * vh * scale], 1)
        got = np.array([[p["x"], p["y"]] for p in drawn])
        seen = expected_px[:, 2] >= 0.5
        np.testing.assert_allclose(got[seen], expected[seen], atol=2.0)
        nose = got[np.flatnonzero(seen)[0]]  # a visible joint
        ink = page.evaluate(f"""(() => {{ const c = document.querySelectorAll('canvas.skeleton')[{k}]; const r = c.getBoundingClientRect();
            const s = c.width / r.width; return c.getContext('2d').getImageData(Math.round(({nose[0]} - r.left) * s),
            Math.round(({nose[1]} - r.top) * s), 1, 1).data[3]; }})()""")
        assert ink > 0  # the joint's dot is on the canvas
    page.evaluate("mvsyncPlayer.overlay(false, 0)")
    assert page.evaluate("mvsyncPlayer.skeleton(0)") is None and page.evaluate("mvsyncPlayer.skeleton(1)") is not None
    page.evaluate("mvsyncPlayer.overlay(true)")
    assert page.evaluate("mvsyncPlayer.skeleton(0)") is not None


def test_the_angle_readout_is_the_angle_of_the_landmarks_shown(page, player, synced):
    both = _both_shown(player)
    finite = 0
    for frame in both[:: max(1, len(both) // 12)]:
        page.evaluate(f"mvsyncPlayer.seek({frame / synced.fps})")
        readout = page.evaluate("mvsyncPlayer.angles()")
        for k in range(2):
            expected = visible_angles(_shown_landmarks(player, k, frame)[None], ANGLE_NAMES)[0]
            got = np.array([np.nan if readout[k][n] is None else readout[k][n] for n in ANGLE_NAMES])
            np.testing.assert_allclose(got, expected, atol=0.01)
            finite += np.isfinite(got).sum()
    assert finite >= 20  # the cyclist's arms, hips and knees, where they are visible
    cells = page.evaluate("Array.from(document.querySelectorAll('#angle-table tbody tr')).map(r => r.cells.length)")
    assert cells == [1 + len(ANGLE_NAMES)] * 2


def test_the_angle_plot_is_mvsync_angles_and_a_click_seeks(page, player, synced, features):
    """The plot's curves are the library's timeline_angles (what mvsync angles writes), on the landmarks as the page
    keeps them (4 decimals of the frame: up to 0.3 degree on the tiny cyclist's short limbs); a click on the plot
    seeks to that point of the timeline."""
    kept = [dataclasses.replace(f, meta={**f.meta, "image_landmarks": np.round(f.meta["image_landmarks"], 4)})
            for f in features]
    table = timeline_angles(synced, kept, ["knee_left", "elbow_right"])
    for j, joint in enumerate(table.joints):
        series = page.evaluate(f"mvsyncPlayer.anglePlot('{joint}')")
        assert series["joint"] == joint
        got = np.array([[np.nan if v is None else v for v in clip] for clip in series["series"]])
        np.testing.assert_allclose(got, table.values[:, :, j], atol=0.01)
    box = page.evaluate("(() => { const r = document.getElementById('angle-plot').getBoundingClientRect(); "
                        "return [r.left, r.top, r.width, r.height]; })()")
    hit = page.evaluate(f"(document.elementFromPoint({box[0] + 0.75 * box[2]}, {box[1] + box[3] / 2}) || {{}}).id")
    assert hit == "angle-plot", (hit, box)
    page.mouse.click(box[0] + 0.75 * box[2], box[1] + box[3] / 2)
    end_s = (synced.length - 1) / synced.fps
    assert page.evaluate("mvsyncPlayer.state().time") == pytest.approx(0.75 * end_s, abs=2 / synced.fps)


def test_ghost_view_draws_both_bodies_in_one_cell(page, player, synced, tmp_path):
    moment = _both_shown(player)[len(_both_shown(player)) // 2] / synced.fps
    page.select_option("#mode", "ghost")
    page.evaluate(f"mvsyncPlayer.seek({moment})")
    wait_until_still(page)
    a, b = page.evaluate("mvsyncPlayer.skeleton(0)"), page.evaluate("mvsyncPlayer.skeleton(1)")
    assert a is not None and b is not None
    boxes = page.evaluate("Array.from(document.querySelectorAll('.cell')).map(c => { const r = c.getBoundingClientRect(); "
                          "return [r.left, r.top, r.width, r.height]; })")
    assert boxes[0] == boxes[1]  # one cell: the two bodies drawn over each other
    shot = page.screenshot(path=str(tmp_path / "ghost.png"))
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    page.select_option("#mode", "grid")
    page.evaluate(f"mvsyncPlayer.seek({moment})")
    wait_until_still(page)
    if os.environ.get(SCREENSHOT_ENV):  # the moment with the most angles read, the angle read most often
        readable = [np.isfinite(visible_angles(_shown_landmarks(player, 0, i)[None])[0]) for i in _both_shown(player)]
        best = _both_shown(player)[int(np.argmax([r.sum() for r in readable]))]
        page.evaluate(f"mvsyncPlayer.anglePlot('{ANGLE_NAMES[int(np.argmax(np.sum(readable, axis=0)))]}')")
        page.evaluate(f"mvsyncPlayer.seek({best / synced.fps})")
        wait_until_still(page)
        page.screenshot(path=str(tmp_path / "skeleton.png"))
        Image.open(tmp_path / "skeleton.png").convert("RGB").quantize(256).save(os.environ[SCREENSHOT_ENV], optimize=True)


def test_mvsync_angles_writes_the_csv_and_the_plot(tmp_path, synced, features, cache, capsys):
    out = tmp_path / "run"
    out.mkdir()
    synced.save(out / "sync.json")
    argv = ["angles", str(out), "--joint", "knee_left,trunk_lean", "--cache-dir", str(cache), "-q"]
    assert main(argv) == 0
    rows = list(csv.DictReader((out / "angles.csv").open()))
    assert list(rows[0]) == ["timeline_s", "clip", "knee_left", "trunk_lean"]
    assert len(rows) == synced.length * 2
    table = timeline_angles(SyncResult.load(out / "sync.json"), features, ["knee_left", "trunk_lean"])
    for row in rows:
        t, k = round(float(row["timeline_s"]) * synced.fps), [v.path for v in synced.videos].index(row["clip"])
        for j, joint in enumerate(table.joints):
            value = table.values[k, t, j]
            assert (row[joint] == "") if np.isnan(value) else float(row[joint]) == pytest.approx(value, abs=0.01)
    assert Image.open(out / "angles.png").size[0] > 400
    assert main(argv) == 2 and "angles.csv: already exists" in capsys.readouterr().err  # kept without --force
    assert main(argv + ["--force"]) == 0


def test_an_unknown_joint_is_one_line_listing_the_names(tmp_path, capsys):
    with pytest.raises(ConfigError, match="joint 'elbow': expected one of knee_left"):
        timeline_angles(None, [], ["elbow"])
    assert main(["angles", str(tmp_path), "--joint", "elbow"]) == 2
    assert "joint 'elbow': expected one of" in capsys.readouterr().err

"""Issue 25, marks: lines, angles and notes drawn on one clip at one moment, saved in marks.json beside sync.json,
shown by the player (headless Chromium) and burnt into synced.mp4 / ghost.mp4 by mvsync render --marks."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from mvsync import sync
from mvsync.cli import main
from mvsync.errors import InputError
from mvsync.io import read_all_frames
from mvsync.render import render_player
from mvsync.render.marks import Mark, load_marks, save_marks
from mvsync.render.player_server import make_server

from .browser import wait_until_loaded, wait_until_still

LINE = Mark(clip=1, timeline_s=1.0, kind="line", points=((0.2, 0.5), (0.8, 0.5)), hold_s=0.6)
ANGLE = Mark(clip=0, timeline_s=2.0, kind="angle", points=((0.3, 0.2), (0.5, 0.7), (0.8, 0.6)), hold_s=0.5)
NOTE = Mark(clip=0, timeline_s=2.0, kind="text", points=((0.1, 0.3),), text="hips late")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, retimed):
    """A sync of two retimed copies of bikes.mp4 (appearance features), saved as a run folder, with marks.json."""
    out = tmp_path_factory.mktemp("run")
    result = sync(retimed[0][:2], method="dtw", features="appearance",
                  cache_dir=str(tmp_path_factory.mktemp("cache")))
    result.save(out / "sync.json")
    save_marks([LINE, ANGLE, NOTE], out / "marks.json")
    return out


def _yellow(image: np.ndarray) -> np.ndarray:
    return (image[..., 0] > 190) & (image[..., 1] > 160) & (image[..., 2] < 90)


def test_marks_round_trip_and_bad_files_are_one_line_naming_the_mark(tmp_path):
    save_marks([LINE, ANGLE, NOTE], tmp_path / "marks.json")
    assert load_marks(tmp_path / "marks.json", 2) == (LINE, ANGLE, NOTE)
    with pytest.raises(InputError, match=r"marks.json: mark 0: clip 1 is not one of the 1 clips"):
        load_marks(tmp_path / "marks.json", 1)
    bad = {"marks": [{"clip": 0, "timeline_s": 1, "kind": "angle", "points": [[0, 0], [1, 1]]}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(InputError, match=r"bad.json: mark 0: a angle mark has 3 points, got 2"):
        load_marks(tmp_path / "bad.json", 2)
    (tmp_path / "bad.json").write_text(json.dumps({"marks": [{"clip": 0, "timeline_s": 1, "kind": "arrow", "points": [[0, 0]]}]}))
    with pytest.raises(InputError, match=r"kind 'arrow': expected one of line, angle, text"):
        load_marks(tmp_path / "bad.json", 2)
    with pytest.raises(InputError, match=r"gone.json: no such file"):
        load_marks(tmp_path / "gone.json", 2)
    assert LINE.shown_at(1.0) and LINE.shown_at(1.6) and not LINE.shown_at(0.99) and not LINE.shown_at(1.7)


def test_render_burns_the_marks_into_the_grid_and_the_ghost_while_they_are_shown(tmp_path, run_dir, capsys):
    out = tmp_path / "videos"
    assert main(["render", str(run_dir / "sync.json"), "-o", str(out), "--outputs", "grid,ghost,clips",
                 "--marks", str(run_dir / "marks.json"), "--cell-size", "240", "-q"]) == 0
    frames, _ = read_all_frames(out / "synced.mp4")  # timeline frames at the result's rate
    fps = json.loads((run_dir / "sync.json").read_text())["timeline"]["fps"]
    width = frames.shape[2]
    during, before, after = (round(t * fps) for t in (1.3, 0.6, 1.9))
    right = _yellow(frames[during][:, width // 2:]).sum()  # clip 1 is the right cell
    assert right > 200, right  # a 3-pixel line across 60% of a 240-pixel cell
    assert _yellow(frames[during][:, : width // 2]).sum() < 20  # not on clip 0
    assert _yellow(frames[before]).sum() < 20 and _yellow(frames[after]).sum() < 20  # only while it is shown
    ghost, _ = read_all_frames(out / "ghost.mp4")
    at_angle = round(2.2 * fps)
    assert _yellow(ghost[at_angle]).sum() > 150 and _yellow(ghost[round(0.5 * fps)]).sum() < 20
    own = [read_all_frames(path)[0] for path in sorted((out / "clips").glob("*.mp4"))]  # each clip at its own size
    assert _yellow(own[1][during]).sum() > 150 and _yellow(own[1][before]).sum() < 20  # clip 1's line, on its file
    assert _yellow(own[0][during]).sum() < 20 and _yellow(own[0][at_angle]).sum() > 100  # clip 0: the angle, later
    assert main(["render", str(run_dir / "sync.json"), "-o", str(tmp_path / "x"), "--outputs", "grid",
                 "--marks", str(tmp_path / "gone.json")]) == 2
    assert "gone.json: no such file" in capsys.readouterr().err and not (tmp_path / "x").exists()


@pytest.fixture()
def served(tmp_path, run_dir):
    """The run's player, with the marks of marks.json, served by mvsync serve's server from a copy of the run."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    render_player(_result(run), run / "player", marks=load_marks(run / "marks.json", 2))
    server = make_server(run / "player", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield run, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def page(chromium, served):
    """The served player opened in Chromium, loaded; no page error may occur while a test drives it."""
    page = chromium.new_page(viewport={"width": 1000, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served[1] + "index.html")
    wait_until_loaded(page)
    yield page
    assert not errors, errors
    page.close()


def _result(run: Path):
    from mvsync.result import SyncResult

    return SyncResult.load(run / "sync.json")


def test_the_player_shows_marks_at_their_moment_and_saves_them_beside_sync_json(served, page):
    run = served[0]
    assert len(page.evaluate("mvsyncPlayer.marks()")) == 3  # loaded with the page
    page.evaluate("mvsyncPlayer.seek(1.3)")
    wait_until_still(page)
    assert [m["kind"] for m in page.evaluate("mvsyncPlayer.shownMarks(1)")] == ["line"]
    assert page.evaluate("mvsyncPlayer.shownMarks(0)") == []
    middle = page.evaluate("""(() => { const v = document.querySelectorAll('video')[1]; const c = document.querySelectorAll('canvas.skeleton')[1];
        const s = c.width / c.getBoundingClientRect().width; const ew = v.clientWidth, eh = v.clientHeight;
        const k = Math.min(ew / v.videoWidth, eh / v.videoHeight); const x = (ew - v.videoWidth * k) / 2 + 0.5 * v.videoWidth * k;
        const y = (eh - v.videoHeight * k) / 2 + 0.5 * v.videoHeight * k;
        return Array.from(c.getContext('2d').getImageData(Math.round(x * s), Math.round(y * s), 1, 1).data); })()""")
    assert middle[0] > 200 and middle[1] > 180 and middle[2] < 60 and middle[3] == 255  # yellow, on the line's middle
    page.evaluate("mvsyncPlayer.seek(2.5)")
    assert [m["kind"] for m in page.evaluate("mvsyncPlayer.shownMarks(0)")] == ["angle", "text"]
    size = page.evaluate("[document.querySelector('video').videoWidth, document.querySelector('video').videoHeight]")
    assert page.evaluate("mvsyncPlayer.markDegrees(1)") == pytest.approx(ANGLE.degrees(tuple(size)), abs=1e-6)
    page.evaluate("mvsyncPlayer.seek(0.5)")
    page.evaluate("mvsyncPlayer.addMark({clip: 0, kind: 'line', points: [[0.1, 0.1], [0.9, 0.9]], hold_s: 0.3})")
    assert [m["kind"] for m in page.evaluate("mvsyncPlayer.shownMarks(0)")] == ["line"]
    answer = page.evaluate("mvsyncPlayer.saveMarks()")
    assert Path(answer["saved"]) == run / "marks.json"
    saved = load_marks(run / "marks.json", 2)
    assert saved[:3] == (LINE, ANGLE, NOTE) and saved[3].timeline_s == pytest.approx(0.5, abs=0.05)
    assert saved[3].points == ((0.1, 0.1), (0.9, 0.9)) and saved[3].hold_s == pytest.approx(0.3)


def test_the_player_draws_a_mark_from_clicks(page):
    """The angle tool: three clicks on clip 0's picture make an angle mark at the current moment."""
    page.evaluate("mvsyncPlayer.seek(0.4); mvsyncPlayer.setTool('angle')")
    box = page.evaluate("""(() => { const v = document.querySelector('video'); const r = v.getBoundingClientRect();
        const k = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
        return [r.left + (r.width - v.videoWidth * k) / 2, r.top + (r.height - v.videoHeight * k) / 2, v.videoWidth * k, v.videoHeight * k]; })()""")
    for x, y in ((0.25, 0.25), (0.5, 0.75), (0.75, 0.25)):
        page.mouse.click(box[0] + x * box[2], box[1] + y * box[3])
    made = page.evaluate("mvsyncPlayer.marks()")[-1]
    assert made["kind"] == "angle" and made["clip"] == 0 and made["timeline_s"] == pytest.approx(0.4, abs=0.05)
    np.testing.assert_allclose(made["points"], [[0.25, 0.25], [0.5, 0.75], [0.75, 0.25]], atol=0.01)


def test_the_server_writes_only_checked_marks(served):
    import urllib.error
    import urllib.request

    run, url = served
    before = (run / "marks.json").read_bytes()
    for path, body, code in (("marks.json", b'{"marks": [{"clip": 9, "timeline_s": 0, "kind": "line", "points": [[0,0],[1,1]]}]}', 400),
                             ("sync.json", b"{}", 403), ("marks.json", b"not json", 400)):
        request = urllib.request.Request(url + path, data=body, method="PUT")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request)
        assert err.value.code == code
    assert (run / "marks.json").read_bytes() == before


def test_marks_are_edited_and_deleted_in_the_page_and_the_save_follows(served, page):
    """The marks list: a note typed into a mark's field and a mark deleted with its button, then saved."""
    run = served[0]
    assert page.inner_text("#mark-count") == "3 marks"
    page.click("#mark-count")  # open the list: rows in time order (line 1.0 s, angle 2.0 s, note 2.0 s)
    rows = page.locator("#mark-list li")
    assert rows.count() == 3 and rows.nth(0).locator("button").first.inner_text() == "1.00 s"
    rows.nth(2).locator("input").fill("hips still late")
    rows.nth(2).locator("input").press("Enter")  # a change event; the key is not the player's
    assert page.evaluate("mvsyncPlayer.marks()")[2]["text"] == "hips still late"
    rows.nth(0).locator("button.delete").click()  # the line
    assert [m["kind"] for m in page.evaluate("mvsyncPlayer.marks()")] == ["angle", "text"]
    assert page.inner_text("#mark-count") == "2 marks" and page.inner_text("#marks-state") == "unsaved"
    page.locator("#mark-list li").nth(0).locator("button").first.click()  # go to the angle's moment
    assert page.evaluate("mvsyncPlayer.state().time") == pytest.approx(2.0, abs=0.05)
    with pytest.raises(Exception, match="no mark 5"):
        page.evaluate("mvsyncPlayer.removeMark(5)")
    page.evaluate("mvsyncPlayer.saveMarks()")
    saved = load_marks(run / "marks.json", 2)
    assert saved == (ANGLE, Mark(clip=0, timeline_s=2.0, kind="text", points=((0.1, 0.3),), text="hips still late"))

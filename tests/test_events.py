"""Issue 10, section 4: a key event marked once in one clip is carried to every clip (library, sync.json, CLI, grid)."""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mvsync import sync
from mvsync.cli import main
from mvsync.errors import ConfigError, InputError
from mvsync.events import events_near
from mvsync.io import read_frames
from mvsync.render.timeline_frames import BAR_HEIGHT, EVENT_COLOR, EVENT_WINDOW_S, LABEL_HEIGHT
from mvsync.result import SyncResult, VideoTrack


def _small_result():
    """Clip b (20 fps) starts two timeline steps late and then runs at twice the timeline's pace."""
    frames_a = np.arange(10, dtype=float)
    frames_b = np.array([np.nan, np.nan, 0, 1, 2, 4, 6, 8, 10, 12], float)
    return SyncResult("dtw", "appearance", 10.0, 10, [VideoTrack("a.mp4", 10.0, 10, frames_a / 10, frames_a),
                                                      VideoTrack("b.mp4", 20.0, 13, frames_b / 20, frames_b)])


@pytest.fixture(scope="module")
def synced(retimed):
    paths, contents = retimed
    return sync(paths, features="appearance", method="dtw"), contents


def test_transfer_recovers_the_known_content_within_one_source_frame(synced):
    """Every content frame of every retimed copy (the held first and last frames aside), marked there, lands in
    every other copy on a frame showing the same source frame, give or take one."""
    result, contents = synced
    errors = []
    for marked, content in enumerate(contents):
        fps = result.videos[marked].fps
        for frame_idx in np.flatnonzero((content > 0) & (content < content.max())):
            times = result.transfer(frame_idx / fps, marked)
            assert times[marked] == frame_idx / fps
            for k, time_s in enumerate(times):
                shown = int(round(time_s * result.videos[k].fps))  # the frame a viewer of clip k sees
                errors.append(abs(int(contents[k][shown]) - int(content[frame_idx])))
    assert len(errors) > 1000 and max(errors) <= 1, np.bincount(errors)


def test_transfer_is_the_sync_map_with_nan_where_a_clip_has_no_content():
    result = _small_result()
    np.testing.assert_allclose(result.transfer(0.5, 0), [0.5, 4 / 20])  # a at 0.5 s = step 5 = b's frame 4
    np.testing.assert_allclose(result.transfer(0.3, 1), [0.6, 0.3])  # b's frame 6 is at step 6
    times = result.transfer(0.1, 0)
    assert times[0] == 0.1 and np.isnan(times[1])  # b has not started at step 1
    assert result.timeline_time(0.3, 1) == pytest.approx(0.6)


@pytest.mark.parametrize("call, message", [
    (lambda r: r.transfer(0.5, 2), "from_clip: 2 is out of range for 2 videos (0..1)"),
    (lambda r: r.transfer(0.5, -1), "from_clip: -1 is out of range"),
    (lambda r: r.with_event("x", True, 0.5), "clip: True is out of range"),
    (lambda r: r.transfer(-0.1, 0), "time_s: -0.1 s is outside clip 0 (a.mp4: 0 to 0.900 s)"),
    (lambda r: r.with_event("x", 1, 0.7), "time_s: 0.7 s is outside clip 1 (b.mp4: 0 to 0.600 s)"),
    (lambda r: r.transfer(float("nan"), 0), "time_s: nan s is outside clip 0"),
    (lambda r: r.transfer("soon", 0), "time_s: expected seconds (a number), got 'soon'"),
    (lambda r: r.with_event("hit", 0, 0.2).with_event("hit", 1, 0.1), "name: an event named 'hit' already exists"),
    (lambda r: r.with_event(" ", 0, 0.2), "name: expected a non-empty one-line event name"),
])
def test_bad_event_arguments_raise_one_line_naming_the_parameter(call, message):
    with pytest.raises(ConfigError) as caught:
        call(_small_result())
    text = str(caught.value)
    assert text.startswith(message) and "\n" not in text and "--" not in text  # the library names no command-line flag


def test_with_event_returns_a_new_result_and_events_round_trip_through_sync_json(tmp_path):
    plain = _small_result()
    result = plain.with_event("start", 0, 0.1).with_event("impact", 1, 0.3)
    assert plain.events == () and [e.name for e in result.events] == ["start", "impact"]
    start, impact = result.events
    assert (start.clip, start.time_s, start.timeline_s) == (0, 0.1, pytest.approx(0.1)) and np.isnan(start.clip_times_s[1])
    assert impact.timeline_s == pytest.approx(0.6) and impact.clip_times_s == pytest.approx((0.6, 0.3))

    path = result.save(tmp_path / "sync.json")
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["events"][0] == {"name": "start", "clip": 0, "time_s": 0.1, "timeline_s": 0.1, "clip_times_s": [0.1, None]}
    back = SyncResult.load(path)
    assert back.to_dict() == result.to_dict()
    assert [(e.name, e.clip, e.time_s) for e in back.events] == [("start", 0, 0.1), ("impact", 1, 0.3)]
    assert np.isnan(back.events[0].clip_times_s[1])

    old = plain.save(tmp_path / "old.json")  # a file written before events existed has no key and still loads
    assert "events" not in json.loads(old.read_text()) and SyncResult.load(old).events == ()
    data["events"][1]["clip_times_s"] = [0.6]  # one time for two videos
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="sync.json: malformed sync.json .*event 'impact'"):
        SyncResult.load(path)


def test_events_near_uses_the_window_on_both_sides():
    result = _small_result().with_event("impact", 0, 0.5)  # timeline 0.5 s
    assert events_near(result.events, 0.5 - EVENT_WINDOW_S, EVENT_WINDOW_S) == ["impact"]
    assert events_near(result.events, 0.5 + EVENT_WINDOW_S, EVENT_WINDOW_S) == ["impact"]
    assert events_near(result.events, 0.5 + 1.01 * EVENT_WINDOW_S, EVENT_WINDOW_S) == []


@pytest.fixture(scope="module")
def cli_run(retimed, tmp_path_factory):
    """One real ``mvsync sync`` with two events; an unusable first clip (skipped) shifts the clips as given by one."""
    paths, _ = retimed
    folder = tmp_path_factory.mktemp("events")
    (folder / "empty.mp4").touch()
    out = folder / "out"
    argv = ["sync", str(folder / "empty.mp4"), *map(str, paths), "-o", str(out), "--features", "appearance",
            "--method", "dtw", "--cell-size", "96", "--skip-bad", "-q", "--event", "impact=2:f60", "--event", "late=4:4.5"]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        assert main(argv) == 0
    return out, stdout.getvalue()


def test_cli_event_is_carried_to_every_clip_and_written_to_sync_json(cli_run):
    out, stdout = cli_run
    result = SyncResult.load(out / "sync.json")
    impact, late = result.events
    assert (impact.name, impact.clip, impact.time_s) == ("impact", 1, pytest.approx(60 / result.videos[1].fps))
    assert (late.name, late.clip, late.time_s) == ("late", 3, 4.5)
    for event in result.events:
        np.testing.assert_allclose(event.clip_times_s, result.transfer(event.time_s, event.clip), atol=1e-6)
        assert event.timeline_s == pytest.approx(result.timeline_time(event.time_s, event.clip), abs=1e-6)
    lines = [line for line in stdout.splitlines() if line.startswith("event ")]
    assert [line.split(":")[0] for line in lines] == ["event impact", "event late"]
    assert lines[1].startswith(f"event late: timeline {late.timeline_s:.2f} s; ") and lines[1].endswith(" 4.50 s")


def _amber_share(image: np.ndarray, cell: int) -> float:
    """Share of amber pixels where every cell's event label sits: the top-left corner of its picture."""
    corners = [image[row + LABEL_HEIGHT + 2 : row + LABEL_HEIGHT + 12, col + 2 : col + 30]
               for row in (0, (image.shape[0] - BAR_HEIGHT) // 2) for col in (0, cell)]  # 4 clips: 2 x 2 cells
    pixels = np.concatenate([c.reshape(-1, 3) for c in corners]).astype(int)
    return float((np.abs(pixels - EVENT_COLOR).max(axis=1) < 40).mean())


def test_grid_labels_every_cell_around_the_event_only(cli_run):
    out, _ = cli_run
    result = SyncResult.load(out / "sync.json")
    event_steps = [int(round(e.timeline_s * result.fps)) for e in result.events]
    far = [s for s in range(result.length) if all(abs(s - e) / result.fps > 2 * EVENT_WINDOW_S for e in event_steps)]
    assert far, "the timeline is too short for a frame away from the events"
    wanted = {event_steps[0]: "at", far[len(far) // 2]: "away"}
    share = {wanted[f.index]: _amber_share(f.image, 96) for f in read_frames(out / "synced.mp4") if f.index in wanted}
    assert share["at"] > 0.5 and share["away"] < 0.05, share


def _cli(*argv: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "mvsync.cli", *argv, "-q"], capture_output=True, text=True)
    return proc.returncode, proc.stderr


def _nothing_extracted() -> bool:
    """The run stopped before extracting any feature: the test's own feature cache (conftest) holds no file."""
    cache = Path(os.environ["MVSYNC_CACHE_DIR"])
    return not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))


@pytest.mark.parametrize("event, expected", [
    ("x=9:1", "--event x=9:1: clip 9 is out of range for 2 videos (0..1)"),
    ("x=a:1", "clip 'a' is not a clip index"),
    ("impact", "--event impact: expected NAME=CLIP:TIME"),
    ("impact=1", "expected NAME=CLIP:TIME"),
    ("=1:2", "expected NAME=CLIP:TIME"),
    ("x=1:-2", "time '-2' is negative"),
    ("x=1:f-3", "time 'f-3' is negative"),
    ("x=1:fx", "time 'fx' is neither seconds (2.5) nor a frame (f120)"),
    ("x=1:inf", "time 'inf' is not a finite number"),
    ("x=1:99", "99 s is beyond clip 1"),
    ("x=1:f9999", "frame 9999 is beyond clip 1"),
])
def test_bad_event_is_refused_at_once_with_one_line_and_nothing_written(tmp_path, retimed, event, expected):
    paths, _ = retimed
    out = tmp_path / "out"
    code, err = _cli("sync", *map(str, paths[:2]), "-o", str(out), "--event", event)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"mvsync: error: --event {event}: "), err
    assert expected in lines[0], lines[0]
    assert not out.exists()
    assert _nothing_extracted(), f"{event}: refused only after extracting features"


def test_an_event_on_a_skipped_clip_is_refused_at_once(tmp_path, retimed):
    paths, _ = retimed
    (tmp_path / "empty.mp4").touch()
    code, err = _cli("sync", str(tmp_path / "empty.mp4"), *map(str, paths[:2]), "-o", str(tmp_path / "out"),
                     "--skip-bad", "--event", "x=0:1")
    errors = [line for line in err.splitlines() if line.startswith("mvsync: error:")]
    assert code == 2 and errors == [f"mvsync: error: --event x=0:1: clip 0 ({tmp_path / 'empty.mp4'}) is unusable "
                                    "(skipped); choose another"], err
    assert not (tmp_path / "out").exists() and _nothing_extracted()


def test_a_name_given_twice_is_refused(tmp_path, retimed):
    paths, _ = retimed
    code, err = _cli("sync", *map(str, paths[:2]), "-o", str(tmp_path / "out"), "--event", "a=0:1", "--event", "a=1:1")
    assert code == 2 and "--event a=1:1: the name 'a' is used twice" in err and not (tmp_path / "out").exists()

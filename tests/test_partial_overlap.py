"""Partial overlap: a clip that covers only part of the longest one (a rep cut from a long recording) is placed on
that part, with no content elsewhere, instead of being stretched over the whole timeline."""

import json
import logging

import numpy as np
import pytest

from mvsync import sync
from mvsync.cli import main
from mvsync.evaluate import content_error
from mvsync.io import VideoWriter, read_all_frames
from mvsync.render import render_grid
from mvsync.render.timeline_frames import EMPTY_GRAY, LABEL_HEIGHT

from .conftest import SMALL

START, STOP = 100, 163  # the excerpt: 2.5 s of bikes.mp4's 10 s


@pytest.fixture(scope="module")
def long_and_short(tmp_path_factory, bikes):
    """bikes.mp4 whole (250 frames) and frames 100-162 of it, both lossless at SMALL."""
    frames, _ = read_all_frames(bikes, size=SMALL)
    folder = tmp_path_factory.mktemp("partial")
    paths = []
    for name, part in (("excerpt.mp4", frames[START:STOP]), ("whole.mp4", frames)):
        with VideoWriter(folder / name, fps=25, size=SMALL, crf=0) as writer:
            for image in part:
                writer.write(image)
        paths.append(folder / name)
    return paths


def test_find_this_clip_inside_that_one(long_and_short, caplog):
    excerpt, whole = long_and_short
    with caplog.at_level(logging.WARNING, logger="mvsync.sync"):
        result = sync([excerpt, whole], features="appearance")
    shown, host = result.videos[0].source_frame, result.videos[1].source_frame
    steps = np.flatnonzero(np.isfinite(shown))
    assert result.length == 250 and np.array_equal(host, np.arange(250))  # the whole clip is the timeline
    assert abs(steps[0] - START) <= 1 and abs(steps[-1] - (STOP - 1)) <= 1  # no content before and after
    assert np.abs(shown[steps] + START - host[steps]).max() <= 1.0
    part = result.extra["partial"][str(excerpt)]
    assert part["inside"] == str(whole) and part["from_s"] == pytest.approx(4.0, abs=0.05)
    assert "excerpt.mp4: covers only 4.0-6.5 s of whole.mp4" in caplog.text


def test_an_excerpt_among_retimed_copies_lands_on_their_timeline(tmp_path, retimed, long_and_short):
    """The excerpt (frames 100-162 of the source) with the four retimed copies of its first 150 frames: the copies are
    aligned as before, the excerpt placed through the longest one, every content frame within a frame."""
    paths, contents = retimed
    result = sync([*paths, long_and_short[0]], features="appearance")
    errors = content_error(result, [*contents, np.arange(START, STOP)])
    assert np.median(errors) <= 1.0 and np.percentile(errors, 95) <= 2.0
    assert list(result.extra["partial"]) == [str(long_and_short[0])]
    shown = result.videos[-1].source_frame
    assert np.isnan(shown[0]) and np.isfinite(shown).sum() < 0.5 * result.length  # no content before frame 100


def test_copies_of_the_whole_action_are_not_placed(retimed):
    result = sync(retimed[0], features="appearance")
    assert "partial" not in result.extra


def test_whole_maps_end_to_end_and_the_outputs_show_no_content(long_and_short, tmp_path, capsys):
    excerpt, whole = long_and_short
    out = tmp_path / "out"
    assert main(["sync", str(excerpt), str(whole), "-o", str(out), "--features", "appearance",
                 "--outputs", "json"]) == 0
    assert "a part of whole.mp4 (4.0-6.5 s); no content elsewhere" in capsys.readouterr().out
    data = json.loads((out / "sync.json").read_text())
    frames = data["videos"][0]["source_frame"]
    assert frames[0] is None and frames[START] is not None and frames[-1] is None  # null where it has no content
    assert main(["sync", str(excerpt), str(whole), "-o", str(tmp_path / "end"), "--features", "appearance",
                 "--outputs", "json", "--whole"]) == 0
    data = json.loads((tmp_path / "end" / "sync.json").read_text())
    assert "partial" not in data["extra"] and None not in data["videos"][0]["source_frame"]


def test_the_grid_shows_no_content_outside_the_part(long_and_short, tmp_path):
    result = sync(long_and_short, features="appearance")
    grid, _ = read_all_frames(render_grid(result, tmp_path / "grid.mp4"))
    cell = grid.shape[2] // 2
    rows, cols = slice(LABEL_HEIGHT + 4, LABEL_HEIGHT + 40), slice(4, cell - 4)
    before, during = grid[10, rows, cols], grid[120, rows, cols]
    assert np.abs(before.astype(int) - EMPTY_GRAY).max() <= 3  # flat gray: no content at 0.4 s
    assert before.std() < 2 < during.std()


def test_a_part_at_another_frame_rate_is_placed_where_it_was_cut():
    """A 60 s recording at 50 fps and 10 s of it from 20 s on, at 20 fps (2.5x fewer frames per second: beyond the
    full-rate match's slope limit, the 10-samples-per-second match stands)."""
    from mvsync.align.placement import find_inside

    def motion(t):
        return np.stack([np.sin(t), np.cos(t / 3), np.sin(t / 7)], axis=1)

    long_t, short_t = np.arange(3000) / 50, 20 + np.arange(200) / 20
    found = find_inside(motion(short_t), motion(long_t), short_t - 20, long_t)
    assert abs(found.start - 1000) <= 5 and abs(found.end - 1497) <= 5 and found.closeness < 0.1
    shown = found.rows_at(np.arange(3000.0))
    assert np.nanmax(np.abs(shown - (np.arange(3000) - 1000) / 2.5)) <= 2.0  # short rows, where it has content


def test_the_subsequence_path_runs_through_the_cells_it_paid_for():
    from mvsync.align.placement import subsequence_path

    cost = np.full((5, 6), 5.0)
    for cell in [(0, 1), (1, 2), (2, 2), (3, 3), (4, 3)]:
        cost[cell] = 0.0
    path = subsequence_path(cost)
    assert cost[path[:, 0], path[:, 1]].sum() == 0.0

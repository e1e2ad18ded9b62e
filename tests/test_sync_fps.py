"""``sync(..., fps=R)`` / ``mvsync sync --fps R``: clips sampled by presentation time, mapped back to their own frames
(issue 12, section 3)."""

import numpy as np
import pytest

from mvsync import sync
from mvsync.cli import main
from mvsync.errors import ConfigError
from mvsync.evaluate import content_error
from mvsync.io import probe


def test_sampled_sync_maps_source_frames(retimed):
    """Half the frames of each copy (12.5 of 25 fps): the map still recovers the known retiming within one sampled
    frame (2 frames of a copy, at most 2.5 source frames at tempo 0.8), counted in the copies' own frames."""
    paths, contents = retimed
    result = sync(paths, features="appearance", fps=12.5)
    assert result.fps == 12.5
    errors = content_error(result, contents)  # in source frames: reads source_frame as a frame index of each copy
    assert np.median(errors) <= 1.0 and np.percentile(errors, 95) <= 2.5, np.percentile(errors, [50, 95, 100])
    for path, track, content in zip(paths, result.videos, contents):
        info = probe(path)
        assert track.num_frames == info.num_frames == len(content)
        frames = track.source_frame[np.isfinite(track.source_frame)]
        # spans the clip (about 200 frames), not its samples (100): the last step shows the mean of a held tail
        assert np.all(np.diff(frames) >= 0) and frames.max() >= len(content) - 5
        np.testing.assert_allclose(track.source_time, track.source_frame / info.fps, atol=1e-6)
    reference = result.videos[result.extra["reference"]]  # its timeline steps are its samples: every other frame
    np.testing.assert_array_equal(reference.source_frame, np.arange(result.length) * 2)


def test_the_clips_own_rate_reads_every_frame(retimed):
    paths, _ = retimed
    every, at_rate = sync(paths[:3], features="appearance"), sync(paths[:3], features="appearance", fps=25)
    assert at_rate.fps == every.fps == 25 and at_rate.length == every.length
    for a, b in zip(every.videos, at_rate.videos):
        np.testing.assert_allclose(a.source_frame, b.source_frame)
        assert a.num_frames == b.num_frames


@pytest.mark.parametrize("fps, message", [
    (0, "fps: must be a positive number of frames per second, got 0"),
    (-2.5, "fps: must be a positive number"),
    (float("nan"), "fps: must be a positive number"),
    ("10", "fps: must be a positive number"),
    (50, r"_0_tempo1.mp4: fps 50 is above the clip's own rate \(25.000 fps\); sampling cannot add frames"),
])
def test_bad_fps_is_one_line(retimed, fps, message):
    with pytest.raises(ConfigError, match=message) as caught:
        sync(retimed[0][:2], features="appearance", fps=fps)
    assert "\n" not in str(caught.value)


def test_cli_bad_fps_exits_2_before_any_output(capsys, tmp_path, retimed):
    out = tmp_path / "out"
    for value, message in [("0", "mvsync: error: fps: must be a positive number of frames per second, got 0.0"),
                           ("60", "fps 60 is above the clip's own rate (25.000 fps)")]:
        code = main(["sync", *map(str, retimed[0][:2]), "-o", str(out), "--fps", value, "-q"])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_cli_sync_fps_writes_source_frames(capsys, tmp_path, retimed):
    from mvsync import SyncResult

    out = tmp_path / "out"
    code = main(["sync", *map(str, retimed[0][:2]), "-o", str(out), "--fps", "10", "--features", "appearance",
                 "--outputs", "json", "-q"])
    assert code == 0, capsys.readouterr().err
    result = SyncResult.load(out / "sync.json")
    assert result.fps == 10 and all(t.num_frames == len(c) for t, c in zip(result.videos, retimed[1][:2]))
    for track in result.videos:  # the map reaches the clip's own last frames (2.5 per sample), not its sample count
        assert np.nanmax(track.source_frame) >= track.num_frames - 8 and np.nanmax(track.source_frame) > 1.5 * result.length


def test_exported_clips_show_the_same_moment(tmp_path, retimed):
    """End to end through a writer: each clip exported onto the 12.5-fps timeline shows, at every step, the moment of
    bikes.mp4 the other shows (known content of each copy frame), within one sampled frame."""
    from mvsync.io import read_frames
    from mvsync.render import WRITERS, GridOptions, RenderOptions

    from .conftest import SMALL

    paths, contents = retimed
    result = sync(paths[:2], features="appearance", fps=12.5)
    options = RenderOptions(grid=GridOptions(cell_width=SMALL[0], crf=12))  # the copies' own size: no scaling
    WRITERS.get("clips")(result, tmp_path, options=options, overwrite=False, progress=False)
    shown = []  # (T,) per clip: the bikes.mp4 frame its exported clip shows at each step, NaN: no content
    for path, track, content in zip(paths[:2], result.videos, contents):
        copy = np.stack([f.image for f in read_frames(path)]).astype(np.float32)  # (L, H, W, 3)
        exported = [f.image for f in read_frames(tmp_path / "clips" / f"{path.stem}.mp4")]
        moment = np.full(result.length, np.nan)
        for step in np.flatnonzero(np.isfinite(track.source_frame)):
            moment[step] = content[np.abs(copy - exported[step]).mean(axis=(1, 2, 3)).argmin()]
        shown.append(moment)
    both = np.isfinite(shown[0]) & np.isfinite(shown[1])
    gap = np.abs(shown[0][both] - shown[1][both])
    assert both.sum() > 0.8 * result.length and np.median(gap) <= 1 and gap.max() <= 3, np.percentile(gap, [50, 100])


def test_source_frames_count_from_the_first_picture_not_from_zero_seconds():
    """A stream whose first picture is shown 0.04 s after its start (an edit list, a dropped leading frame):
    sampled every other frame at 25 fps, rows 0, 1, 2 are the clip's frames 0, 2, 4 (they read 1, 3, 5)."""
    from mvsync.sync import source_frames

    times = np.array([0.04, 0.12, 0.20])
    np.testing.assert_array_equal(source_frames(np.array([0.0, 1.0, 2.0, np.nan]), np.append(times, 0.28), 25.0),
                                  [0.0, 2.0, 4.0, np.nan])
    np.testing.assert_allclose(source_frames(np.array([0.5]), times, 25.0), [1.0])

"""Issue 13, "Content mid-clip": where pose misses the person inside a clip, the frames still exist and are shown;
sync.json is null only before a clip's first and after its last mapped frame."""

import numpy as np
import pytest

from mvsync import sync
from mvsync.io import read_all_frames, read_frames
from mvsync.render import GridOptions, render_grid
from mvsync.result import SyncResult, VideoTrack

from .clips import grid_cells, is_blank, write_av_clip

MISSED = np.r_[12:24, 36:48]  # 24 of 60 frames (40%), in runs longer than pose's 8-frame interpolation


def _pixelate(image: np.ndarray, block: int = 24) -> np.ndarray:
    """No person for pose to find, yet a real, non-blank picture."""
    h, w = image.shape[:2]
    small = image[::block, ::block]  # (ceil(h / block), ceil(w / block), 3)
    return np.kron(small, np.ones((block, block, 1), np.uint8))[:h, :w]


@pytest.fixture(scope="module")
def person_missed(tmp_path_factory, carphone):
    frames, _ = read_all_frames(carphone)
    folder = tmp_path_factory.mktemp("mid")
    whole = write_av_clip(folder / "talk.mp4", frames[:60], fps=30)
    hidden = frames[4:64].copy()
    hidden[MISSED] = [_pixelate(f) for f in hidden[MISSED]]
    return whole, write_av_clip(folder / "talk_person_missed.mp4", hidden, fps=30)


def _inside(track: np.ndarray) -> np.ndarray:
    finite = np.flatnonzero(np.isfinite(track))
    return track[finite[0] : finite[-1] + 1]


def test_no_null_and_no_blank_cell_between_a_clips_ends(tmp_path, person_missed):
    """tpl's maps are NaN where the nearest frame's features are invalid; the result fills them with real frames."""
    result = sync(person_missed, features="pose", method="tpl", method_options={"epochs": 40})
    from mvsync.features import extract_features

    missed = extract_features([person_missed[1]], kind="pose")[0]
    assert (~missed.valid).mean() >= 0.35  # pose really lost the person in those stretches
    for track in result.videos:
        assert np.isfinite(_inside(track.source_frame)).all() and np.isfinite(_inside(track.source_time)).all()
        assert np.all(np.diff(_inside(track.source_frame)) >= 0)
    out = render_grid(result, tmp_path / "grid.mp4", options=GridOptions(cell_width=48, audio_from=None))
    for step, frame in enumerate(read_frames(out)):
        for track, cell in zip(result.videos, grid_cells(frame.image, 2)):
            if np.isfinite(track.source_frame[step]):
                assert not is_blank(cell), f"{track.path}: blank cell at timeline step {step}"


def test_the_grid_shows_frames_for_gaps_inside_an_older_sync_json(tmp_path, carphone):
    """A sync.json written before issue 13 may hold null inside a clip: the grid shows frames there, blank only
    at the ends."""
    frames = np.arange(30, dtype=float)
    frames[:5] = np.nan
    frames[12:20] = np.nan  # a gap inside
    track = VideoTrack(str(carphone), 29.97, 120, frames / 29.97, frames)
    full = VideoTrack(str(carphone), 29.97, 120, np.arange(30) / 29.97, np.arange(30, dtype=float))
    result = SyncResult("tpl", "pose", 25.0, 30, [full, track])
    out = render_grid(result, tmp_path / "g.mp4", options=GridOptions(cell_width=48, audio_from=None))
    blank = [is_blank(grid_cells(f.image, 2)[1]) for f in read_frames(out)]
    assert blank[:5] == [True] * 5 and not any(blank[5:])

import numpy as np
import pytest

from mvsync.errors import ConfigError
from mvsync.io import probe, read_frames
from mvsync.render import GridOptions, grid_pages, grid_shape, render_grid
from mvsync.result import SyncResult, VideoTrack


@pytest.mark.parametrize("n, shape", [(1, (1, 1)), (2, (1, 2)), (3, (2, 2)), (5, (2, 3)), (6, (2, 3)), (10, (3, 4))])
def test_grid_shape(n, shape):
    assert grid_shape(n) == shape


def _identity(path, n, fps, offset=0):
    frames = np.arange(n, dtype=float) + offset
    frames[frames < 0] = np.nan
    return VideoTrack(str(path), fps, n, frames / fps, frames)


def test_renders_expected_frames_fps_and_audio(tmp_path, bunny, carphone):
    n = 60
    result = SyncResult("dtw", "appearance", 25.0, n,
                        [_identity(bunny, n, 25.0), _identity(carphone, n, 29.97, offset=-10)],
                        extra={"reference": 0})
    out = render_grid(result, tmp_path / "grid.mp4", options=GridOptions(cell_width=160))
    info = probe(out)
    assert info.num_frames == n and info.fps == pytest.approx(25.0)
    assert info.width == 320 and info.width % 2 == 0 and info.height % 2 == 0
    assert info.has_audio  # the reference (bigbuckbunny) has sound
    first = next(read_frames(out))
    right_cell = first.image[40:60, 200:280]
    assert right_cell.std() < 3  # carphone has no content at step 0: a blank cell


def test_progress_bar_grows(tmp_path, carphone):
    n = 30
    result = SyncResult("dtw", "appearance", 10.0, n, [_identity(carphone, n, 29.97), _identity(carphone, n, 29.97)])
    out = render_grid(result, tmp_path / "g.mp4", options=GridOptions(cell_width=96, audio_from=None))
    frames = [f.image for f in read_frames(out)]
    assert not probe(out).has_audio
    bar = [(f[-4, :, 2] > 200).mean() for f in frames]  # the blue bar along the bottom
    assert bar[0] < 0.1 and bar[-1] > 0.9 and np.all(np.diff(bar) >= 0)


def test_cell_size_is_checked(tmp_path, carphone):
    result = SyncResult("dtw", "appearance", 10.0, 3, [_identity(carphone, 3, 29.97)])
    with pytest.raises(ConfigError, match="cell_width: 4 pixels is too small"):
        render_grid(result, tmp_path / "g.mp4", options=GridOptions(cell_width=4))


def test_alignment_plot(tmp_path, carphone):
    from PIL import Image

    from mvsync.render import render_alignment_plot

    result = SyncResult("dtw", "appearance", 10.0, 20, [_identity(carphone, 20, 29.97), _identity(carphone, 20, 29.97, -5)],
                        extra={"reference": 0})
    out = render_alignment_plot(result, tmp_path / "alignment.png")
    image = np.asarray(Image.open(out))
    assert image.shape[0] > 300 and image.shape[1] > 500 and image.std() > 10


def test_timeline_positions_follow_the_track():
    from mvsync.render.audio import timeline_positions

    rate, fps = 1000, 10.0
    identity = timeline_positions(np.arange(20) / fps, fps, rate)
    np.testing.assert_allclose(identity, np.arange(2000), atol=1e-6)
    slow = timeline_positions(np.arange(20) / fps / 2, fps, rate)  # the clip plays at half speed on the timeline
    assert len(slow) == 2000 and slow[1000] == pytest.approx(500, abs=1)
    gap = np.arange(20) / fps
    gap[:5] = np.nan  # no content at the start: silence there
    assert np.all(np.isnan(timeline_positions(gap, fps, rate)[:500]))
    assert np.all(np.isfinite(timeline_positions(gap, fps, rate)[500:]))


@pytest.mark.parametrize("n, cap, sizes", [(5, 16, [5]), (16, 16, [16]), (17, 16, [8, 9]), (40, 16, [13, 14, 13]),
                                           (3, 1, [1, 1, 1])])
def test_grid_pages_split_evenly(n, cap, sizes):
    pages = grid_pages(n, cap)
    assert [len(p) for p in pages] == sizes and [k for p in pages for k in p] == list(range(n))


def test_many_clips_render_as_pages_of_at_most_max_cells(tmp_path, carphone):
    from mvsync.render import RenderOptions, render_outputs

    n = 8
    result = SyncResult("dtw", "appearance", 10.0, n, [_identity(carphone, n, 29.97, offset=-k) for k in range(5)])
    written = render_outputs(result, tmp_path, ["grid"], options=RenderOptions(
        grid=GridOptions(cell_width=32, audio_from=None, max_cells=2)))
    assert sorted(p.name for p in written) == ["synced.mp4", "synced_2.mp4", "synced_3.mp4"]
    widths = {p.name: probe(p).width for p in written}
    assert widths == {"synced.mp4": 64, "synced_2.mp4": 32, "synced_3.mp4": 64}  # pages of 2, 1 and 2 cells
    assert all(probe(p).num_frames == n for p in written)
    with pytest.raises(ConfigError, match="max_cells: 5 clips do not fit one grid of 2"):
        render_grid(result, tmp_path / "all.mp4", options=GridOptions(cell_width=32, max_cells=2))
    with pytest.raises(ConfigError, match="max_cells: expected a positive number"):
        GridOptions(max_cells=0)

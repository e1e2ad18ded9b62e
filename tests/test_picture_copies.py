"""Copies of one clip by their pictures (issue 23): a retimed, smaller, brighter copy at another frame rate is mapped
frame for frame on its pictures, whatever features the set was synced on, and is never called an outlier."""

import itertools
import json
import logging

import numpy as np
import pytest
from PIL import Image

from mvsync.align.picture_copies import COPY_RATIO, picture_copy_maps, picture_views
from mvsync.errors import ConfigError
from mvsync.cli import main
from mvsync.evaluate import DEMO_RETIMINGS, Retiming
from mvsync.features.pictures import picture
from mvsync.io import VideoWriter, probe, read_frames
from mvsync.sync import sync

LEAD_IN = Retiming(tempo=1.2, lead_in=6)  # as copy 1 of benchmarks/bench_precision.py


def copy_content(retiming: Retiming, n: int, fps: float, copy_fps: float) -> np.ndarray:
    """The source frame each frame of a retimed copy at ``copy_fps`` shows."""
    at_source_rate = retiming.content_frames(n)
    count = int(round(len(at_source_rate) * copy_fps / fps))
    return at_source_rate[np.minimum(np.round(np.arange(count) * fps / copy_fps).astype(int), len(at_source_rate) - 1)]


def changed(image: np.ndarray, zoom: float, gain: float) -> np.ndarray:
    size = (int(image.shape[1] * zoom) // 2 * 2, int(image.shape[0] * zoom) // 2 * 2)
    return np.clip(np.asarray(Image.fromarray(image).resize(size)) * gain, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def carphone_frames(carphone):
    return np.stack([f.image for f in read_frames(carphone)])


def test_a_smaller_brighter_copy_is_found_and_mapped_frame_for_frame(carphone_frames, bikes):
    content = copy_content(LEAD_IN, len(carphone_frames), 29.97, 25.0)
    source = np.stack([picture(f) for f in carphone_frames])
    copy = np.stack([picture(changed(carphone_frames[c], 0.75, 1.15)) for c in content])
    other = np.stack([picture(f.image) for f in itertools.islice(read_frames(bikes, size=(176, 144)), 100)])
    found = picture_copy_maps(picture_views([source, copy, other]), 0, [1, 2])
    assert list(found) == [1]  # the other clip is no copy
    frame_map, ratio = found[1]
    assert ratio < COPY_RATIO  # measured 0.08
    shown = content[np.clip(np.round(frame_map).astype(int), 0, len(content) - 1)]  # the source frame mapped to
    errors = np.abs(shown - np.arange(len(carphone_frames)))  # 1.44 source frames per copy frame: 1 is often best
    assert np.percentile(errors, 95) <= 1 and errors.max() <= 2


def test_copies_with_a_long_lead_in_are_found_and_other_moments_of_the_clip_are_not(carphone_frames):
    """The demo's retimings 3 (20 frames held first, easing slower) and 4 (8 held, easing faster) of carphone: with
    each clip's mean frame removed alone, the long hold made every frame look 0.31 of the median distance away. Two
    other moments of the same clip (the same camera and man) are no copy of one another."""
    pictures = np.stack([picture(f) for f in carphone_frames])
    held, eased = (pictures[r.content_frames(len(pictures))] for r in (DEMO_RETIMINGS[3], DEMO_RETIMINGS[4]))
    half = len(pictures) // 2
    views = picture_views([held, eased, pictures[:half], pictures[half:]])
    found = picture_copy_maps(views, 0, [1])
    assert list(found) == [1] and found[1][1] < 0.05  # measured 0.02
    assert picture_copy_maps(views, 2, [3]) == {}


def test_a_pose_sync_maps_a_small_copy_by_its_pictures(tmp_path, carphone, carphone_frames, caplog):
    """carphone (176x144, 29.97 fps) and a copy at 25 fps, 132x108 pixels, 15% brighter, 6 frames held before a
    tempo of 1.2. On pose alone the copy was 1 source frame off at the median (p95 2, 4 at worst) and flagged as
    an outlier (mismatch 2.7x the median clip's); on its pictures every frame is within 1."""
    fps = probe(carphone).fps
    content = copy_content(LEAD_IN, len(carphone_frames), fps, 25.0)
    copy = tmp_path / "carphone_copy.mp4"
    with VideoWriter(copy, fps=25.0, size=(132, 108), crf=0) as writer:
        for c in content:
            writer.write(changed(carphone_frames[c], 0.75, 1.15))
    with caplog.at_level(logging.INFO, logger="mvsync.sync"):
        result = sync([carphone, copy], features="pose", cache_dir=str(tmp_path / "cache"))
    assert list(result.extra["picture_copies"]) == [str(copy)] and result.extra["outliers"] == []
    assert "carphone_copy.mp4: a copy of carphone_pristine.mp4 by its pictures" in caplog.text
    both = np.isfinite(result.videos[0].source_frame) & np.isfinite(result.videos[1].source_frame)
    shown = content[np.round(result.videos[1].source_frame[both]).astype(int)]
    errors = np.abs(shown - np.round(result.videos[0].source_frame[both]))
    assert np.median(errors) <= 0.5 and errors.max() <= 1, (np.median(errors), errors.max())
    alone = sync([carphone, copy], features="pose", copies=False, cache_dir=str(tmp_path / "cache"))
    assert "picture_copies" not in alone.extra  # mapped on the poses (a researcher's comparison)
    assert not np.allclose(alone.videos[1].source_frame, result.videos[1].source_frame)


def test_copies_is_true_or_false(carphone):
    with pytest.raises(ConfigError, match=r"^copies: expected True or False, got 'no'$"):
        sync([carphone, carphone], copies="no")


def test_the_command_line_names_the_copies_and_no_copies_turns_it_off(retimed, tmp_path):
    """Four retimed copies of bikes, appearance features: every clip but the timeline's is a copy, in sync.json."""
    clips = [str(p) for p in retimed[0]]
    common = ["--features", "appearance", "--outputs", "json", "--cache-dir", str(tmp_path / "cache")]
    assert main(["sync", *clips, "-o", str(tmp_path / "on"), *common]) == 0
    extra = json.loads((tmp_path / "on" / "sync.json").read_text())["extra"]
    assert len(extra["picture_copies"]) == 3 and all(r < COPY_RATIO for r in extra["picture_copies"].values())
    assert set(extra["picture_copies"]) == set(clips) - {extra["reference_path"]}
    assert main(["sync", *clips, "-o", str(tmp_path / "off"), "--no-copies", *common]) == 0
    assert "picture_copies" not in json.loads((tmp_path / "off" / "sync.json").read_text())["extra"]


def test_timing_uncertain_is_said_of_a_clip_but_not_of_a_copy(caplog):
    """The references' disagreement describes the map the method made; a copy's map comes from its pictures."""
    from types import SimpleNamespace

    from mvsync.sync import UNCERTAIN_PCT, _warn_uncertain

    clips = [SimpleNamespace(path=f"clip{i}.mp4") for i in range(3)]
    with caplog.at_level(logging.WARNING, logger="mvsync.sync"):
        _warn_uncertain(clips, {"disagreement_pct": [0.0, UNCERTAIN_PCT + 2, UNCERTAIN_PCT + 2]}, exempt={2})
    assert "clip1.mp4: timing uncertain" in caplog.text and "clip2.mp4" not in caplog.text


def test_a_copy_turned_sideways_is_found_and_turning_leaves_other_clips_alone(carphone_frames, bikes, monkeypatch):
    """A copy filmed or exported sideways (a quarter turn the file does not record) is a copy once its pictures are
    turned back; an unrelated clip is not turned into one (its best turn lay 0.52 of the distance or more away)."""
    content = copy_content(LEAD_IN, len(carphone_frames), 29.97, 29.97)
    source = np.stack([picture(f) for f in carphone_frames])
    sideways = np.stack([picture(np.ascontiguousarray(np.rot90(carphone_frames[c]))) for c in content])
    other = np.stack([picture(f.image) for f in itertools.islice(read_frames(bikes, size=(176, 144)), 100)])
    found = picture_copy_maps(picture_views([source, sideways, other]), 0, [1, 2])
    assert list(found) == [1]
    shown = content[np.clip(np.round(found[1][0]).astype(int), 0, len(content) - 1)]
    assert np.percentile(np.abs(shown - np.arange(len(carphone_frames))), 95) <= 1
    import mvsync.align.picture_copies as module

    assert list(picture_copy_maps(picture_views([other, source, sideways]), 1, [0, 2])) == [2]  # not the first's
    monkeypatch.setattr(module, "TURN_MAX_RATIO", 0.0)  # never turned: as before
    assert picture_copy_maps(picture_views([source, sideways, other]), 0, [1, 2]) == {}


def test_the_same_pictures_in_another_order_are_no_copy(carphone_frames):
    """Each frame of a clip played backwards, or with its halves swapped, has an exact match in the original, so the
    closest frames alone read 0.00 and the clip played backwards was taken for a copy and mapped "frame for frame"
    (mismatch 1.60, never flagged). Along the DTW path, in time order, they read 0.6-1.3; a retimed copy still 0.0x."""
    source = np.stack([picture(f) for f in carphone_frames])
    half = len(source) // 2
    backwards, swapped = source[::-1], np.concatenate([source[half:], source[:half]])
    retimed = source[copy_content(LEAD_IN, len(source), 29.97, 29.97)]
    found = picture_copy_maps(picture_views([source, backwards, swapped, retimed]), 0, [1, 2, 3])
    assert list(found) == [3] and found[3][1] < 0.05

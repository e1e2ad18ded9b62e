import os

import numpy as np
import pytest
from PIL import Image

from mvsync.errors import InputError
from mvsync.features import FeatureCache, extract_features
from mvsync.features.appearance import AppearanceExtractor
from mvsync.features.pose import ANGLE_REPEATS
from mvsync.io import image_paths, is_image_folder, probe, read_audio, read_frames, read_image

from ..conftest import gradient_frames


def write_images(folder, frames, *, ext="jpg", names=None):
    """Save (L, H, W, 3) uint8 frames as ``000001.jpg ...`` (or the given names) and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, image in enumerate(frames):
        name = names[k] if names else f"{k + 1:06d}.{ext}"
        Image.fromarray(image).save(folder / name, quality=95)
    return folder


@pytest.fixture
def jpgs(tmp_path):
    return write_images(tmp_path / "0001", gradient_frames(12, size=(64, 48)))


def test_probe_a_folder(jpgs):
    info = probe(jpgs)
    assert (info.num_frames, info.width, info.height) == (12, 64, 48)
    assert info.fps == 30.0 and info.duration_s == pytest.approx(12 / 30)
    assert not info.has_audio and info.codec == "images" and info.path == jpgs


def test_read_frames_in_order_with_times(tmp_path):
    frames = gradient_frames(5, size=(32, 24))
    folder = write_images(tmp_path / "png", frames, ext="png")  # lossless: compare pixels exactly
    read = list(read_frames(folder))
    assert [f.index for f in read] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([f.time_s for f in read], np.arange(5) / 30)
    for frame, expected in zip(read, frames):
        np.testing.assert_array_equal(frame.image, expected)


def test_resize_and_every(jpgs):
    read = list(read_frames(jpgs, size=(20, 16), every=5))
    assert [f.index for f in read] == [0, 5, 10]
    assert [f.time_s for f in read] == pytest.approx([0, 5 / 30, 10 / 30])
    assert all(f.image.shape == (16, 20, 3) and f.image.dtype == np.uint8 for f in read)


def test_jpeg_draft_still_gives_the_exact_size(tmp_path):
    folder = write_images(tmp_path / "big", gradient_frames(1, size=(640, 480)))
    assert read_image(folder / "000001.jpg", size=(100, 75)).shape == (75, 100, 3)  # drafted at 1/4, then resized


def test_natural_sort_and_mixed_extensions(tmp_path):
    frames = gradient_frames(4)
    folder = write_images(tmp_path / "f", frames, names=["10.jpg", "2.PNG", "1.jpeg", "3.bmp"])
    (folder / "notes.txt").write_text("not a frame")
    (folder / "._1.jpg").write_bytes(b"macOS resource fork")
    assert [p.name for p in image_paths(folder)] == ["1.jpeg", "2.PNG", "3.bmp", "10.jpg"]
    assert probe(folder).num_frames == 4


def test_grayscale_and_rgba_become_rgb(tmp_path):
    folder = tmp_path / "modes"
    folder.mkdir()
    Image.new("L", (8, 6), 200).save(folder / "1.png")
    Image.new("RGBA", (8, 6), (10, 20, 30, 128)).save(folder / "2.png")
    Image.new("L", (8, 6), 90).save(folder / "3.jpg")
    images = [f.image for f in read_frames(folder)]
    assert all(image.shape == (6, 8, 3) for image in images)
    assert (images[0] == 200).all() and (images[1] == [10, 20, 30]).all()


def test_corrupt_image_names_the_file(jpgs):
    (jpgs / "000004.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(InputError, match=r"000004.jpg: not a readable image"):
        list(read_frames(jpgs))


def test_truncated_jpeg_names_the_file(jpgs):
    data = (jpgs / "000003.jpg").read_bytes()
    (jpgs / "000003.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"000003.jpg: not a readable image"):
        list(read_frames(jpgs))


def test_folder_without_images(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "labels.mat").write_bytes(b"x")
    assert not is_image_folder(empty)
    for call in (probe, lambda p: list(read_frames(p)), image_paths):
        with pytest.raises(InputError, match=r"empty: is a folder with no images \(.jpg, .jpeg, .png, .bmp\)"):
            call(empty)


def test_an_image_folder_has_no_audio_to_read(jpgs):
    assert not probe(jpgs).has_audio  # so the grid never asks; if asked anyway, the error is clear
    with pytest.raises(InputError, match="0001: is a folder of images, not a video file"):
        read_audio(jpgs)


def test_cache_identity_follows_the_frames(jpgs, tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    keys = [cache.key(jpgs, "appearance", "1", {})]
    assert cache.key(jpgs, "appearance", "1", {}) == keys[0]
    Image.fromarray(gradient_frames(1, size=(64, 48), seed=1)[0]).save(jpgs / "000005.jpg")  # edited frame
    os.utime(jpgs / "000005.jpg", ns=(2**62, 2**62))  # mtime surely newer than every other frame
    keys.append(cache.key(jpgs, "appearance", "1", {}))
    Image.fromarray(gradient_frames(1, size=(64, 48))[0]).save(jpgs / "000013.jpg")  # added frame
    keys.append(cache.key(jpgs, "appearance", "1", {}))
    (jpgs / "000013.jpg").rename(jpgs / "000000.jpg")  # same bytes and mtime, new order
    keys.append(cache.key(jpgs, "appearance", "1", {}))
    (jpgs / "000002.jpg").unlink()  # removed frame
    keys.append(cache.key(jpgs, "appearance", "1", {}))
    assert len(set(keys)) == len(keys)


def test_content_hash_of_a_copied_folder(jpgs, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for image in image_paths(jpgs):
        (copy / image.name).write_bytes(image.read_bytes())
    hashed = FeatureCache(tmp_path / "cache", content_hash=True)
    assert hashed.key(copy, "a", "1", {}) == hashed.key(jpgs, "a", "1", {})
    (copy / "000001.jpg").rename(copy / "000099.jpg")
    assert hashed.key(copy, "a", "1", {}) != hashed.key(jpgs, "a", "1", {})


def test_appearance_features_of_a_folder_are_cached(jpgs, tmp_path, monkeypatch):
    first = extract_features([jpgs], kind="appearance", cache_dir=tmp_path / "cache")[0]
    assert first.num_frames == 12 and first.fps == 30.0 and first.path == jpgs
    np.testing.assert_allclose(first.times_s, np.arange(12) / 30)
    monkeypatch.setattr(AppearanceExtractor, "extract", lambda self, path, progress=False: pytest.fail("decoded again"))
    second = extract_features([jpgs], kind="appearance", cache_dir=tmp_path / "cache")[0]
    np.testing.assert_array_equal(first.values, second.values)


def test_pose_on_real_frames(tmp_path, carphone):
    frames = [f.image for f in read_frames(carphone, every=6)]  # 20 frames spread over the clip
    folder = write_images(tmp_path / "carphone", frames)
    features = extract_features([folder], kind="pose", use_cache=False)[0]
    assert features.values.shape == (20, 33 * 4 + 8 * ANGLE_REPEATS)
    assert features.meta["detected"] >= 16

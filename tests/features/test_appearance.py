import numpy as np

from mvsync.features import create_extractor, extract_features
from mvsync.io import read_all_frames

from ..conftest import write_clip


def test_invariant_to_brightness_and_contrast(tmp_path, carphone):
    frames, _ = read_all_frames(carphone, size=(88, 72))
    frames = frames[:40]
    darker = np.clip(frames.astype(np.float32) * 0.6 + 20, 0, 255).astype(np.uint8)
    a = write_clip(tmp_path / "a.mp4", frames, fps=30)
    b = write_clip(tmp_path / "b.mp4", darker, fps=30)
    extractor = create_extractor("appearance")
    fa, fb = extractor.extract(a), extractor.extract(b)
    # z-scored thumbnails of the two versions agree far better than frames 0.5 s apart in one.
    gap_between_versions = np.abs(fa.values - fb.values).mean()
    gap_between_frames = np.abs(fa.values[15:] - fa.values[:-15]).mean()
    assert gap_between_versions < 0.5 * gap_between_frames
    raw_a, raw_b = frames.astype(np.float32), darker.astype(np.float32)
    assert np.abs(raw_a - raw_b).mean() > 2 * np.abs(raw_a[15:] - raw_a[:-15]).mean()  # raw pixels: the reverse


def test_pca_across_the_set(retimed):
    paths, _ = retimed
    feats = extract_features(paths[:2], kind="appearance", n_components=8)
    assert [f.values.shape[1] for f in feats] == [8, 8]
    assert all(f.valid.all() for f in feats)
    assert feats[0].values.dtype == np.float32

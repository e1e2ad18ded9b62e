import numpy as np

from mvsync.features import create_extractor, extract_features
from mvsync.features.base import fitted_state
from mvsync.io import read_all_frames

from ..conftest import write_clip


def test_invariant_to_brightness_and_contrast(tmp_path, carphone):
    frames, _ = read_all_frames(carphone, size=(88, 72))
    frames = frames[:40]
    darker = np.clip(frames.astype(np.float32) * 0.6 + 20, 0, 255).astype(np.uint8)
    a = write_clip(tmp_path / "a.mp4", frames, fps=30)
    b = write_clip(tmp_path / "b.mp4", darker, fps=30)
    extractor = create_extractor("appearance")
    (fa,) = extractor.finalize([extractor.extract(a)])
    (fb,) = extractor.finalize([extractor.extract(b)], fitted=fitted_state([fa]))  # the same basis
    # the features of the two versions agree far better than frames 0.5 s apart in one.
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


def test_streamed_pca_is_the_pca_of_all_rows(retimed):
    """The basis fitted from the streamed covariance spans what sklearn's PCA of the stacked rows spans, with the
    same variances, and is the same however the rows are chunked."""
    from sklearn.decomposition import PCA

    from mvsync.features.pca_basis import PCABasis

    rows = np.random.default_rng(0).normal(size=(600, 40)) @ np.random.default_rng(1).normal(size=(40, 40))
    basis = PCABasis.fit([rows[:100], rows[100:450], rows[450:]], n_components=8)
    reference = PCA(n_components=8, svd_solver="full").fit(rows)
    np.testing.assert_allclose(basis.mean, reference.mean_, atol=1e-6)  # float32 rows
    np.testing.assert_allclose(np.abs(basis.components @ reference.components_.T), np.eye(8), atol=1e-4)
    np.testing.assert_allclose(basis.project(rows).var(axis=0, ddof=1), reference.explained_variance_, rtol=1e-4)
    again = PCABasis.fit([rows], n_components=8)
    np.testing.assert_allclose(again.components, basis.components, atol=1e-4)  # float32 chunk products


def test_features_keep_their_basis(tmp_path, retimed):
    """Each clip's features carry the set's basis (saved and loaded with them); applied again to the same clips it
    gives the same features."""
    from mvsync.features import load_features, save_features
    from mvsync.features.base import fitted_state

    paths, _ = retimed
    feats = extract_features(paths[:2], kind="appearance")
    state = fitted_state(feats)
    assert state["basis_components"].shape == (32, 24 * 24 * 3) and feats[0].meta["pca_components"] == 32
    loaded = load_features(save_features(feats[0], tmp_path / "a.npz"))
    np.testing.assert_array_equal(fitted_state([loaded])["basis_components"], state["basis_components"])
    again = extract_features(paths[:2], kind="appearance", fitted=fitted_state([loaded]))
    for a, b in zip(feats, again):
        np.testing.assert_allclose(a.values, b.values, atol=1e-5)

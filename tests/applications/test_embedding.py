"""The applications' embeddings: raw features standardised over the set, or a trained model's; nearest frames."""

from pathlib import Path

import numpy as np
import pytest

from mvsync.applications.embedding import check_embedding_options, embed_clips, nearest_frames, same_file
from mvsync.applications.retrieval import retrieve
from mvsync.datasets.collection import load_collection
from mvsync.errors import ConfigError, InputError
from mvsync.features import extract_features, save_features
from mvsync.train import train


def test_raw_embeddings_are_the_features_z_scored_over_the_set(retimed):
    paths, _ = retimed
    embs = embed_clips(paths[:3], features="appearance")
    pooled = np.concatenate([e.values for e in embs])
    assert [e.path for e in embs] == paths[:3] and all(e.valid.all() for e in embs)
    assert np.allclose(pooled.mean(axis=0), 0, atol=1e-6) and np.allclose(pooled.std(axis=0), 1, atol=1e-6)
    assert embs[0].times_s[:3] == pytest.approx([0.0, 0.04, 0.08]) and embs[0].fps == 25.0


def test_nearest_frames_agree_with_brute_force():
    rng = np.random.default_rng(0)
    queries, candidates = rng.normal(size=(7, 5)), rng.normal(size=(40, 5))
    allowed = rng.random(40) > 0.3
    idx, dist = nearest_frames(queries, candidates, allowed=allowed, k=3)
    full = np.linalg.norm(queries[:, None] - candidates[None], axis=2)  # (7, 40)
    full[:, ~allowed] = np.inf
    assert np.array_equal(idx, np.argsort(full, axis=1)[:, :3])
    assert np.allclose(dist, np.sort(full, axis=1)[:, :3])


def test_a_trained_model_embeds_the_frames_for_retrieval(tmp_path, retimed):
    """A TCC checkpoint (1 epoch: this checks the path through the model, not its accuracy)."""
    paths, _ = retimed
    folder = tmp_path / "feats"
    for feats in extract_features(paths[:2], kind="appearance"):
        save_features(feats, folder / "ride" / f"{Path(feats.path).stem}.npz")
    model = train(load_collection(folder), algo="tcc", epochs=1, num_frames=6, embedding_size=16)
    ckpt = model.save(tmp_path / "tcc.pt")
    embs = embed_clips(paths[:2], model=ckpt)
    assert [e.values.shape for e in embs] == [(150, 16), (200, 16)]
    found = retrieve(paths[0], paths[:3], frame_idx=40, k=3, model=ckpt)  # one match in each of the 2 other clips
    assert sorted(m.path for m in found.matches) == sorted(paths[1:3])


def test_bad_options_are_refused_before_any_decoding(tmp_path):
    with pytest.raises(ConfigError, match="features: unknown kind 'posture'"):
        check_embedding_options(features="posture", model=None)
    with pytest.raises(InputError, match="missing.pt: no such file"):
        check_embedding_options(features=None, model=tmp_path / "missing.pt")
    (tmp_path / "m.pt").write_bytes(b"x")
    with pytest.raises(ConfigError, match="a model reads the features it was trained on"):
        check_embedding_options(features="pose", model=tmp_path / "m.pt")


def test_same_file_sees_through_spellings(tmp_path, retimed):
    clip = retimed[0][0]
    (tmp_path / "link.mp4").symlink_to(clip)
    assert same_file(clip, tmp_path / "link.mp4") and same_file(clip, Path(str(clip).replace("/", "//")))
    assert not same_file(clip, retimed[0][1]) and not same_file(clip, tmp_path / "gone.mp4")

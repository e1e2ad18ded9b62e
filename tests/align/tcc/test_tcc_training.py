"""TCC training: frame sampling, augmentation, determinism, checkpoints, and the evidence that training helps.

The evidence test retimes a real clip (bikes.mp4) into six copies with known content frames, gives every frame
a phase label from its content frame, trains on four copies and scores the two others: the trained embedding
must beat its own untrained initialisation on Kendall's tau and on phase progression.
"""

import logging

import numpy as np
import pytest
import torch

from mvsync.align.tcc import (
    EncoderConfig,
    TCCEmbedder,
    augment_features,
    augment_frames,
    embed,
    fit_embedder,
    load_embedder,
    save_embedder,
)
from mvsync.align.tcc.augment import flip_pose
from mvsync.align.tcc.sampling import context_indices, sample_pairs, sample_steps, video_batches
from mvsync.demo import demo_clip_path
from mvsync.errors import ConfigError, InputError
from mvsync.evaluate.metrics import kendalls_tau
from mvsync.evaluate.metrics_phase import phase_progression
from mvsync.evaluate.retiming import Retiming, write_retimed
from mvsync.features import extract_features

log = logging.getLogger(__name__)
TINY = EncoderConfig(base="mlp", width=16, embedding_size=8)


def toy_videos(n=3, length=30, channels=5):
    rng = np.random.default_rng(0)
    return [np.cumsum(rng.normal(size=(length + 3 * i, channels)), axis=0) for i in range(n)]


# --- sampling ---------------------------------------------------------------------------------------


def test_frames_are_sampled_at_random_sorted_distinct_positions():
    rng = np.random.default_rng(0)
    draws = [sample_steps(np.arange(100), 20, rng) for _ in range(50)]
    assert all(np.all(np.diff(d) > 0) for d in draws)
    assert len({tuple(d) for d in draws}) == 50  # random, not a fixed grid
    short = sample_steps(np.arange(6), 20, rng)  # fewer frames than asked: drawn with replacement
    assert len(short) == 20 and np.all(np.diff(short) >= 0)
    only_valid = sample_steps(np.array([3, 7, 9]), 2, rng)
    assert set(only_valid) <= {3, 7, 9}


def test_tcn_pairs_put_a_positive_within_the_window_before_each_anchor():
    pairs = sample_pairs(np.arange(200), 20, 5, np.random.default_rng(0)).reshape(20, 2)
    gaps = pairs[:, 1] - pairs[:, 0]
    assert np.all((gaps >= 1) & (gaps <= 5)) and np.all(np.diff(pairs[:, 1]) > 0)


def test_context_is_the_past_clamped_at_the_first_frame():
    assert context_indices(np.array([0, 10, 40]), (15, 0)).tolist() == [[0, 0], [0, 10], [25, 40]]


def test_every_batch_has_the_same_number_of_distinct_videos():
    batches = video_batches(7, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4]
    assert all(len(set(b)) == 4 for b in batches) and set(np.concatenate(batches)) == set(range(7))
    assert [len(b) for b in video_batches(3, 4, np.random.default_rng(0))] == [3]


# --- augmentation -----------------------------------------------------------------------------------


class Draws:
    """A stand-in random generator with chosen draws."""

    def __init__(self, coin, *uniforms):
        self.coin, self.uniforms = coin, list(uniforms)

    def random(self):
        return self.coin

    def uniform(self, low, high):
        value = self.uniforms.pop(0)
        assert low <= value <= high
        return value


def test_augmentation_flips_brightens_and_contrasts_the_whole_video():
    video = torch.arange(2 * 2 * 3 * 3, dtype=torch.float32).reshape(2, 1, 2, 3, 3) * 5 + 60  # (T, k, H, W, 3)
    flipped = video.flip(-2) + 10.0
    mean = flipped.mean(dim=(-3, -2), keepdim=True)
    expected = ((flipped - mean) * 1.2 + mean).clamp(0, 255)
    torch.testing.assert_close(augment_frames(video, Draws(0.1, 10.0, 1.2)), expected)
    unflipped = augment_frames(video, Draws(0.9, 0.0, 1.0))
    torch.testing.assert_close(unflipped, video)


def test_augmentation_draws_stay_in_the_seed_ranges():
    rng = np.random.default_rng(0)
    gray = torch.full((3, 2, 4, 4, 3), 128.0)
    shifts = [float(augment_frames(gray, rng).unique()) - 128 for _ in range(300)]  # contrast keeps a flat frame
    assert -32 <= min(shifts) < -28 and 28 < max(shifts) <= 32
    ramp = torch.arange(8.0).repeat(2, 1, 4, 1)[..., None].expand(2, 1, 4, 8, 3) + 120  # (T, k, H, W, 3)
    for _ in range(50):
        out = augment_frames(ramp, rng)
        direction = torch.sign(out[..., 1:, :] - out[..., :-1, :])
        assert direction.unique().numel() == 1  # every frame mirrored, or none
        gain = (out.std() / ramp.std()).item()
        assert 0.5 - 1e-4 <= gain <= 1.5 + 1e-4


def test_pose_flip_mirrors_the_skeleton_and_other_features_stay():
    pose = torch.randn(4, 132)
    mirrored = flip_pose(pose)
    torch.testing.assert_close(flip_pose(mirrored), pose)
    torch.testing.assert_close(mirrored.view(4, 33, 4)[:, 0, 0], -pose.view(4, 33, 4)[:, 0, 0])  # nose: x negated
    torch.testing.assert_close(mirrored.view(4, 33, 4)[:, 15, 1:], pose.view(4, 33, 4)[:, 16, 1:])  # wrists swap
    flips = {torch.equal(augment_features(pose, "pose", np.random.default_rng(s)), pose) for s in range(20)}
    assert flips == {True, False}
    assert all(torch.equal(augment_features(pose, "dino", np.random.default_rng(s)), pose) for s in range(5))


# --- training, determinism, checkpoints -------------------------------------------------------------


def test_training_is_deterministic_on_cpu_for_a_seed():
    videos = toy_videos()
    a = fit_embedder(videos, encoder=TINY, epochs=3, num_frames=6, seed=3)
    b = fit_embedder(videos, encoder=TINY, epochs=3, num_frames=6, seed=3)
    c = fit_embedder(videos, encoder=TINY, epochs=3, num_frames=6, seed=4)
    np.testing.assert_array_equal(embed(a, videos[0]), embed(b, videos[0]))
    assert a.history == b.history
    assert not np.array_equal(embed(a, videos[0]), embed(c, videos[0]))


@pytest.mark.parametrize("algo", ["tcn", "sal", "tcc+tcn", "tcc+sal"])
def test_every_algorithm_trains(algo):
    model = fit_embedder(toy_videos(), algo=algo, encoder=TINY, epochs=2, num_frames=6)
    assert set(model.history[-1]) == {"loss", *algo.split("+")}
    assert embed(model, toy_videos()[1]).shape == (33, 8)


def test_checkpoint_rebuilds_the_model_from_its_config(tmp_path):
    videos = toy_videos()
    model = fit_embedder(videos, algo="tcc+sal", encoder=TINY, epochs=2, num_frames=6)
    path = save_embedder(model, tmp_path / "ckpt" / "tcc.pt")
    loaded = load_embedder(path)
    assert loaded.config == model.config and loaded.history == model.history
    np.testing.assert_array_equal(embed(loaded, videos[2]), embed(model, videos[2]))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="junk.pt: not a readable checkpoint"):
        load_embedder(tmp_path / "junk.pt")
    with pytest.raises(InputError, match="checkpoint not found"):
        load_embedder(tmp_path / "missing.pt")


def test_bad_inputs_are_one_line_errors():
    videos = toy_videos()
    with pytest.raises(InputError, match="at least 2"):
        fit_embedder(videos[:1], encoder=TINY)
    with pytest.raises(InputError, match="mixes frames and features"):
        fit_embedder([videos[0], np.zeros((5, 8, 8, 3), np.uint8)], encoder=TINY)
    with pytest.raises(ConfigError, match="num_frames: sal needs at least 5"):
        fit_embedder(videos, algo="sal", encoder=TINY, num_frames=4)
    with pytest.raises(ConfigError, match="algorithm 'dtw'"):
        fit_embedder(videos, algo="dtw", encoder=TINY)
    model = fit_embedder(videos, encoder=TINY, epochs=1, num_frames=4)
    with pytest.raises(InputError, match=r"expected \(L, 5\) features"):
        embed(model, np.zeros((10, 7)))


# --- evidence: trained beats untrained on a real clip -------------------------------------------------

RETIMINGS = (
    Retiming(tempo=1.0),
    Retiming(tempo=0.8, lead_in=10, tail=3),
    Retiming(tempo=1.25, lead_in=4, ease=0.3),
    Retiming(tempo=0.9, lead_in=15, ease=-0.4),
    Retiming(tempo=1.1, lead_in=6, tail=8, ease=0.5),  # validation
    Retiming(tempo=0.85, lead_in=12, ease=-0.2),  # validation
)
PHASE_STARTS = (62, 125, 187)  # source frames of bikes.mp4 where phases 1, 2, 3 begin


@pytest.fixture(scope="module")
def bikes_set(tmp_path_factory):
    """Appearance features of six retimed copies of bikes.mp4 and per-frame phase labels from the known warp."""
    clips = write_retimed(demo_clip_path("bikes.mp4"), tmp_path_factory.mktemp("tcc"), RETIMINGS, size=(96, 40))
    feats = extract_features([path for path, _ in clips], kind="appearance", use_cache=False)
    labels = [np.searchsorted(PHASE_STARTS, content, side="right") for _, content in clips]
    return feats, labels


def test_trained_embedding_beats_the_untrained_one_on_real_video(bikes_set):
    feats, labels = bikes_set
    train, val = feats[:4], feats[4:]
    # the seed's architecture over appearance features, narrower (128) and with lr 1e-3 (not 1e-4) to fit in seconds
    model = fit_embedder(train, algo="tcc", epochs=400, lr=1e-3, encoder=EncoderConfig(base="mlp", width=128), seed=0)
    torch.manual_seed(0)
    untrained = TCCEmbedder(model.config).eval()  # the trained model's own starting point

    scores = {}
    for name, m in (("untrained", untrained), ("trained", model)):
        train_embs, val_embs = [embed(m, f) for f in train], [embed(m, f) for f in val]
        scores[name] = (kendalls_tau(val_embs).tau, phase_progression(train_embs, labels[:4], val_embs, labels[4:]).r2)
    log.info("Kendall's tau, progression R^2: %s", scores)
    (tau0, prog0), (tau1, prog1) = scores["untrained"], scores["trained"]
    assert tau1 > tau0 and prog1 > prog0, scores
    assert tau1 > 0.94 and prog1 > 0.9, scores


# --- frames read on demand ---------------------------------------------------------------------------


def test_frame_sources_read_the_frames_a_step_asks_for(tmp_path, carphone):
    from PIL import Image

    from mvsync.align.tcc.frame_source import DecodedVideoFrames, ImageFolderFrames, frame_source
    from mvsync.io import read_all_frames, read_image

    frames, _ = read_all_frames(carphone, size=(24, 24))  # (120, 24, 24, 3): what a 24-px encoder sees
    video = frame_source(carphone, 24)
    assert isinstance(video, DecodedVideoFrames) and video.shape == frames.shape
    index = np.array([[0, 15], [3, 18], [119, 119]])
    np.testing.assert_array_equal(video[index], frames[index])

    folder = tmp_path / "frames"
    folder.mkdir()
    for k in range(12):
        Image.fromarray(np.full((30, 40, 3), 20 * k, np.uint8)).save(folder / f"{k + 1}.png")  # 10.png after 9.png
    images = frame_source(folder, 16)
    assert isinstance(images, ImageFolderFrames) and images.shape == (12, 16, 16, 3)
    batch = images[np.array([[0, 10], [10, 11]])]
    assert batch.shape == (2, 2, 16, 16, 3)
    assert [int(batch[i, j, 0, 0, 0]) for i in range(2) for j in range(2)] == [0, 200, 200, 220]
    np.testing.assert_array_equal(batch[1, 1], read_image(folder / "12.png", size=(16, 16)))


def test_frame_encoder_trains_on_image_folders(tmp_path, carphone):
    from PIL import Image

    from mvsync.io import read_frames

    folders = []
    for start in (0, 20):  # two "videos": overlapping stretches of the real clip, as JPEG folders
        folder = tmp_path / f"clip{start}"
        folder.mkdir()
        for frame in read_frames(carphone, size=(64, 48)):
            if start <= frame.index < start + 60:
                Image.fromarray(frame.image).save(folder / f"{frame.index:06d}.jpg")
        folders.append(folder)
    encoder = EncoderConfig(base="vggm", image_size=32, width=16, embedding_size=8, context_stride=3)
    model = fit_embedder(folders, encoder=encoder, epochs=2, num_frames=6)
    assert len(model.history) == 2 and np.isfinite(model.history[-1]["loss"])
    assert embed(model, folders[0]).shape == (60, 8)

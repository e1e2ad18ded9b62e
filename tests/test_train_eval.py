"""`mvsync train` and `mvsync eval` end to end on real data: Penn Action keypoints and retimed real clips."""

import json
from pathlib import Path

import numpy as np
import pytest

from mvsync.align.trained_model import load_model
from mvsync.cli import main
from mvsync.datasets.collection import detect_layout, load_collection
from mvsync.evaluate.protocol import evaluate, raw_embedder
from mvsync.features import extract_features, save_features
from mvsync.sync import sync

from .datasets.test_penn_action import write_mat

from .data_paths import PENN
needs_penn = pytest.mark.skipif(not (PENN / "labels").is_dir(), reason=f"{PENN} is not here (set MVSYNC_DATA)")


@pytest.fixture(scope="module")
def feature_folder(tmp_path_factory, retimed):
    """DATA/<action>/<clip>.npz as `mvsync features` writes it, with two 'actions'."""
    root = tmp_path_factory.mktemp("feats")
    paths, _ = retimed
    for k, feats in enumerate(extract_features(paths, kind="appearance", cache_dir=root / ".cache")):  # hidden: skipped
        save_features(feats, root / ("ride" if k % 2 == 0 else "pedal") / f"{Path(feats.path).stem}.npz")
    return root


SMALL = {"tpl": ["--set", "loc_depth=3", "--set", "loc_filters=8", "--set", "n_recurrences=1"],
         "dtan": ["--set", "depth=3", "--set", "n_filters=8", "--set", "n_recurrences=1"],
         "tcc": ["--set", "num_frames=10"], "tcn": []}


@pytest.mark.parametrize("algo", ["tpl", "dtan", "tcc", "tcn"])
def test_train_then_eval_on_a_feature_folder(capsys, tmp_path, feature_folder, algo):
    ckpt = tmp_path / f"{algo}.pt"
    assert main(["train", str(feature_folder), "-o", str(ckpt), "--algo", algo, "--epochs", "2", *SMALL[algo], "-q"]) == 0
    model = load_model(ckpt)
    assert (model.algo, model.features, model.actions) == (algo, "appearance", ["pedal", "ride"])
    report = tmp_path / "report.json"
    code = main(["eval", str(feature_folder), "--model", str(ckpt), "--baseline", "identity", "--split", "all",
                 "--train-split", "all", "-o", str(report), "-q"])
    out = capsys.readouterr().out
    assert code == 0 and f"| {algo} | tau" in out and "macro average" in out
    data, identity = json.loads(report.read_text())["reports"]
    assert set(data["per_action"]) == {"pedal", "ride"}
    # Retimed copies of one clip: no warping (identity) orders the frames right (tau above 0.99). Two epochs of an
    # aligner must keep that order (a collapsed or reversed warp would not: measured 1.0 for tpl and dtan); the embedders
    # learn an embedding from scratch (measured tau 0.91-0.94 and cycle 0.76-0.78 after 1-2 epochs, tcn 0.98 after
    # 5; a constant or shuffled embedding scores about 0)
    assert identity["macro"]["tau"] > 0.99
    if algo in ("tpl", "dtan"):
        assert data["macro"]["tau"] >= identity["macro"]["tau"] - 0.02 and data["macro"]["cycle"] >= 0.98
    else:
        assert data["macro"]["tau"] > 0.8 and data["macro"]["cycle"] > 0.6
    assert main(["train", str(feature_folder), "-o", str(ckpt), "--algo", algo, "--epochs", "1", "-q"]) == 2


@needs_penn
def test_penn_action_keypoints_train_and_eval(capsys, tmp_path):
    assert detect_layout(PENN) == "penn_action"
    ckpt = tmp_path / "tpl.pt"
    args = ["--action", "squat", "--max-per-action", "4", "-q"]
    assert main(["train", str(PENN), "-o", str(ckpt), "--epochs", "2", *SMALL["tpl"], *args]) == 0
    assert main(["eval", str(PENN), "--model", str(ckpt), "--baseline", "identity", "--baseline", "raw", *args]) == 0
    out = capsys.readouterr().out
    assert "| squat |" in out and "DERIVED from keypoints" in out and "event_err_pct" in out
    assert "| identity | tau" in out and "| raw | tau" in out and "| tpl |" in out  # one table per method
    # Penn's keypoints come from label files, not from videos: refused before any clip is opened
    assert main(["sync", "a.mp4", "b.mp4", "-o", str(tmp_path / "out"), "--model", str(ckpt)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"model: {ckpt} was trained on 'keypoints' features, which are not extracted from " \
        "videos" in err[0] and "--features appearance or clip or dino or pose or resnet50" in err[0]


@needs_penn
def test_raw_baseline_scores_real_keypoints():
    train = load_collection(PENN, split="train", action="jumping_jacks", max_per_action=6)
    val = load_collection(PENN, split="test", action="jumping_jacks", max_per_action=6)
    report = evaluate(val, embedder=raw_embedder(train), method="raw", train=train)
    row = report.rows["jumping_jacks"]
    assert 0 < row["tau"] <= 1 and row["event_err_pct"] is not None and 0 <= row["event_err_pct"] < 50
    assert np.isfinite(report.macro["cycle"])


def test_eval_with_phase_labels_fills_every_column(tmp_path, feature_folder):
    # Give every clip phase labels at known content frames: the metrics that need labels now run.
    seqs = load_collection(feature_folder)
    from dataclasses import replace

    labelled = [replace(s, labels=np.minimum(np.arange(s.features.num_frames) * 3 // s.features.num_frames, 2))
                for s in seqs]
    report = evaluate(labelled, embedder=raw_embedder(labelled), method="raw", train=labelled)
    macro = report.macro
    for column in ("class@0.1", "class@1.0", "progress", "ap@5"):
        assert macro[column] is not None and np.isfinite(macro[column])


def test_bad_train_option_is_a_clear_error(capsys, tmp_path, feature_folder):
    code = main(["train", str(feature_folder), "-o", str(tmp_path / "x.pt"), "--set", "no_such_option=1", "-q"])
    assert code == 2 and "no_such_option" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()


def test_sync_with_a_trained_tpl_model(capsys, caplog, tmp_path, feature_folder, retimed):
    ckpt = tmp_path / "tpl.pt"
    assert main(["train", str(feature_folder), "-o", str(ckpt), "--epochs", "3", *SMALL["tpl"], "-q"]) == 0
    paths = [str(p) for p in retimed[0]]
    out = tmp_path / "out"
    # the checkpoint says which features to extract (appearance), so --features may be left out
    assert main(["sync", *paths, "-o", str(out), "--method", "tpl", "--model", str(ckpt), "--no-video", "-q"]) == 0
    data = json.loads((out / "sync.json").read_text())
    assert data["method"] == "tpl" and data["features"] == "appearance" and len(data["videos"]) == 4
    for video in data["videos"]:
        frames = [f for f in video["source_frame"] if f is not None]
        assert frames and all(b >= a for a, b in zip(frames, frames[1:]))
    capsys.readouterr()
    code = main(["sync", *paths, "-o", str(tmp_path / "o2"), "--method", "tpl", "--model", str(ckpt), "--features", "pose", "-q"])
    assert code == 2 and "trained on appearance features, not pose" in capsys.readouterr().err
    code = main(["sync", *paths, "-o", str(tmp_path / "o3"), "--method", "dtw", "--model", str(ckpt), "-q"])
    assert code == 2 and "only the tpl method" in capsys.readouterr().err
    code = main(["sync", *paths, "-o", str(tmp_path / "o4"), "--reference", "1", "--model", str(ckpt), "-q"])
    assert code == 2 and "a reference clip (a dtw option)" in capsys.readouterr().err
    assert not any((tmp_path / o).exists() for o in ("o2", "o3", "o4"))
    # a model implies tpl, so --model alone is enough
    assert main(["sync", *paths, "-o", str(tmp_path / "o5"), "--model", str(ckpt), "--no-video", "-q"]) == 0
    assert json.loads((tmp_path / "o5" / "sync.json").read_text())["method"] == "tpl"
    # the library call behaves as the CLI: the checkpoint brings its feature kind and implies tpl
    with caplog.at_level("WARNING", logger="mvsync"):
        result = sync(paths, model=ckpt)
    assert (result.method, result.features) == ("tpl", "appearance")
    assert "fitted to each set" not in caplog.text  # the checkpoint stores the training clips' PCA basis
    for video, track in zip(data["videos"], result.videos):
        np.testing.assert_allclose(np.array(video["source_frame"], dtype=float), track.source_frame, atol=1e-3)


def test_a_model_reads_new_appearance_clips_in_its_training_basis(tmp_path, retimed):
    """Trained on clips A, B, C, the model embeds clip D identically whether D is extracted alone or with others:
    the checkpoint carries the PCA basis fitted to A, B, C (issue 12, section 3)."""
    from mvsync.features.base import fitted_state

    paths = retimed[0]
    folder = tmp_path / "feats"
    for feats in extract_features(paths[:3], kind="appearance"):
        save_features(feats, folder / "ride" / f"{Path(feats.path).stem}.npz")
    ckpt = tmp_path / "tpl.pt"
    assert main(["train", str(folder), "-o", str(ckpt), "--epochs", "2", *SMALL["tpl"], "-q"]) == 0
    model = load_model(ckpt)
    trained_on = fitted_state(extract_features(paths[:3], kind="appearance"))
    assert model.feature_state.keys() == trained_on.keys()
    for key in trained_on:
        np.testing.assert_array_equal(model.feature_state[key], trained_on[key])
    alone = extract_features(paths[3:], kind="appearance", fitted=model.feature_state)[0]
    with_others = extract_features([paths[1], paths[3], paths[0]], kind="appearance", fitted=model.feature_state)[1]
    np.testing.assert_array_equal(alone.values, with_others.values)
    np.testing.assert_array_equal(model.embed(alone), model.embed(with_others))
    # without the stored basis, D's features depend on the clips extracted with it (what the checkpoint now avoids)
    own = extract_features(paths[3:], kind="appearance")[0].values
    assert np.abs(own - extract_features([paths[0], paths[3]], kind="appearance")[1].values).max() > 0.1


def test_training_on_several_bases_stores_none(caplog, tmp_path, retimed):
    """Two actions extracted in two runs have two PCA bases: the model stores neither, says so, and sync warns."""
    paths = retimed[0]
    folder = tmp_path / "feats"
    for action, pair in (("ride", paths[:2]), ("pedal", paths[2:])):
        for feats in extract_features(pair, kind="appearance"):
            save_features(feats, folder / action / f"{Path(feats.path).stem}.npz")
    ckpt = tmp_path / "tpl.pt"
    with caplog.at_level("WARNING", logger="mvsync"):
        assert main(["train", str(folder), "-o", str(ckpt), "--epochs", "1", *SMALL["tpl"], "-q"]) == 0
    assert "fitted to several sets of clips" in caplog.text and load_model(ckpt).feature_state is None
    caplog.clear()
    with caplog.at_level("WARNING", logger="mvsync"):
        sync(paths[:2], model=ckpt)
    assert "fitted to each set of clips extracted together" in caplog.text


def test_load_model_refuses_foreign_files(tmp_path):
    from mvsync.errors import InputError

    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="junk.pt: not a readable checkpoint"):
        load_model(junk)
    with pytest.raises(InputError, match="ghost.pt: checkpoint not found"):
        load_model(tmp_path / "ghost.pt")


def test_eval_says_when_train_and_validation_clips_are_the_same(feature_folder):
    seqs = load_collection(feature_folder)
    report = evaluate(seqs, embedder=raw_embedder(seqs), method="raw", train=seqs)
    assert any("also train clips" in note for note in report.notes)


@pytest.fixture(scope="module")
def penn_rgb(tmp_path_factory, retimed):
    """A Penn Action root built from real frames: the 4 retimed bikes copies as frames/000k/*.jpg, labels/000k.mat
    (action 'bike', clips 1-2 train, 3-4 test) and a JSON phase table with phases at known content frames."""
    from PIL import Image

    from mvsync.io import read_frames

    root = tmp_path_factory.mktemp("penn_rgb")
    (root / "labels").mkdir()
    paths, contents = retimed
    phases = {}
    for k, (path, content) in enumerate(zip(paths, contents), start=1):
        name = f"{k:04d}"
        folder = root / "frames" / name
        folder.mkdir(parents=True)
        for frame in read_frames(path):
            Image.fromarray(frame.image).save(folder / f"{frame.index + 1:06d}.jpg", quality=90)
        n = len(list(folder.glob("*.jpg")))
        shown = content[:n, None].astype(float)  # joints that move with the content shown (known truth)
        x = np.linspace(50, 110, 13)[None] + 10 * np.sin(shown / 15 + np.arange(13))
        y = np.linspace(10, 60, 13)[None] + 0.1 * shown
        write_mat(root / "labels" / f"{name}.mat", "bike", n, train=k <= 2, x=x, y=y)
        phases[name] = np.searchsorted([50, 100], content[:n], side="right").tolist()  # phase of the content shown
    (root / "phases.json").write_text(json.dumps(phases))
    return root


def test_penn_action_rgb_frames_train_and_compare_in_one_table(capsys, tmp_path, penn_rgb):
    """The issue's 'done': train TCC on the RGB frames and TPL on features from the same frames, then one eval
    command scores both (and the raw baseline) the same way and prints the TCC paper's table, one row per method."""
    common = ["--phase-labels", str(penn_rgb / "phases.json"), "-q"]
    tcc = tmp_path / "tcc.pt"
    tiny_frames = ["--set", "base=vggm", "--set", "image_size=32", "--set", "width=16", "--set", "num_frames=6",
                   "--set", "context_stride=5"]
    assert main(["train", str(penn_rgb), "-o", str(tcc), "--algo", "tcc", "--features", "frames", "--epochs", "2",
                 *tiny_frames, *common]) == 0
    assert "RGB frames" in capsys.readouterr().out
    model = load_model(tcc)
    assert model.features == "frames" and model.model.config.encoder.base == "vggm"
    tpl = tmp_path / "tpl.pt"
    assert main(["train", str(penn_rgb), "-o", str(tpl), "--algo", "tpl", "--features", "appearance", "--epochs", "2",
                 *SMALL["tpl"], *common]) == 0
    report = tmp_path / "eval.json"
    assert main(["eval", str(penn_rgb), "--model", str(tcc), "--model", str(tpl), "--baseline", "raw",
                 "-o", str(report), *common]) == 0
    out = capsys.readouterr().out
    table = out[out.index("| method |"):]
    assert [line.split("|")[1].strip() for line in table.splitlines()[2:5]] == ["tcc", "tpl", "raw"]
    data = json.loads(report.read_text())
    assert [r["method"] for r in data["reports"]] == ["tcc", "tpl", "raw"]
    for method, macro in data["comparison"].items():  # phase labels given: every column is computed, per method
        for column in ("tau", "cycle", "class@0.5", "progress", "ap@5", "event_err_frames"):
            assert macro[column] is not None and np.isfinite(macro[column]), (method, column)


def test_frames_refused_where_features_are_needed(capsys, tmp_path, penn_rgb):
    code = main(["train", str(penn_rgb), "-o", str(tmp_path / "x.pt"), "--algo", "tpl", "--features", "frames", "-q"])
    assert code == 2 and "not raw frames" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()
    code = main(["eval", str(penn_rgb), "--baseline", "raw", "--features", "frames", "-q"])
    assert code == 2 and "--baseline raw" in capsys.readouterr().err
    code = main(["eval", str(penn_rgb), "-q"])
    assert code == 2 and "--model" in capsys.readouterr().err


def test_penn_action_without_frames_says_where_they_should_be(capsys, tmp_path, penn_rgb):
    import shutil

    root = tmp_path / "penn"
    shutil.copytree(penn_rgb / "labels", root / "labels")
    code = main(["train", str(root), "-o", str(tmp_path / "x.pt"), "--features", "appearance", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "frames/0001: no RGB frames" in err and len(err.strip().splitlines()) == 1


def test_train_options_reach_the_tcc_encoder_and_loss(feature_folder):
    from mvsync.errors import ConfigError
    from mvsync.train import train

    seqs = load_collection(feature_folder)
    model = train(seqs, algo="tcc", epochs=1, num_frames=6, embedding_size=16, width=32, temperature=0.05,
                  cycle_loss="classification")
    config = model.model.config
    assert (config.encoder.base, config.encoder.embedding_size, config.encoder.width) == ("mlp", 16, 32)
    assert (config.loss.temperature, config.loss.cycle_loss, config.train.num_frames) == (0.05, "classification", 6)
    assert model.embed(seqs[0].features).shape == (seqs[0].features.num_frames, 16)
    with pytest.raises(ConfigError, match="unknown option.*no_such_option"):
        train(seqs, algo="tcn", epochs=1, no_such_option=3)


def test_train_warns_when_the_warps_never_left_the_identity(caplog, feature_folder):
    """A handful of clips with the seed's recipe makes few optimizer steps: say so instead of shipping a no-op."""
    from mvsync.train import STILL_WARP, train, warp_displacement

    seqs = load_collection(feature_folder)
    small = {"loc_depth": 3, "loc_filters": 8, "n_recurrences": 1}
    with caplog.at_level("WARNING", logger="mvsync.train"):
        model = train(seqs, algo="tpl", epochs=2, **small)  # 2 steps at lr 1e-4
    X = [model.standardizer.apply(s.features) for s in seqs]
    assert warp_displacement(model.model, X) < STILL_WARP
    assert "still near the identity" in caplog.text and "more epochs" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="mvsync.train"):
        model = train(seqs, algo="dtan", epochs=40, lr=1e-2, depth=3, n_filters=8, n_recurrences=1)
    assert warp_displacement(model.model, [model.standardizer.apply(s.features) for s in seqs]) >= STILL_WARP
    assert "still near the identity" not in caplog.text


@needs_penn
def test_a_clip_whose_last_frame_has_no_keypoints_gets_a_position_for_every_frame():
    """Penn test clip 0449 (bench_press) has no keypoints in its last frame: the trained TPL's embedding must still
    place that frame on the timeline (it was NaN, which stopped the seed-scale benchmark's scoring)."""
    from mvsync.train import train

    clip = next(s for s in load_collection(PENN, split="test", action="bench_press") if s.name == "0449")
    assert not clip.features.valid[-1] and clip.features.valid[:-1].all()  # the case itself
    train_set = load_collection(PENN, split="train", action="bench_press", max_per_action=4)
    model = train(train_set, algo="tpl", epochs=2, loc_depth=3, loc_filters=8, n_recurrences=1)
    positions = model.embed(clip.features)
    assert positions.shape == (clip.features.num_frames, 1) and np.isfinite(positions).all()
    assert (np.diff(positions[:, 0]) >= -1e-6).all()  # still a monotone map


@pytest.mark.parametrize("given", [["--action", "ride", "--action", "pedal"], ["--action", "ride,pedal"]])
def test_several_actions_are_kept_repeated_or_comma_separated(capsys, tmp_path, feature_folder, given):
    assert main(["train", str(feature_folder), "-o", str(tmp_path / "m.pt"), "--algo", "tcn", "--epochs", "1", "-q",
                 *given]) == 0
    assert "of 2 action(s)" in capsys.readouterr().out
    assert {s.action for s in load_collection(feature_folder, action=["ride", "pedal"])} == {"ride", "pedal"}


def test_an_unknown_action_lists_the_actions_there(capsys, tmp_path, feature_folder):
    assert main(["train", str(feature_folder), "-o", str(tmp_path / "m.pt"), "--action", "ride,squat"]) != 0
    err = capsys.readouterr().err
    assert "no clips of action squat; the actions there: pedal, ride" in err and len(err.strip().splitlines()) == 1


def test_eval_names_models_of_one_algorithm_by_their_files(capsys, tmp_path, feature_folder):
    for name in ("short.pt", "long.pt"):
        assert main(["train", str(feature_folder), "-o", str(tmp_path / name), "--algo", "tcn", "--epochs", "1",
                     "-q"]) == 0
    assert main(["eval", str(feature_folder), "--model", str(tmp_path / "short.pt"), "--model",
                 str(tmp_path / "long.pt"), "--split", "all", "--train-split", "all", "-q"]) == 0
    out = capsys.readouterr().out
    assert "| tcn (short.pt) |" in out and "| tcn (long.pt) |" in out and "#1" not in out


@needs_penn
def test_train_compares_itself_with_no_warping_as_eval_does(caplog):
    """What `mvsync eval` reports for the model and for no warping, on the training clips; a warning when it loses."""
    from mvsync.evaluate.protocol import identity_embedder, model_embedder
    from mvsync.train import against_no_warping, train

    seqs = load_collection(PENN, split="train", action="squat", max_per_action=5)
    with caplog.at_level("WARNING", logger="mvsync.train"):
        model = train(seqs, algo="tcn", epochs=1)
    mine, none = against_no_warping(model, seqs)
    assert mine == evaluate(seqs, embedder=model_embedder(model), method="tcn").macro["event_err_pct"]
    assert none == evaluate(seqs, embedder=identity_embedder(), method="identity").macro["event_err_pct"]
    assert ("worse than no warping on its own training clips" in caplog.text) == (mine > none)

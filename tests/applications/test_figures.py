"""Figures (issue 11, sections 3-4): the plotted data are checked against known truth (retimed copies of a real
clip: which source frame each copy shows is known), the files are real PNG/SVG, and the same seed gives the same
figure."""

import json
from pathlib import Path

import numpy as np
import pytest

from mvsync.applications.frame_embeddings import frame_embeddings
from mvsync.applications.latent import tpl_latents
from mvsync.applications.moments import FEATURE_RULE, LABEL_RULE, moment_grid
from mvsync.applications.trajectories import tsne_trajectories
from mvsync.cli import main
from mvsync.errors import ConfigError
from mvsync.features import extract_features
from mvsync.sync import sync

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def synced(retimed):
    paths, contents = retimed
    return sync(paths, method="dtw", features="appearance"), extract_features(paths, kind="appearance"), contents


def test_tsne_puts_the_same_content_of_two_copies_together_and_is_seeded(synced):
    _, features, contents = synced
    embs = frame_embeddings(features[:2], kind="raw")
    points = tsne_trajectories(embs, seed=0)
    assert [p.shape for p in points] == [(f.num_frames, 2) for f in features[:2]]
    # Each frame of copy 1 lands nearest a frame of copy 0 that shows (almost) the same source frame.
    nearest = np.argmin(np.linalg.norm(points[1][:, None] - points[0][None], axis=-1), axis=1)
    error = np.abs(contents[0][nearest] - contents[1])
    assert np.mean(error <= 3) >= 0.9, np.percentile(error, [50, 90])
    assert all(np.array_equal(a, b) for a, b in zip(points, tsne_trajectories(embs, seed=0)))
    with pytest.raises(ConfigError, match="t-SNE: takes 2 to 4 clips, got 5"):
        tsne_trajectories(embs * 2 + embs[:1])


def test_tsne_of_one_dimensional_timeline_positions(retimed):
    # TPL's embedding is one number per frame (its timeline position): no PCA start, the seed then matters.
    _, contents = retimed
    embs = [(c / c.max())[:, None] for c in contents[:2]]  # (L, 1) each
    points = tsne_trajectories(embs, seed=0)
    assert [p.shape for p in points] == [(len(c), 2) for c in contents[:2]]
    assert all(np.array_equal(a, b) for a, b in zip(points, tsne_trajectories(embs, seed=0)))
    assert not np.allclose(points[0], tsne_trajectories(embs, seed=1)[0])


def test_frames_after_sync_show_the_same_moment_and_agree(synced):
    result, features, contents = synced
    grid = moment_grid(result, features)
    shown_after = np.stack([c[row] for c, row in zip(contents, grid.after)])  # (N, 5) source frames
    shown_before = np.stack([c[row] for c, row in zip(contents, grid.before)])
    assert np.ptp(shown_after, axis=0).max() <= 2  # every column: the same source moment in every clip
    assert np.ptp(shown_before, axis=0).max() >= 10  # before sync: lead-ins and tempi put them apart
    assert grid.agree_after.all() and grid.rule == FEATURE_RULE
    assert grid.agree_before.sum() < grid.agree_after.sum()
    phases = [np.searchsorted([30, 60, 90, 120], c, side="right") for c in contents]  # true phases
    by_label = moment_grid(result, features, labels=phases)
    assert by_label.agree_after.all() and by_label.rule == LABEL_RULE
    assert (by_label.before == grid.before).all()


def test_latent_after_alignment_is_the_latent_read_along_the_warps(synced):
    _, features, contents = synced
    curves = tpl_latents(features[:3], epochs=5, seed=0)
    assert [len(z) for z in curves.before] == [f.num_frames for f in features[:3]]
    assert curves.after.shape == (3, int(np.median([f.num_frames for f in features[:3]])))
    for z, frames, after in zip(curves.before, curves.after_frames, curves.after):
        assert np.all(np.diff(frames) >= -1e-9) and frames[0] >= 0 and frames[-1] <= len(z) - 1
        assert np.allclose(after, np.interp(frames, np.arange(len(z)), z))
    before_colors, after_colors = curves.colors()
    assert before_colors[0][0] == 0 and before_colors[0][-1] == 1 and after_colors.min() >= 0
    labels = [np.arange(len(z)) // 50 for z in curves.before]
    _, after_labels = curves.colors(labels)
    assert (after_labels[1] == labels[1][np.rint(curves.after_frames[1]).astype(int)]).all()
    again = tpl_latents(features[:3], epochs=5, seed=0)
    assert np.allclose(again.after, curves.after)  # seeded


def test_cli_tsne_writes_png_and_svg_the_same_for_the_same_seed(capsys, tmp_path, retimed):
    clips = [str(p) for p in retimed[0][:2]]
    outs = []
    for name in ("a", "b"):
        outs.append(tmp_path / name)
        assert main(["figures", "tsne", *clips, "--features", "appearance", "--seed", "3", "-o", str(outs[-1]), "-q"]) == 0
    png, svg = (outs[0] / "tsne.png").read_bytes(), (outs[0] / "tsne.svg").read_text()
    assert png[:8] == PNG and 20_000 < len(png) < 2_000_000
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and len(svg) > 20_000
    assert png == (outs[1] / "tsne.png").read_bytes() and svg == (outs[1] / "tsne.svg").read_text()
    assert main(["figures", "tsne", *clips, "-o", str(outs[0]), "-q"]) == 2  # exists: needs --force
    assert "pass --force" in capsys.readouterr().err


def test_cli_frames_with_labels_and_one_line_errors(capsys, tmp_path, retimed):
    paths, contents = retimed
    labels = []
    for k, content in enumerate(contents):
        labels.append(tmp_path / f"phases{k}.json")
        labels[-1].write_text(json.dumps(np.searchsorted([30, 60, 90, 120], content, side="right").tolist()))
    args = [*map(str, paths), "--features", "appearance", "-q"]
    given = [item for k, p in enumerate(labels) for item in ("--labels", f"{k}:{p}")]
    assert main(["figures", "frames", *args, *given, "-o", str(tmp_path / "f")]) == 0
    assert (tmp_path / "f" / "frames.png").read_bytes()[:8] == PNG
    bad = [
        (["figures", "frames", *args, *given[:-2]], "labels: none for"),
        (["figures", "frames", *args, "--labels", f"0:{labels[1]}"], "labels for a clip of"),
        (["figures", "tsne", str(paths[0]), *args], "figures tsne: takes 2 to 4 clips, got 5"),
        (["figures", "latent", str(paths[0]), str(tmp_path / "gone.mp4")], "gone.mp4: no such file"),
    ]
    for argv, message in bad:
        assert main([*argv, "-o", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err
        assert not (tmp_path / "bad").exists()


def test_cli_latent_from_a_sync_json(tmp_path, synced):
    result, _, _ = synced
    result.save(tmp_path / "sync.json")
    out = tmp_path / "latent"
    assert main(["figures", "latent", str(tmp_path / "sync.json"), "--epochs", "3", "-o", str(out), "-q"]) == 0
    assert (out / "latent.png").read_bytes()[:8] == PNG and (out / "latent.png").stat().st_size > 20_000
    assert "<svg" in (out / "latent.svg").read_text()


@pytest.mark.parametrize("command", [["figures"], ["figures", "tsne"], ["figures", "latent"], ["figures", "frames"],
                                     ["propagate-labels"], ["anomaly"]])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0 and "usage: mvsync" in capsys.readouterr().out


def test_cli_tsne_draws_the_clips_chosen_with_clips(capsys, tmp_path, synced):
    result, _, _ = synced  # 4 clips
    result.save(tmp_path / "sync.json")
    out = tmp_path / "two"
    assert main(["figures", "tsne", str(tmp_path / "sync.json"), "--clips", "1,3", "-o", str(out), "-q"]) == 0
    svg = (out / "tsne.svg").read_text()
    names = [Path(t.path).name for t in result.videos]
    assert names[1] in svg and names[3] in svg and names[0] not in svg and names[2] not in svg
    for clips, message in (("1,9", "clip 9 is out of range for 4 clips"), ("1,1", "named twice"),
                           ("2", "takes 2 to 4 clips, got 1"), ("a,b", "expected clip indices")):
        assert main(["figures", "tsne", str(tmp_path / "sync.json"), "--clips", clips, "-o", str(tmp_path / "x")]) == 2
        assert message in capsys.readouterr().err and not (tmp_path / "x").exists()

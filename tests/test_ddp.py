"""`torchrun --nproc-per-node 2 -m mvsync train`: two real gloo processes against one process, on Penn Action keypoints.

Data-parallel training must give the single-process loss curve (same global batches; the loss, its class
prototypes and the batch-norm statistics are the global batch's) up to float rounding, and a checkpoint that one
process loads and resumes.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import mvsync
from mvsync.align.trained_model import load_model
from mvsync.cli import main
from mvsync.datasets.collection import load_collection
from mvsync.features import save_features

from .data_paths import PENN
pytestmark = pytest.mark.skipif(not (PENN / "labels").is_dir(), reason=f"{PENN} is not here (set MVSYNC_DATA)")

# 10 clips of 2 actions (26-132 frames), batches of 7 then 3: slices of 4 + 3, then 2 + 1 rows of different lengths.
OPTIONS = ["--epochs", "2", "--set", "batch_size=7", "-q"]
SMALL = {"tpl": ["--set", "loc_depth=3", "--set", "loc_filters=4", "--set", "n_recurrences=2", "--set", "lr=1e-3"],
         "dtan": ["--algo", "dtan", "--set", "depth=3", "--set", "n_filters=4", "--set", "n_recurrences=2",
                  "--set", "lr=1e-3", "--set", "augment_variance=0.02"]}  # augmentation: draws shared by the ranks


@pytest.fixture(scope="module")
def penn_folder(tmp_path_factory) -> Path:
    """DATA/<action>/<clip>.npz (as `mvsync features` writes them): the keypoints of 5 real clips of 2 actions."""
    root = tmp_path_factory.mktemp("penn_feats")
    for action in ("jumping_jacks", "squat"):
        for seq in load_collection(PENN, action=action, max_per_action=5, split="train"):
            save_features(seq.features, root / action / f"{Path(seq.features.path).stem}.npz")
    return root


def torchrun_train(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc-per-node 2 -m mvsync train ARGS`` with one thread per process (2 cores)."""
    src = str(Path(mvsync.__file__).resolve().parents[1])  # this checkout's package, not another install
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "mvsync", "train", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def history(path: Path) -> list[dict[str, float]]:
    return load_model(path).model.history_


def assert_same_curve(a: list[dict[str, float]], b: list[dict[str, float]]) -> None:
    assert len(a) == len(b) and a[0].keys() == b[0].keys()
    for name in a[0]:
        np.testing.assert_allclose([h[name] for h in a], [h[name] for h in b], rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("algo", ["tpl", "dtan"])
def test_two_gloo_processes_follow_the_single_process_loss_curve(tmp_path, penn_folder, algo):
    args = [str(penn_folder), *OPTIONS, *SMALL[algo]]
    two, one = tmp_path / "two.pt", tmp_path / "one.pt"
    done = torchrun_train([*args, "-o", str(two)], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("wrote ") == 1  # rank 0 alone writes (and prints)
    assert main(["train", *args, "-o", str(one)]) == 0

    ddp, single = history(two), history(one)
    assert_same_curve(ddp, single)
    assert ddp[0]["loss"] != ddp[-1]["loss"]  # it trained: the curve is not flat
    # Same warps (not compared weight by weight: a conv bias before a batch norm has a zero gradient, up to
    # rounding noise that Adam's normalisation turns into steps of size lr in either run).
    models = [load_model(p) for p in (two, one)]
    for seq in load_collection(penn_folder)[::3]:
        np.testing.assert_allclose(*(m.embed(seq.features) for m in models), atol=1e-4)

    # The DDP checkpoint loads in one process and resumes there exactly like the single-process one.
    for start in (two, one):
        assert main(["train", *args, "--epochs", "3", "--resume", str(start), "-o", f"{start}.more"]) == 0
    resumed = history(Path(f"{two}.more"))
    assert len(resumed) == 3 and resumed[:2] == ddp
    assert_same_curve(resumed, history(Path(f"{one}.more")))


def test_tcc_in_two_gloo_processes_follows_the_single_process_loss_curve(tmp_path, penn_folder):
    """TCC on keypoints: each process embeds 2 of the 4 videos of a step; the cycle-consistency loss and the batch
    norms see all 4. Dropout off: its masks are drawn per process (equally random, not the same draws)."""
    args = [str(penn_folder), "--algo", "tcc", "--epochs", "3", "--set", "num_frames=8", "--set", "dropout=0.0",
            "--set", "lr=1e-3", "-q"]
    two, one = tmp_path / "two.pt", tmp_path / "one.pt"
    done = torchrun_train([*args, "-o", str(two)], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("wrote ") == 1
    assert main(["train", *args, "-o", str(one)]) == 0
    ddp, single = (load_model(p).model.history for p in (two, one))
    assert_same_curve(ddp, single)
    assert ddp[0]["loss"] != ddp[-1]["loss"]
    # The DDP checkpoint loads in one process and embeds alike (embeddings of size ~0.3; the Linear bias before a
    # batch norm has a zero gradient up to rounding, which Adam turns into steps of size lr: 1.6e-3 measured).
    models = [load_model(p) for p in (two, one)]
    seq = load_collection(penn_folder)[0]
    np.testing.assert_allclose(*(m.embed(seq.features) for m in models), atol=5e-3)


def test_tcc_refuses_fewer_videos_per_step_than_processes(tmp_path, penn_folder):
    done = torchrun_train([str(penn_folder), "--algo", "tcc", "--epochs", "1", "--set", "batch_videos=1", "-q",
                           "-o", str(tmp_path / "x.pt")], tmp_path)
    assert done.returncode != 0 and "batch_videos: 1 videos per step cannot be shared by 2 processes" in done.stderr
    assert "use a multiple of 2" in done.stderr
    assert not (tmp_path / "x.pt").exists()

"""The command line: exit codes, one-line errors naming the file, and no partial output."""

import json
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest

from mvsync.cli import main
from mvsync.io import probe
from mvsync.result import SyncResult

from .conftest import gradient_frames, write_audio_only, write_clip, write_empty_video


def run(capsys, *argv):
    code = main([*argv, "-q"] if argv[0] != "--version" else list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err, name):
    lines = [line for line in err.strip().splitlines() if line.startswith("mvsync: error:")]
    assert len(lines) == 1, err
    assert name in lines[0], err


def test_sync_writes_json_and_video(capsys, tmp_path, retimed):
    paths, contents = retimed
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "sync", *map(str, paths), "-o", str(out), "--features", "appearance", "--cell-size", "96")
    assert code == 0
    data = json.loads((out / "sync.json").read_text())
    assert data["method"] == "consensus" and len(data["videos"]) == 4  # the default method
    info = probe(out / "synced.mp4")
    assert info.num_frames == data["timeline"]["length"]
    assert info.fps == pytest.approx(data["timeline"]["fps"])
    assert sorted(p.name for p in out.iterdir()) == ["alignment.png", "player", "sync.json", "synced.mp4"]


def test_reference_without_method_means_dtw(capsys, tmp_path, retimed):
    paths = list(map(str, retimed[0][:3]))
    out = tmp_path / "out"
    code, _, _ = run(capsys, "sync", *paths, "-o", str(out), "--features", "appearance", "--no-video", "--reference", "2")
    assert code == 0
    data = json.loads((out / "sync.json").read_text())
    assert data["method"] == "dtw" and data["extra"]["reference"] == 2
    code, _, err = run(capsys, "sync", *paths, "-o", str(tmp_path / "o2"), "--method", "tpl", "--reference", "2")
    assert code == 2
    assert_one_line_error(err, "reference")


def test_existing_outdir_needs_force(capsys, tmp_path, retimed):
    paths = list(map(str, retimed[0][:2]))
    out = tmp_path / "out"
    out.mkdir()
    (out / "sync.json").write_text("my old result")
    code, _, err = run(capsys, "sync", *paths, "-o", str(out), "--features", "appearance", "--no-video")
    assert code == 2
    assert_one_line_error(err, str(out))
    assert (out / "sync.json").read_text() == "my old result"
    code, _, _ = run(capsys, "sync", *paths, "-o", str(out), "--features", "appearance", "--no-video", "--force")
    assert code == 0 and json.loads((out / "sync.json").read_text())["version"] == 1


def test_unwritable_outdir(capsys, tmp_path, retimed):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    out = blocker / "out"
    code, _, err = run(capsys, "sync", *map(str, retimed[0][:2]), "-o", str(out), "--features", "appearance")
    assert code == 2
    assert_one_line_error(err, str(out))


def _bad_inputs(tmp_path, bikes):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(bikes.read_bytes()[:100_000])
    text = tmp_path / "readme.mp4"
    text.write_text("not a video\n" * 50)
    empty = tmp_path / "zero.mp4"
    empty.touch()
    one = write_clip(tmp_path / "one_frame.mp4", gradient_frames(1))
    return {
        "missing": tmp_path / "missing.mp4",
        "zero-byte": empty,
        "text": text,
        "truncated": truncated,
        "0-frame": write_empty_video(tmp_path / "no_frames.mp4"),
        "1-frame": one,
        "audio-only": write_audio_only(tmp_path / "audio_only.mp4"),
    }


@pytest.mark.parametrize("case", ["missing", "zero-byte", "text", "truncated", "0-frame", "1-frame", "audio-only"])
def test_bad_input_exit_2_and_no_output(capsys, tmp_path, retimed, bikes, case):
    bad = _bad_inputs(tmp_path, bikes)[case]
    out = tmp_path / "out"
    code, _, err = run(capsys, "sync", str(retimed[0][0]), str(bad), "-o", str(out), "--features", "appearance")
    assert code == 2
    assert_one_line_error(err, bad.name)
    assert not (out / "sync.json").exists() and not (out / "synced.mp4").exists()
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_fewer_than_two_videos(capsys, tmp_path, retimed):
    """The count is the problem, not the one file given: the message names the videos, not that file."""
    code, _, err = run(capsys, "sync", str(retimed[0][0]), "-o", str(tmp_path / "o"), "--features", "appearance")
    assert code == 2
    assert_one_line_error(err, "videos: need at least 2 videos to synchronize, got 1")
    assert retimed[0][0].name not in err and not (tmp_path / "o").exists()
    bad = tmp_path / "bad.mp4"
    bad.write_text("nope")
    code, _, err = run(capsys, "sync", str(retimed[0][0]), str(bad), "-o", str(tmp_path / "o"), "--skip-bad")
    assert code == 2
    assert_one_line_error(err, "videos: need at least 2 usable videos, got 1 of 2; skipped: ")
    assert "bad.mp4: not a readable video" in err and not (tmp_path / "o").exists()


def test_no_person_suggests_appearance(capsys, tmp_path):
    a = write_clip(tmp_path / "wall_a.mp4", gradient_frames(12, size=(96, 64)))
    b = write_clip(tmp_path / "wall_b.mp4", gradient_frames(12, size=(96, 64), seed=1))
    code, _, err = run(capsys, "sync", str(a), str(b), "-o", str(tmp_path / "o"), "--features", "pose")
    assert code == 2
    assert_one_line_error(err, "wall_a.mp4")
    assert "use the appearance features" in err and not (tmp_path / "o").exists()


def test_skip_bad_lists_failures(capsys, tmp_path, retimed):
    bad = tmp_path / "oops.mp4"
    bad.write_text("x")
    code, _, err = run(capsys, "sync", *map(str, retimed[0][:2]), str(bad), "-o", str(tmp_path / "o"),
                       "--features", "appearance", "--skip-bad", "--no-video")
    assert code == 0
    assert "oops.mp4" in err and "skipped 1" in err


def test_features_and_info(capsys, tmp_path, retimed, bunny):
    code, out, _ = run(capsys, "features", *map(str, retimed[0][:2]), "-o", str(tmp_path / "f"), "--features", "appearance")
    assert code == 0 and len(list((tmp_path / "f").glob("*.npz"))) == 2
    code, out, _ = run(capsys, "info", str(bunny), "--json")
    assert code == 0 and json.loads(out)["has_audio"] is True
    code, _, err = run(capsys, "info", str(tmp_path / "ghost.mkv"))
    assert code == 2 and "ghost.mkv: no such file" in err


def test_info_reports_the_decoded_count(capsys, tmp_path, bikes):
    """A container's frame count is a claim: info decodes (issue 13), or with --fast says "about"."""
    clip = write_clip(tmp_path / "clip.avi", gradient_frames(40, size=(96, 64)), codec="mpeg4")
    cut = tmp_path / "cut.avi"
    cut.write_bytes(clip.read_bytes()[: int(clip.stat().st_size * 0.6)])  # the header still says 40
    code, out, _ = run(capsys, "info", str(cut), str(bikes))
    lines = out.splitlines()
    assert code == 0 and "1 frame decoded (the container says 40)" in lines[0] and ", 250 frames," in lines[1]
    code, out, _ = run(capsys, "info", "--fast", str(cut))
    assert "about 40 frames (container's count, not decoded)" in out
    code, out, _ = run(capsys, "info", "--json", str(cut))
    assert json.loads(out)["num_frames"] == 1 and json.loads(out)["num_frames_container"] == 40


def test_demo(capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "-o", str(tmp_path / "demo"))
    assert code == 0
    assert "sync error vs known truth" in out
    median = float(out.split("median ")[1].split(" frames")[0])
    assert median <= 1.0
    assert (tmp_path / "demo" / "synced.mp4").exists() and len(list((tmp_path / "demo" / "clips").glob("*.mp4"))) == 5
    player = tmp_path / "demo" / "player" / "index.html"
    assert player.is_file() and f"open {player} in a browser" in out
    assert len(list((tmp_path / "demo" / "player" / "media").iterdir())) == 5  # the lossless copies play as they are


@pytest.mark.parametrize("command", [[], ["sync"], ["features"], ["info"], ["demo"]])
def test_help_everywhere(command):
    proc = subprocess.run([sys.executable, "-m", "mvsync.cli", *command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "usage: mvsync" in proc.stdout


def test_internal_error_exits_1():
    proc = subprocess.run([sys.executable, "-c", "import sys, mvsync.cli as c, mvsync.commands.info as i; "
                           "i.run = None; sys.exit(c.main(['info', 'x.mp4']))"], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" in proc.stderr


def test_failed_sync_leaves_no_output_folder(capsys, tmp_path, retimed):
    out = tmp_path / "new_out"
    code, _, err = run(capsys, "sync", str(retimed[0][0]), str(tmp_path / "ghost.mp4"), "-o", str(out),
                       "--features", "appearance")
    assert code == 2 and "ghost.mp4: no such file" in err
    assert not out.exists()


def test_features_refuses_clashing_names(capsys, tmp_path, retimed):
    a, b = tmp_path / "x", tmp_path / "y"
    a.mkdir(), b.mkdir()
    (a / "clip.mp4").write_bytes(retimed[0][0].read_bytes())
    (b / "clip.mp4").write_bytes(retimed[0][1].read_bytes())
    code, _, err = run(capsys, "features", str(a / "clip.mp4"), str(b / "clip.mp4"), "-o", str(tmp_path / "f"),
                       "--features", "appearance")
    assert code == 2 and "same file name" in err and not (tmp_path / "f").exists()


def test_sync_image_folders_like_videos(capsys, tmp_path, retimed):
    """Penn Action style frame folders (frames/NNNN/*.jpg) sync like video files, at a nominal 30 fps."""
    from PIL import Image

    from mvsync.evaluate import content_error
    from mvsync.io import read_frames
    from mvsync.result import SyncResult

    paths, contents = retimed
    folders = []
    for k, path in enumerate(paths[:3]):
        folder = tmp_path / "frames" / f"{k + 1:04d}"
        folder.mkdir(parents=True)
        for frame in read_frames(path):
            Image.fromarray(frame.image).save(folder / f"{frame.index + 1:06d}.jpg", quality=92)
        folders.append(str(folder))
    out = tmp_path / "out"
    code, _, err = run(capsys, "sync", *folders, "-o", str(out), "--features", "appearance", "--no-video")
    assert code == 0, err
    result = SyncResult.load(out / "sync.json")
    assert [v.path for v in result.videos] == folders and result.videos[0].fps == 30.0
    errors = content_error(result, contents[:3], reference=0)
    assert np.median(errors) <= 1 and np.percentile(errors, 95) <= 3  # as accurate as on the video files
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "sync", folders[0], str(empty), "-o", str(tmp_path / "o2"), "--features", "appearance")
    assert code == 2 and not (tmp_path / "o2").exists()
    assert_one_line_error(err, "empty: is a folder with no images")


def test_parser_choices_are_the_registries_and_help_loads_no_models():
    from mvsync import cli_names
    from mvsync.align import ALIGNERS
    from mvsync.datasets import DATASETS
    from mvsync.features import FEATURES
    from mvsync.train import TRAINERS

    assert list(cli_names.FEATURE_NAMES) == FEATURES.names() and list(cli_names.ALIGNER_NAMES) == ALIGNERS.names()
    assert list(cli_names.TRAINER_NAMES) == TRAINERS.names() and list(cli_names.DATASET_NAMES) == DATASETS.names()
    from mvsync.names import ALWAYS_OUTPUT, DEFAULT_OUTPUTS, REFERENCE_ALIGNERS
    from mvsync.render import WRITERS

    assert list(cli_names.WRITER_NAMES) == WRITERS.names()
    assert ALWAYS_OUTPUT in DEFAULT_OUTPUTS and set(DEFAULT_OUTPUTS) <= set(WRITERS.names())
    outputs = next(a for a in _subparser("sync")._actions if a.dest == "outputs")
    assert ", ".join(WRITERS.names()) in outputs.help  # --help lists the registry's writers

    assert list(REFERENCE_ALIGNERS) == [name for name in ALIGNERS.names() if ALIGNERS.get(name).uses_reference]
    from mvsync.features.joint_angles import JOINTS, TRUNK_LEAN
    from mvsync.names import ANGLE_NAMES

    assert ANGLE_NAMES == (*JOINTS, TRUNK_LEAN)  # mvsync angles --joint lists them without importing numpy's work
    code = ("import sys, mvsync.cli as c; c.build_parser(); import mvsync; mvsync.__version__; "
            "print(sorted(m for m in ('torch', 'mediapipe', 'av', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"  # `mvsync --help` stays fast


def _subparser(name):
    from mvsync.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices[name]


def test_package_exports_load_on_first_use():
    code = "import mvsync; from mvsync import TPL, sync; print(TPL.__name__, sync.__module__, 'TPL' in dir(mvsync))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["TPL", "mvsync.sync", "True"]
    code = "import mvsync.sync, mvsync.demo, mvsync; print(type(mvsync.sync).__name__)"  # the submodule is imported first
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "function"  # mvsync.sync stays the function, as with eager imports
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import mvsync

        mvsync.nope


def test_outputs_choose_what_sync_writes_and_render_adds_the_rest_without_aligning(capsys, monkeypatch, tmp_path, retimed):
    paths = list(map(str, retimed[0][:3]))
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "sync", *paths, "-o", str(out), "--features", "appearance", "--outputs", "alignment")
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["alignment.png", "sync.json"]  # json is always written
    data = json.loads((out / "sync.json").read_text())

    from mvsync.align import ALIGNERS

    def no_aligning(*args, **kwargs):
        raise AssertionError("mvsync render aligned again")

    for name in ALIGNERS.names():
        monkeypatch.setattr(ALIGNERS.get(name), "fit", no_aligning)
    again = tmp_path / "again"
    code, stdout, _ = run(capsys, "render", str(out / "sync.json"), "-o", str(again), "--outputs", "grid",
                          "--cell-size", "64")
    assert code == 0
    assert sorted(p.name for p in again.iterdir()) == ["sync.json", "synced.mp4"]
    assert json.loads((again / "sync.json").read_text()) == data
    info = probe(again / "synced.mp4")
    assert info.num_frames == data["timeline"]["length"] and info.width == 2 * 64

    (again / "synced.mp4").write_bytes(b"my video")
    code, _, err = run(capsys, "render", str(out), "-o", str(again), "--outputs", "alignment")  # a folder works too
    assert code == 2
    assert_one_line_error(err, str(again))
    assert "--force" in err and (again / "synced.mp4").read_bytes() == b"my video"
    code, _, _ = run(capsys, "render", str(out), "-o", str(again), "--outputs", "alignment", "--force")
    assert code == 0
    assert sorted(p.name for p in again.iterdir()) == ["alignment.png", "sync.json", "synced.mp4"]

    # an event marked at render time is carried like one marked at sync time, and saved with the copy
    marked = tmp_path / "marked"
    code, stdout, _ = run(capsys, "render", str(out), "-o", str(marked), "--outputs", "json", "--event", "top=1:f10")
    assert code == 0 and "event top: timeline" in stdout
    events = json.loads((marked / "sync.json").read_text())["events"]
    expected = SyncResult.load(out / "sync.json").with_event("top", 1, 10 / data["videos"][1]["fps"]).events
    assert [(e["name"], e["clip"]) for e in events] == [(e.name, e.clip) for e in expected]
    np.testing.assert_allclose(events[0]["clip_times_s"], expected[0].clip_times_s, atol=1e-5)  # sync.json rounds
    code, _, err = run(capsys, "render", str(marked), "-o", str(tmp_path / "twice"), "--event", "top=0:0.1")
    assert code == 2 and not (tmp_path / "twice").exists()
    assert_one_line_error(err, "top")


def test_no_video_drops_grid_and_contradicts_outputs_grid(capsys, tmp_path, retimed):
    paths = list(map(str, retimed[0][:2]))
    code, _, err = run(capsys, "sync", *paths, "-o", str(tmp_path / "o1"), "--outputs", "grid", "--no-video")
    assert code == 2
    assert_one_line_error(err, "--no-video: contradicts --outputs grid")
    assert not (tmp_path / "o1").exists()


def test_render_finds_clips_given_by_relative_paths_from_another_folder(capsys, monkeypatch, tmp_path, retimed):
    """`cd clips; mvsync sync a.mp4 b.mp4 -o out`, later `mvsync render clips/out` from elsewhere: the relative paths
    are kept as given in sync.json and found again from the folder they were given from (its base_dir)."""
    clips = [Path(p) for p in retimed[0][:2]]
    monkeypatch.chdir(clips[0].parent)
    out = tmp_path / "out"
    code, _, _ = run(capsys, "sync", *[c.name for c in clips], "-o", str(out), "--features", "appearance", "--no-video")
    assert code == 0
    data = json.loads((out / "sync.json").read_text())
    assert [v["path"] for v in data["videos"]] == [c.name for c in clips]
    assert data["base_dir"] == str(clips[0].parent)
    monkeypatch.chdir(tmp_path)
    assert [t.path for t in SyncResult.load(out / "sync.json").videos] == [str(c) for c in clips]
    code, _, err = run(capsys, "render", str(out), "-o", str(tmp_path / "again"), "--outputs", "grid",
                       "--cell-size", "64")
    assert code == 0, err
    assert probe(tmp_path / "again" / "synced.mp4").num_frames == data["timeline"]["length"]


def test_render_refuses_a_missing_clip(capsys, tmp_path, retimed):
    paths = list(map(str, retimed[0][:2]))
    out = tmp_path / "out"
    assert run(capsys, "sync", *paths, "-o", str(out), "--features", "appearance", "--no-video")[0] == 0
    data = json.loads((out / "sync.json").read_text())
    gone = tmp_path / "gone.mp4"
    data["videos"][1]["path"] = str(gone)
    (tmp_path / "moved.json").write_text(json.dumps(data))
    again = tmp_path / "again"
    code, _, err = run(capsys, "render", str(tmp_path / "moved.json"), "-o", str(again))
    assert code == 2
    assert_one_line_error(err, f"{gone}: no such file (a clip listed in {tmp_path / 'moved.json'}")
    assert not again.exists()
    code, _, err = run(capsys, "render", str(tmp_path / "nothing.json"), "-o", str(again))
    assert code == 2
    assert_one_line_error(err, "nothing.json: no such file")
    assert not again.exists()


def _corrupt(data: dict, how: str) -> str:
    """The text of a damaged copy of ``data`` (a sync.json's content)."""
    text = json.dumps(data)
    if how == "truncated":
        return text[: len(text) // 2]
    if how == "not json":
        return "sync went fine\n"
    if how == "no timeline":
        data = {k: v for k, v in data.items() if k != "timeline"}
    elif how == "short track":
        data["videos"][1]["source_time"] = data["videos"][1]["source_time"][:-5]
    elif how == "bad number":
        data["videos"][0]["fps"] = "fast"
    elif how == "version 2":
        data["version"] = 2
    return json.dumps(data)


@pytest.mark.parametrize("how, message", [
    ("truncated", "not valid JSON"), ("not json", "not valid JSON"), ("no timeline", "malformed sync.json"),
    ("short track", "malformed sync.json"), ("bad number", "malformed sync.json"),
    ("version 2", "unsupported sync.json version 2"),
])
def test_render_refuses_a_corrupt_sync_json_before_writing_anything(capsys, tmp_path, retimed, how, message):
    from mvsync.result import SyncResult, VideoTrack

    frames = np.arange(40, dtype=float)
    tracks = [VideoTrack(str(path), 25.0, 100, frames / 25, frames) for path in retimed[0][:2]]
    data = SyncResult("dtw", "appearance", 25.0, 40, tracks).to_dict()
    broken = tmp_path / "sync.json"
    broken.write_text(_corrupt(data, how))
    again = tmp_path / "again"
    code, _, err = run(capsys, "render", str(tmp_path), "-o", str(again), "--outputs", "grid,clips")  # the folder
    assert code == 2
    assert_one_line_error(err, f"{broken}: {message}")
    assert not again.exists()


def test_render_refuses_a_clip_replaced_by_something_else(capsys, tmp_path, retimed):
    """A clip listed in sync.json moved away and a file that is no video took its name: one line naming it."""
    from mvsync.result import SyncResult, VideoTrack

    frames = np.arange(40, dtype=float)
    impostor = tmp_path / "b.mp4"
    impostor.write_text("not a video")
    tracks = [VideoTrack(str(path), 25.0, 100, frames / 25, frames) for path in (retimed[0][0], impostor)]
    SyncResult("dtw", "appearance", 25.0, 40, tracks).save(tmp_path / "sync.json")
    again = tmp_path / "again"
    code, _, err = run(capsys, "render", str(tmp_path / "sync.json"), "-o", str(again), "--outputs", "clips")
    assert code == 2
    assert_one_line_error(err, str(impostor))
    assert not again.exists()


def test_features_jobs_and_fps_are_checked_before_any_output(capsys, tmp_path, retimed):
    out = tmp_path / "f"
    code, _, err = run(capsys, "features", str(retimed[0][0]), "-o", str(out), "--jobs", "0")
    assert code == 2 and "--jobs 0: expected a positive number of processes" in err and not out.exists()
    code, _, err = run(capsys, "features", str(retimed[0][0]), "-o", str(out), "--fps", "-1", "--features", "appearance")
    assert code == 2 and "appearance fps: must be a positive number" in err and not out.exists()


@pytest.mark.parametrize("argv, expected", [
    (["sync", "a.mp4", "b.mp4", "-o", "x", "--features", "posture"], "sync: argument --features: invalid choice: 'posture'"),
    (["sync", "a.mp4", "b.mp4"], "sync: the following arguments are required: -o/--output"),
    (["figures", "tsne", "a.mp4", "-o", "x", "--perplexity", "many"], "figures tsne: argument --perplexity: invalid float"),
    (["nope"], "argument COMMAND: invalid choice: 'nope'"),
])
def test_a_bad_command_line_is_one_line_naming_the_option(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and err.startswith(f"mvsync: error: {expected}"), err
    assert err.rstrip().endswith("--help)")


def test_set_passes_aligner_options_checked_by_name_before_any_output(capsys, tmp_path, retimed):
    clips = [str(p) for p in retimed[0][:3]]
    out = tmp_path / "out"
    code, _, err = run(capsys, "sync", *clips, "-o", str(out), "--method", "tpl", "--set", "epoch=5")
    assert code == 2 and "--set: epoch: not an option of the tpl aligner; its options: epochs," in err
    assert not out.exists()
    code, _, err = run(capsys, "sync", *clips, "-o", str(out), "--set", "reference=1")
    assert code == 2 and "--set: reference: set by sync's own reference option (--reference" in err
    code, _, err = run(capsys, "sync", *clips, "-o", str(out), "--set", "epochs")
    assert code == 2 and "--set: expected KEY=VALUE, got 'epochs'" in err and not out.exists()
    for item, message in (("lr=abc", "lr: must be a number >= 0 (got 'abc')"), ("widths=5", "widths: must be a tuple"),
                          ("fit_length=1", "fit_length: must be an int >= 2")):  # values too, by the aligner's rules
        code, _, err = run(capsys, "sync", *clips, "-o", str(out), "--method", "tpl", "--set", item)
        assert code == 2 and f"--set: {message}" in err and not out.exists(), err
    code, _, err = run(capsys, "sync", *clips, "-o", str(out), "--method", "dtw", "--set", "sample_size=0")
    assert code == 2 and "--set: sample_size: expected a positive number of clips, got 0" in err
    code, _, err = run(capsys, "sync", *clips, "-o", str(out), "--set", "penalty=-1")  # the default's option
    assert code == 2 and "--set: penalty: expected a number from 0 to 100, got -1" in err and not out.exists()
    code, _, err = run(capsys, "sync", *clips, "-o", str(out), "--features", "appearance", "--outputs", "json",
                       "--method", "tpl", "--set", "epochs=3", "--set", "refine=0")
    assert code == 0, err
    saved = json.loads((out / "sync.json").read_text())
    assert saved["method"] == "tpl" and saved["extra"]["method_options"] == {"epochs": 3, "refine": 0}

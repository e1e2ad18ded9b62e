"""Issue 10, section 1: every output is a writer in ``WRITERS`` with one signature, and ``render_outputs`` runs the
chosen ones so that a failure changes nothing."""

import fnmatch
from dataclasses import replace
from pathlib import Path

import pytest

from mvsync.errors import ConfigError, OutputExistsError
from mvsync.render import WRITERS, GridOptions, RenderOptions, render_outputs

SMALL = RenderOptions(grid=GridOptions(cell_width=32))


@pytest.fixture(scope="module")
def small_result(tmp_path_factory, retimed):
    """A real result: three retimed copies of bikes.mp4, synced with dtw on appearance features."""
    from mvsync import sync

    return sync(retimed[0][:3], method="dtw", features="appearance", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("name", WRITERS.names())
def test_every_writer_writes_its_files_inside_out_dir_and_never_overwrites(tmp_path, small_result, name):
    write = WRITERS.get(name)
    paths = write(small_result, tmp_path, options=SMALL, overwrite=False, progress=False)
    assert paths, f"{name} wrote nothing"
    for path in paths:
        assert path.is_file() and path.stat().st_size > 0, path
        assert path.resolve().is_relative_to(tmp_path.resolve()), path  # in out_dir, or a folder of its own there
    written = {p.relative_to(tmp_path).parts[0] for p in paths}
    assert all(any(fnmatch.fnmatch(top, pattern) for pattern in write.outputs) for top in written), write.outputs
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written)  # nothing else left behind
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert sorted(files) == sorted(paths)
    sizes = [path.stat().st_size for path in paths]
    with pytest.raises(OutputExistsError, match="already exists"):
        write(small_result, tmp_path, options=SMALL, overwrite=False, progress=False)
    assert [path.stat().st_size for path in paths] == sizes
    assert write(small_result, tmp_path, options=SMALL, overwrite=True, progress=False) == paths


def test_render_outputs_publishes_a_writers_own_folder(tmp_path, small_result):
    paths = render_outputs(small_result, tmp_path, ["clips", "json"], options=SMALL)
    names = [f"clips/{Path(track.path).stem}.mp4" for track in small_result.videos]
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [*names, "sync.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clips", "sync.json"]  # no staging folder left
    with pytest.raises(OutputExistsError, match="already exists"):
        render_outputs(small_result, tmp_path, ["clips"], options=SMALL)
    (tmp_path / "clips" / "an_earlier_clip.mp4").write_bytes(b"from a run with other clips")
    assert render_outputs(small_result, tmp_path, ["clips"], options=SMALL, overwrite=True) == paths[:-1]
    assert sorted(p.name for p in (tmp_path / "clips").iterdir()) == sorted(Path(n).name for n in names)  # replaced whole


def test_render_outputs_writes_the_chosen_ones_once_and_in_order(tmp_path, small_result):
    paths = render_outputs(small_result, tmp_path, ["alignment", "json", "alignment"], options=SMALL)
    assert [p.name for p in paths] == ["alignment.png", "sync.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alignment.png", "sync.json"]  # no staging folder left


def test_unknown_writer_lists_the_valid_ones_before_any_work(tmp_path, small_result):
    with pytest.raises(ConfigError, match=f"writer 'nope': unknown; choose one of {', '.join(WRITERS.names())}"):
        render_outputs(small_result, tmp_path / "out", ["grid", "nope"], options=SMALL)
    assert not (tmp_path / "out").exists()


def test_a_failing_writer_changes_nothing(monkeypatch, tmp_path, small_result):
    def boom(result, out_dir, *, options, overwrite, progress):
        (out_dir / "half.txt").write_text("half written")
        raise ConfigError("boom: failed on purpose")

    monkeypatch.setitem(WRITERS._items, "boom", boom)
    (tmp_path / "sync.json").write_text("my earlier result")
    with pytest.raises(ConfigError, match="on purpose"):
        render_outputs(small_result, tmp_path, ["json", "alignment", "boom"], options=SMALL, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["sync.json"]
    assert (tmp_path / "sync.json").read_text() == "my earlier result"


def test_an_existing_output_without_overwrite_changes_nothing(tmp_path, small_result):
    (tmp_path / "alignment.png").write_bytes(b"my plot")
    with pytest.raises(OutputExistsError, match="alignment.png: already exists"):
        render_outputs(small_result, tmp_path, ["json", "alignment"], options=SMALL)
    assert [p.name for p in tmp_path.iterdir()] == ["alignment.png"]  # sync.json was staged, not published
    assert (tmp_path / "alignment.png").read_bytes() == b"my plot"


def test_a_run_into_another_results_folder_removes_that_results_outputs(tmp_path, small_result):
    """A 2-clip result rendered with --force into a 3-clip run's folder leaves no 3-clip output behind; the user's
    own files stay, and rendering more of the SAME result keeps its other outputs."""
    render_outputs(small_result, tmp_path, ["alignment", "json"], options=SMALL)
    (tmp_path / "notes.txt").write_text("mine")
    render_outputs(small_result, tmp_path, ["json"], options=SMALL, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alignment.png", "notes.txt", "sync.json"]
    two_clips = replace(small_result, videos=small_result.videos[:2])
    render_outputs(two_clips, tmp_path, ["json"], options=SMALL, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "sync.json"]
    assert '"videos"' in (tmp_path / "sync.json").read_text()

"""``mvsync serve``: the player through a loopback-only web server that answers byte ranges (issue 10, section 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

import mvsync
from mvsync.cli import main
from mvsync.errors import ConfigError, InputError
from mvsync.render.player_server import make_server, player_folder


@pytest.fixture
def folder(tmp_path) -> Path:
    """An output folder with a (minimal) player: a page and a media file of known bytes."""
    player = tmp_path / "out" / "player"
    (player / "media").mkdir(parents=True)
    (player / "index.html").write_text("<!DOCTYPE html><title>mvsync player</title>")
    (player / "media" / "00-a.mp4").write_bytes(bytes(range(256)) * 40)
    return tmp_path / "out"


def test_the_server_listens_on_loopback_only_and_answers_byte_ranges(folder):
    server = make_server(player_folder(folder), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/") as answer:
            assert answer.status == 200 and b"mvsync player" in answer.read()
        media = (folder / "player" / "media" / "00-a.mp4").read_bytes()
        request = urllib.request.Request(f"{base}/media/00-a.mp4", headers={"Range": "bytes=1000-1099"})
        with urllib.request.urlopen(request) as answer:  # what a browser asks for when it seeks
            assert answer.status == 206 and answer.headers["Content-Range"] == f"bytes 1000-1099/{len(media)}"
            assert answer.read() == media[1000:1100]
        request = urllib.request.Request(f"{base}/media/00-a.mp4", headers={"Range": "bytes=10000-"})
        with urllib.request.urlopen(request) as answer:
            assert answer.read() == media[10000:]
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_in_use_is_one_line_naming_it(folder):
    server = make_server(player_folder(folder), port=0)
    try:
        port = server.server_address[1]
        with pytest.raises(ConfigError, match=f"port: cannot listen on 127.0.0.1:{port}"):
            make_server(player_folder(folder), port=port)
    finally:
        server.server_close()


def test_serve_refuses_a_missing_folder_or_one_without_a_player_with_one_line(capsys, tmp_path):
    assert main(["serve", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"mvsync: error: {tmp_path / 'nothing'}: no such folder"
    assert main(["serve", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no player here (no player/index.html)" in err
    with pytest.raises(InputError):
        player_folder(tmp_path)


def test_mvsync_serve_starts_and_serves_the_page(folder):
    """The real command in its own process: it prints its address, serves index.html, and stops on a signal."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(mvsync.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", "import sys; from mvsync.cli import main; sys.exit(main())", "serve", str(folder),
               "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        assert line.startswith(f"serving {folder / 'player'} at http://127.0.0.1:"), (line, process.stderr.read())
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(f"{url}index.html", timeout=10) as answer:
            assert answer.read() == (folder / "player" / "index.html").read_bytes()
    finally:
        process.terminate()
        process.wait(timeout=10)

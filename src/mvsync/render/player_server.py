"""A tiny local web server for the HTML player, for browsers that refuse ``<video>`` on file:// pages (issue 10, §2).

It binds the loopback address only (nothing outside this computer can connect) and serves one player folder. It
answers byte-range requests, which browsers need to seek in a video served over HTTP, and takes one write: the
page's marks, ``PUT /marks.json``, checked and saved as ``marks.json`` beside ``sync.json``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..errors import ConfigError, InputError
from .marks import MARKS_FILE, check_mark, save_marks

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")

log = logging.getLogger(__name__)


def player_folder(path: str | Path) -> Path:
    """The player folder of an output folder ``path`` (``path/player``), or ``path`` itself when it is one.

    >>> from mvsync.render.player import render_player
    >>> from mvsync.result import SyncResult
    >>> _ = render_player(SyncResult.load("out/sync.json"), "out/player")
    >>> player_folder("out"), player_folder("out/player")
    (PosixPath('out/player'), PosixPath('out/player'))
    """
    path = Path(path)
    for folder in (path / "player", path):
        if (folder / "index.html").is_file():
            return folder
    if not path.exists():
        raise InputError(f"{path}: no such folder")
    raise InputError(f"{path}: no player here (no player/index.html); write one with mvsync sync, or mvsync render "
                     f"SYNC_JSON -o {path} --outputs player")


def make_server(folder: str | Path, *, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server for ``folder`` on ``127.0.0.1:port`` (0: any free port), not yet serving: call ``serve_forever``.
    It listens on a port, so it is for a script or ``mvsync serve``, not for a test::

        server = make_server(player_folder("out"), port=0)
        server.server_address  # ('127.0.0.1', 41234): the port the system chose
        server.serve_forever()
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"port: expected 0..65535 (0: any free port), got {port!r}")
    handler = partial(_PlayerHandler, directory=str(folder))
    try:
        return _PlayerServer((HOST, port), handler)
    except OSError as err:
        raise ConfigError(f"port: cannot listen on {HOST}:{port} ({err.strerror or err}); choose another") from None


class _PlayerServer(ThreadingHTTPServer):
    daemon_threads = True  # Ctrl-C stops at once, whatever the browser still downloads

    def handle_error(self, request, client_address) -> None:
        log.debug("%s: connection dropped", client_address, exc_info=True)  # a browser cancels requests when seeking


class _PlayerHandler(SimpleHTTPRequestHandler):
    """Static files from one folder, with ``Range: bytes=a-b`` answered as 206 (the standard handler ignores it)."""

    _remaining: int | None = None  # bytes left to send of a range answer; None: the whole file

    def send_head(self):
        self._remaining = None
        wanted = _RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if wanted is None or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = wanted.groups()
        if first == "":  # the last N bytes
            start, end = max(size - int(last or 0), 0), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        handle = open(path, "rb")
        handle.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return handle

    def copyfile(self, source, outputfile) -> None:
        remaining = self._remaining
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0:
            chunk = source.read(min(64 * 1024, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)

    def do_PUT(self) -> None:  # noqa: N802  (the base class's naming)
        """``PUT /marks.json`` from the page: the marks, checked, written beside ``sync.json`` (the player folder's
        parent). Nothing else may be written."""
        folder = Path(self.directory)
        target = folder.parent / MARKS_FILE
        if self.path.split("?")[0] != f"/{MARKS_FILE}":
            self.send_error(HTTPStatus.FORBIDDEN, "only marks.json can be written")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        try:
            n_clips = len(json.loads((folder / "sync-data.js").read_text(encoding="utf-8").split("=", 1)[1]
                                     .rstrip().rstrip(";"))["clips"])
            marks = [check_mark(raw, n_clips, f"mark {i}") for i, raw in enumerate(json.loads(body)["marks"])]
        except (InputError, ValueError, KeyError, TypeError, IndexError, OSError) as err:
            self.send_error(HTTPStatus.BAD_REQUEST, f"not saved: {err}")
            return
        save_marks(marks, target, overwrite=True)
        log.info("%s: %d marks saved", target, len(marks))
        answer = json.dumps({"path": str(target), "marks": len(marks)}).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")  # a re-rendered player is seen at once
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002  (the base class's name)
        log.info("%s %s", self.address_string(), format % args)

"""``mvsync serve OUTDIR``: show the HTML player through a local web server (loopback only), for browsers that do
not play videos on a page opened from a file."""

from __future__ import annotations

import argparse


def add_parser(sub, common) -> None:
    p = sub.add_parser("serve", parents=[common], help="serve OUTDIR/player on http://127.0.0.1 (this computer only)",
                       description="Serve the HTML player written by mvsync sync/render (OUTDIR/player) on the loopback "
                                   "address, for browsers that refuse videos on file:// pages. Ctrl-C stops it.")
    p.add_argument("outdir", metavar="OUTDIR", help="an output folder with a player/ (or the player folder itself)")
    p.add_argument("--port", type=int, help="TCP port (default: 8765; 0: any free port)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..render.player_server import make_server, player_folder

    folder = player_folder(args.outdir)
    server = make_server(folder, **({} if args.port is None else {"port": args.port}))
    host, port = server.server_address[:2]
    print(f"serving {folder} at http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

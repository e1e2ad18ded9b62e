"""Subcommands beyond ``sync`` and ``render`` (in :mod:`mvsync.cli`): one module per command (or command group).

Each module has ``add_parser(sub, common)``: it adds its parser to the ``mvsync`` subparsers ``sub`` (with
``parents=[common]``) and sets ``run=`` to a function ``(args) -> int``. Adding a command is one new module plus its
name in :data:`COMMAND_MODULES`. Like the rest of the CLI, a command parses, calls the library and prints; errors are
:class:`mvsync.errors.MvsyncError` (one line, exit 2). Heavy imports (torch, PyAV) go inside ``run``, so that
``mvsync --help`` stays fast.
"""

from __future__ import annotations

import importlib

# module names in this package, in the order ``mvsync --help`` lists them
COMMAND_MODULES: tuple[str, ...] = (
    "features",
    "train",
    "evaluate",
    "info",
    "demo",
    "serve",
    "transfer_audio",
    "retrieve",
    "propagate_labels",
    "anomaly",
    "angles",
    "figures",
)


def add_commands(sub, common) -> None:
    """Add every command of :data:`COMMAND_MODULES` to the subparsers ``sub``."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub, common)

"""Options shared by the application commands (not a command itself): their input is a sync.json or clips."""

from __future__ import annotations

import argparse

from ..cli_names import ALIGNER_NAMES, AUTO_FEATURES, FEATURE_NAMES
from ..errors import ConfigError


def add_sync_input(p: argparse.ArgumentParser) -> None:
    """The input every application takes: a sync.json, or clips (synchronised first, with these options)."""
    p.add_argument("inputs", nargs="+", metavar="SYNC_JSON|VIDEO",
                   help="a sync.json from mvsync sync (or its folder), or two or more clips to synchronise first")
    p.add_argument("--method", choices=ALIGNER_NAMES, help="clips only: alignment method (default: as mvsync sync)")
    p.add_argument("--features", choices=(AUTO_FEATURES, *FEATURE_NAMES), help="clips only: per-frame features "
                                                                              "(default: as mvsync sync)")
    p.add_argument("--cache-dir", help="feature cache folder (default: ~/.cache/mvsync/features or $MVSYNC_CACHE_DIR)")


def check_input(args: argparse.Namespace):
    """The checked :class:`~mvsync.applications.sync_input.SyncInput` of :func:`add_sync_input`'s options."""
    from ..applications.sync_input import check_sync_input

    return check_sync_input(args.inputs, cache_dir=args.cache_dir, method=args.method, features=args.features)


def split_clip_file(text: str, option: str) -> tuple[str, str]:
    """``CLIP:FILE`` as typed (``--labels 0:a.json``)."""
    clip, sep, path = text.partition(":")
    if not sep or not clip or not path:
        raise ConfigError(f"{option} {text}: expected CLIP:FILE (a clip index or name, then the file), e.g. 0:labels.json")
    return clip, path

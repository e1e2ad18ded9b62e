"""Options and readings shared by several commands: ``--threads``, the dataset options of ``train`` and ``eval``,
``--set KEY=VALUE``, and a library error reworded for the option the user typed."""

from __future__ import annotations

import argparse

from ..cli_names import DATASET_NAMES
from ..errors import ConfigError


def add_threads_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch CPU threads (default: torch's, at most the cores this process may use that the load average says are idle; "
                        "$OMP_NUM_THREADS when set)")


def add_data_options(p: argparse.ArgumentParser, *, default_split: str) -> None:
    p.add_argument("--dataset", choices=DATASET_NAMES, help="dataset layout (default: detected from DATA)")
    p.add_argument("--features", help="feature kind (default: keypoints for Penn Action, what the files hold, or "
                                      "pose); 'frames' trains/evaluates a TCC frame encoder on the RGB frames")
    p.add_argument("--split", default=default_split, help=f"which clips (default: {default_split}; 'all' for every clip)")
    p.add_argument("--action", action="append", metavar="NAME[,NAME...]",
                   help="only these actions: repeat the option or separate names by commas (default: every action)")
    p.add_argument("--max-per-action", type=int, metavar="N", help="at most N clips per action (quick runs)")
    p.add_argument("--phase-labels", metavar="FILE", help="per-frame phase labels (Penn Action; see README)")
    p.add_argument("--cache-dir", help="feature cache folder")


def collection(args: argparse.Namespace, split: str | None, features: str | None = None):
    from ..datasets.collection import load_collection

    return load_collection(args.data, dataset=args.dataset, features=features or args.features,
                           split=None if split == "all" else split, action=args.action,
                           max_per_action=args.max_per_action, phase_labels=args.phase_labels,
                           cache_dir=args.cache_dir, progress=not args.quiet)


def parse_params(items: list[str]) -> dict:
    import ast

    params = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            raise ConfigError(f"--set: expected KEY=VALUE, got {item!r}")
        try:
            params[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[key] = text  # a bare word stays a string
    return params


def as_option(err: ConfigError, option: str) -> ConfigError:
    """The library's error, which names its field (``factor: must be > 1``), reworded for the option the user typed
    (``--slowmo impact:0.5: must be > 1``)."""
    return ConfigError(f"{option}: {str(err).partition(': ')[2]}")

"""How many threads torch's CPU operators use: at most the cores this process may run on and that are idle, or what
the caller says.

torch may size its intra-op pool from the machine's cores, which ``taskset``, a container or a batch scheduler may
not grant: more threads than usable cores make OpenMP threads wait on each other. The same happens with cores that
other jobs keep busy (issue 12 measured a sync slowing about tenfold beside another job on 2 cores; see
``benchmarks/bench_threads.py``), so the default also leaves out the cores the load average says are taken when the
call starts. ``--threads`` overrides it. ``torch_threads`` sets the pool for the duration of a call and restores it
after; an ``OMP_NUM_THREADS`` in the environment (``torchrun`` sets 1 per process) is the user's choice and is kept
when no number is given.

Example
-------
>>> with torch_threads(1) as n:
...     n
1
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from .errors import ConfigError


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), or the machine's count where affinity is unknown."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def check_threads(threads: int | None) -> None:
    """Raise :class:`ConfigError` unless ``threads`` is None or a positive int."""
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ConfigError(f"threads: must be a positive int (got {threads!r})")


def idle_cores(usable: int, machine: int, load: float) -> int:
    """Cores left to this process: its ``usable`` cores, less its share of the ``load`` (runnable processes, the
    1-minute load average) that other jobs put on the ``machine``'s cores; at least 1.

    >>> idle_cores(2, 2, 0.1), idle_cores(2, 2, 1.0), idle_cores(8, 64, 16.0), idle_cores(2, 2, 6.0)
    (2, 1, 6, 1)
    """
    busy_share = min(max(load / max(machine, 1), 0.0), 1.0)
    return max(1, round(usable * (1.0 - busy_share)))


def default_threads() -> int | None:
    """The thread count :func:`torch_threads` uses when none is given: torch's own, capped at the cores this process
    may use and that other jobs leave idle (:func:`idle_cores`; never raised: a caller that chose fewer keeps them),
    or None (leave torch as it is) when ``OMP_NUM_THREADS`` is set."""
    import torch

    if os.environ.get("OMP_NUM_THREADS"):
        return None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return min(torch.get_num_threads(), idle_cores(available_cores(), os.cpu_count() or 1, load))


@contextmanager
def torch_threads(threads: int | None = None) -> Iterator[int]:
    """Run the body with torch's intra-op threads set to ``threads`` (default: :func:`default_threads`); yields the
    count in use and restores the previous one after."""
    import torch

    check_threads(threads)
    wanted = threads if threads is not None else default_threads()
    before = torch.get_num_threads()
    if wanted is not None and wanted != before:
        torch.set_num_threads(wanted)
    try:
        yield torch.get_num_threads()
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)

"""How many threads torch's CPU operators use: at most the cores this process may run on and that are idle, or what
the caller says.

torch may size its intra-op pool from the machine's cores, which ``taskset``, a container or a batch scheduler may
not grant: more threads than usable cores make OpenMP threads wait on each other. The same happens with cores that
other jobs keep busy (issue 12 measured a sync slowing about tenfold beside another job on 2 cores; see
``benchmarks/bench_threads.py``), so the default also leaves out the cores other jobs take when the call starts:
the larger of the 1-minute load average and the cores busy right now (:func:`busy_cores`, 0.1 s of ``/proc/stat``).
The load average alone lags: a job started a few seconds before the call barely shows in it, and
``bench_threads.py`` measured the default sync beside such a job at 8.4 s against 3.5 s with ``--threads 1``.
``--threads`` overrides it. ``torch_threads`` sets the pool for the duration of a call and restores it
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
import time
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


def busy_cores(interval: float = 0.1) -> float | None:
    """Cores the machine's other processes keep busy now: the non-idle share of every CPU over ``interval`` seconds
    of ``/proc/stat`` times the CPU count (this process sleeps meanwhile, so it is not counted); None where
    ``/proc/stat`` cannot be read (not Linux).

    >>> busy = busy_cores(0.05)
    >>> busy is None or 0.0 <= busy <= os.cpu_count()
    True
    """
    try:
        total_before, idle_before = _cpu_times()
        time.sleep(interval)
        total_after, idle_after = _cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    if total_after <= total_before:
        return None
    busy_share = 1.0 - (idle_after - idle_before) / (total_after - total_before)
    return min(max(busy_share, 0.0), 1.0) * (os.cpu_count() or 1)


def _cpu_times() -> tuple[float, float]:
    """All CPUs' time since boot and the part of it idle (idle + iowait), in clock ticks."""
    with open("/proc/stat") as f:
        fields = [float(v) for v in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(fields), fields[3] + fields[4]


def default_threads() -> int | None:
    """The thread count :func:`torch_threads` uses when none is given: torch's own, capped at the cores this process
    may use and that other jobs leave idle (:func:`idle_cores` of the larger of the 1-minute load average and
    :func:`busy_cores`; never raised: a caller that chose fewer keeps them), or None (leave torch as it is) when
    ``OMP_NUM_THREADS`` is set."""
    import torch

    if os.environ.get("OMP_NUM_THREADS"):
        return None
    usable = available_cores()
    cap = min(torch.get_num_threads(), usable)
    if cap <= 1:  # nothing to decide: no need to watch the machine
        return cap
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    busy = busy_cores()
    return min(cap, idle_cores(usable, os.cpu_count() or 1, max(load, busy or 0.0)))


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

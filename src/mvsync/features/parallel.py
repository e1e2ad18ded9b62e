"""Extract many clips at once: in this process, in a local process pool, or as Ray tasks (issue 12, section 2).

Every backend runs the same function on one clip and hands back its features as soon as that clip is done, so the
caller can put them in the cache at once: the cache is the checkpoint, and a killed run resumes from it. Workers
never write anything themselves, so a Ray cluster needs no shared cache folder, only the videos at the same paths.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import logging
import multiprocessing
import os
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import ConfigError, InputError
from ..threads import available_cores
from ..types import Features
from .base import FEATURES, FeatureExtractor, create_extractor

log = logging.getLogger(__name__)

Outcome = Features | InputError  # a clip's features, or the one-line reason it has none


@dataclass(frozen=True)
class Execution:
    """Where extraction runs. The default is this process, one clip after the other.

    >>> Execution(jobs=4)  # a local pool of 4 processes
    Execution(jobs=4, ray=False)
    >>> Execution(ray="ray://head:10001")  # tasks on a Ray cluster; ray=True starts a local instance
    Execution(jobs=1, ray='ray://head:10001')
    """

    jobs: int = 1  # local worker processes (1: this process); with ray: CPUs of a local instance
    ray: bool | str = False  # True: Ray tasks on a local instance; an address: on that cluster

    def __post_init__(self) -> None:
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1:
            raise ConfigError(f"jobs: expected a positive number of processes, got {self.jobs!r}")


POOL_MIN_CLIPS = 8  # fewer clips than this: one process (a worker starts in 1-3 s before any work)


def default_jobs(n_clips: int, kind: str | None = None, *, frames: Callable[[], int] | None = None) -> int:
    """Worker processes when none are asked for: the cores available from the extractor's ``pool_min_clips`` clips
    (:data:`POOL_MIN_CLIPS` when no kind is given) holding ``pool_min_frames`` frames in all (``frames()`` counts
    them, asked only then), else 1. Pose is worth a pool from 2 clips of 600 frames in all: its model is most of a
    sync, and a worker starts in about 2-3 s (measured on 2 cores, 5 retimed copies: carphone, 667 frames, 23.1 s in
    this process, 17.7 s in 2 workers; bikes, 1326 frames, 53.8 s and 33.9 s). When every worker imported torch
    (5-10 s), 2 short clips took 36 s in a 2-process pool and 14 s in this process."""
    extractor = FEATURES.get(kind) if kind in FEATURES.names() else None
    least = extractor.pool_min_clips if extractor is not None else POOL_MIN_CLIPS
    if n_clips < least or available_cores() < 2:
        return 1
    least_frames = extractor.pool_min_frames if extractor is not None else 0
    if least_frames and frames is not None and frames() < least_frames:
        return 1
    return available_cores()


def extract_clips(
    extractor: FeatureExtractor, paths: list[Path], execution: Execution, *, progress: bool = False
) -> Iterator[tuple[int, Outcome]]:
    """``(index into paths, outcome)`` for every clip, in the order they finish."""
    if execution.ray:
        yield from _on_ray(extractor, paths, execution)
    elif execution.jobs > 1 and len(paths) > 1:
        yield from _in_pool(extractor, paths, min(execution.jobs, len(paths)))
    else:
        for i, path in enumerate(paths):  # in this process: the loaded model is reused, frames show progress
            yield i, _outcome(extractor, path, progress)


def extract_one(kind: str, config_json: str, path: str) -> Outcome:
    """What a worker runs: one clip's features, with the extractor built once per worker process."""
    return _outcome(_worker_extractor(kind, config_json), Path(path), False)


def _outcome(extractor: FeatureExtractor, path: Path, progress: bool) -> Outcome:
    try:
        return extractor.extract(path, progress=progress)
    except InputError as err:  # returned, not raised: a bad clip does not stop the others, on any backend
        return err


@functools.lru_cache(maxsize=1)
def _worker_extractor(kind: str, config_json: str) -> FeatureExtractor:
    return create_extractor(kind, **json.loads(config_json))


def _in_pool(extractor: FeatureExtractor, paths: list[Path], workers: int) -> Iterator[tuple[int, Outcome]]:
    threads = max(1, available_cores() // workers)  # torch in every worker would otherwise take every core
    # spawn, not fork: the parent may hold torch, mediapipe or FFmpeg threads, which a fork copies half-way
    pool = concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_limit_threads, initargs=(threads,)
    )
    try:
        config = json.dumps(extractor.config_dict())
        own = type(extractor).__module__.startswith("mvsync.")  # else registered by the caller's own code
        with _workers_without_main() if own else contextlib.nullcontext():  # the workers start on submit
            futures = {pool.submit(extract_one, extractor.name, config, str(p)): i for i, p in enumerate(paths)}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_MAIN_SWAP = threading.Lock()  # one swap of __main__ at a time (_workers_without_main)


@contextlib.contextmanager
def _workers_without_main() -> Iterator[None]:
    """Start spawned workers without running the caller's main script in each of them.

    A spawned process imports the parent's ``__main__`` again (as ``__mp_main__``) before it runs anything. A
    script that calls ``mvsync.sync`` at its top level, with no ``if __name__ == "__main__":`` (the way a researcher's
    first script is written), then started a pool from every worker, and the run died with a ``BrokenProcessPool``
    after three tracebacks; and a script that imports torch made every worker import it too (appearance features of
    carphone and bikes in a pool of 2, from a guarded script that imports torch: 6.0-7.1 s, now 1.8-2.0 s). The
    workers run only mvsync's own functions, so while they start, ``__main__`` is an empty module: they import
    nothing of the caller's script. (An extractor registered by the caller's own code still needs it: its pool
    starts as Python's always did, and such a script needs the guard.) One swap at a time: two threads starting
    pools at once would otherwise leave the empty module in place.
    """
    with _MAIN_SWAP:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
            else:
                del sys.modules["__main__"]


def _limit_threads(threads: int) -> None:
    """Each worker's share of the cores for torch: set now if it is loaded, else through the OpenMP variables it
    reads when a backbone extractor imports it (a worker that extracts pose or appearance never does: 2-3 s saved)."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def _on_ray(extractor: FeatureExtractor, paths: list[Path], execution: Execution) -> Iterator[tuple[int, Outcome]]:
    ray = _import_ray()
    started = _connect(ray, execution)
    try:
        task = ray.remote(num_cpus=1)(extract_one)
        config = json.dumps(extractor.config_dict())
        pending = {task.remote(extractor.name, config, str(p)): i for i, p in enumerate(paths)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(done[0])
            try:
                yield index, ray.get(done[0])
            except ray.exceptions.RayTaskError as err:  # e.g. a ConfigError inside the task: raise it as it was
                raise err.cause from None
    finally:
        if started:
            ray.shutdown()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as err:
        raise ConfigError(f"ray: not installed ({err}); pip install \"mvsync[ray]\"") from None
    return ray


def _connect(ray: Any, execution: Execution) -> bool:
    """Join the cluster at the address, or start a local instance; True when this call started Ray."""
    if ray.is_initialized():
        return False
    address = execution.ray if isinstance(execution.ray, str) else None
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            cpus = execution.jobs if execution.jobs > 1 else available_cores()
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise ConfigError(f"ray {address or 'local'}: cannot start or connect ({str(err).splitlines()[0]})") from None
    return True

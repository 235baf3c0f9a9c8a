"""Run a sweep's jobs on a process pool or on Dask, storing rows as they finish.

Both backends have one method, ``map_unordered(jobs) -> iterator of rows``,
yielding each job's row as soon as it completes.  Workers only compute
(:func:`~bprr_opt.experiments.jobs.run_job`); the driver (:func:`run_sweep`)
alone writes the store, one transaction per row.  Scheduling is left to
:mod:`concurrent.futures` and to Dask distributed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from .jobs import InstanceItem, Job, failure_row, run_job
from .store import ResultStore

__all__ = ["Backend", "DaskBackend", "InProcessBackend",
           "ProcessPoolBackend", "SweepCallbacks", "SweepSummary",
           "make_backend", "run_sweep"]

WORKER_DIED = ("WorkerDied: the worker process terminated abruptly "
               "(killed, out of memory or crashed)")


class Backend(Protocol):
    """Where jobs run.  Used as a context manager around ``map_unordered``."""

    name: str

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc: object) -> None: ...

    def map_unordered(self, jobs: Sequence[Job]) -> Iterator[dict[str, Any]]:
        """Yield one row per job, in completion order."""
        ...


def _error_text(exc: BaseException) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {msg}".rstrip(": ")


class InProcessBackend:
    """Run the jobs one after another in this process, in the given order.

    For small grids and notebooks: no worker start-up, the same rows as
    the pool backends.
    """

    name = "in-process"

    def __init__(self, function: Callable[[Job], dict[str, Any]] = run_job
                 ) -> None:
        self.function = function

    def __enter__(self) -> InProcessBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_unordered(self, jobs: Sequence[Job]) -> Iterator[dict[str, Any]]:
        """Yield one row per job, as the jobs finish."""
        for job in jobs:
            yield self.function(job)


class ProcessPoolBackend:
    """Local processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    Workers are started with ``spawn`` (no fork of a driver that may hold
    threads or an open database).  If a worker dies (killed, out of
    memory), the pool breaks; the jobs it had not finished are then run
    again one per fresh single-worker pool, so the job that kills its
    worker is identified and recorded as failed and the others complete.

    Parameters
    ----------
    workers
        Number of worker processes.  Default ``os.cpu_count()``.
    function
        The worker function ``(job) -> row``, a module-level callable.
        Default :func:`~bprr_opt.experiments.jobs.run_job`.
    """

    name = "processes"

    def __init__(self, workers: int | None = None,
                 function: Callable[[Job], dict[str, Any]] = run_job) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.function = function
        self._ctx = multiprocessing.get_context("spawn")

    def __enter__(self) -> ProcessPoolBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_unordered(self, jobs: Sequence[Job]) -> Iterator[dict[str, Any]]:
        """Yield one row per job, as the jobs finish."""
        if not jobs:
            return
        broken: list[Job] = []
        ex = ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)),
                                 mp_context=self._ctx)
        try:
            futures = {ex.submit(self.function, job): job for job in jobs}
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    row = fut.result()
                except BrokenProcessPool:
                    broken.append(job)
                    continue
                except Exception as exc:  # e.g. unpicklable result
                    row = failure_row(job, _error_text(exc))
                yield row
        finally:
            ex.shutdown(wait=not broken, cancel_futures=True)
        if broken:
            yield from self._isolated(broken)

    def _isolated(self, jobs: Sequence[Job]) -> Iterator[dict[str, Any]]:
        pending = list(reversed(jobs))
        running: dict[Future[dict[str, Any]],
                      tuple[Job, ProcessPoolExecutor]] = {}

        def start() -> None:
            job = pending.pop()
            ex = ProcessPoolExecutor(max_workers=1, mp_context=self._ctx)
            running[ex.submit(self.function, job)] = (job, ex)

        try:
            while pending and len(running) < self.workers:
                start()
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job, ex = running.pop(fut)
                    try:
                        row = fut.result()
                    except BrokenProcessPool:
                        row = failure_row(job, WORKER_DIED)
                    except Exception as exc:
                        row = failure_row(job, _error_text(exc))
                    ex.shutdown(wait=False)
                    yield row
                    if pending:
                        start()
        finally:
            for _, ex in running.values():
                ex.shutdown(wait=False, cancel_futures=True)


class DaskBackend:
    """Dask distributed: a local cluster or an existing scheduler.

    Parameters
    ----------
    address
        ``"local"`` starts a :class:`distributed.LocalCluster` (worker
        processes, one thread each) for the duration of the run; anything
        else is a scheduler address (``tcp://host:8786``) of a running
        cluster whose workers have ``bprr-opt`` installed.
    workers
        Worker processes of the local cluster.  Default ``os.cpu_count()``.

    Notes
    -----
    Jobs are submitted with ``Client.map`` under their idempotency keys and
    collected with ``distributed.as_completed``, so each row is stored as
    soon as its job finishes.  A job whose worker dies repeatedly is
    recorded with Dask's ``KilledWorker`` error.
    """

    name = "dask"

    def __init__(self, address: str = "local",
                 workers: int | None = None) -> None:
        self.address = address
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._cluster: Any = None
        self._client: Any = None
        self._depth = 0

    def __enter__(self) -> DaskBackend:
        # re-entrant: a caller may connect first (to fail before writing
        # anything), then run_sweep enters again without reconnecting
        self._depth += 1
        if self._client is not None:
            return self
        from distributed import Client, LocalCluster

        if self.address == "local":
            self._cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.address, timeout="20s")
            except (OSError, ValueError, TypeError) as exc:
                self._depth -= 1
                raise ValueError(f"dask: cannot connect to scheduler "
                                 f"{self.address!r} ({exc})") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def map_unordered(self, jobs: Sequence[Job]) -> Iterator[dict[str, Any]]:
        """Yield one row per job, as the jobs finish."""
        from distributed import as_completed as dask_as_completed

        if self._client is None:
            raise RuntimeError("DaskBackend must be used as a context manager")
        keys = [f"bprr-job-{job.key}" for job in jobs]
        owner = dict(zip(keys, jobs))
        futures = self._client.map(run_job, list(jobs), key=keys)
        try:
            for fut in dask_as_completed(futures):
                job = owner[fut.key]
                try:
                    row = fut.result()
                except Exception as exc:  # KilledWorker, lost scheduler...
                    row = failure_row(job, _error_text(exc))
                fut.release()
                yield row
        finally:
            self._client.cancel(futures)


def make_backend(dask: str | None = None,
                 workers: int | None = None) -> Backend:
    """The process pool, or Dask when ``dask`` is ``"local"`` or an address."""
    if dask:
        return DaskBackend(dask, workers)
    return ProcessPoolBackend(workers)


# -- the driver -------------------------------------------------------------------

@dataclass(frozen=True)
class SweepSummary:
    """Counts of one call of :func:`run_sweep`.

    ``done`` jobs ran and stored a result (whatever its status), ``failed``
    ones raised (row with ``status = "error"``), ``skipped`` ones were
    already in the store.
    """

    total: int
    skipped: int
    done: int
    failed: int
    elapsed_s: float
    backend: str
    interrupted: bool = False

    def line(self) -> str:
        """The summary as one line of text."""
        text = (f"{self.total} jobs: {self.done} done, {self.failed} failed, "
                f"{self.skipped} skipped (already stored) in "
                f"{self.elapsed_s:.1f} s on {self.backend}")
        if self.interrupted:
            text += f"; interrupted, {self.remaining} not run"
        return text

    @property
    def remaining(self) -> int:
        """Jobs neither skipped, done nor failed (an interrupted sweep)."""
        return self.total - self.skipped - self.done - self.failed


class SweepCallbacks:
    """Observer of a sweep (no-op methods, override what you need)."""

    def on_start(self, total: int, skipped: int) -> None:
        """Called once: all jobs, and those already in the store."""

    def on_row(self, row: dict[str, Any], stored: bool) -> None:
        """Called after each finished job's row went to the store."""

    def on_end(self, summary: SweepSummary) -> None:
        """Called once at the end (also after an interruption)."""


def run_sweep(jobs: Iterable[Job], store: ResultStore, backend: Backend, *,
              instances: Iterable[InstanceItem] = (),
              callbacks: SweepCallbacks | None = None,
              retry_failed: bool = False) -> SweepSummary:
    """Run the jobs not yet in ``store`` on ``backend``; store each row.

    Parameters
    ----------
    jobs
        From :func:`~bprr_opt.experiments.jobs.expand_jobs`.
    store
        Open store; each finished job is committed in its own transaction.
    backend
        :class:`ProcessPoolBackend` or :class:`DaskBackend`.
    instances
        Instance documents to record in the store's ``instances`` table.
    callbacks
        Progress observer.  Default none.
    retry_failed
        Delete the stored ``error`` rows of these jobs first, so they run
        again.  Default ``False`` (every stored row counts as finished).

    Returns
    -------
    summary : SweepSummary

    Notes
    -----
    Idempotent: a job whose key is stored is skipped, and a row is inserted
    with ``ON CONFLICT(key) DO NOTHING``.  After a crash (even SIGKILL of
    the driver and its workers), running the same sweep again runs exactly
    the jobs with no stored row.  Ctrl-C stops the sweep cleanly; the rows
    stored so far stay.
    """
    cb = callbacks or SweepCallbacks()
    jobs = list(jobs)
    if retry_failed:
        store.delete_failed(j.key for j in jobs)
    have = store.keys()
    todo = [j for j in jobs if j.key not in have]
    skipped = len(jobs) - len(todo)
    store.add_instances(instances)
    cb.on_start(len(jobs), skipped)
    done = failed = 0
    interrupted = False
    t0 = time.perf_counter()
    try:
        if todo:
            with backend:
                for row in backend.map_unordered(todo):
                    stored = store.add_row(row)
                    if not stored:  # another driver stored it meanwhile
                        skipped += 1
                    elif row["status"] == "error":
                        failed += 1
                    else:
                        done += 1
                    cb.on_row(row, stored)
    except KeyboardInterrupt:
        interrupted = True
    summary = SweepSummary(total=len(jobs), skipped=skipped, done=done,
                           failed=failed,
                           elapsed_s=time.perf_counter() - t0,
                           backend=backend.name, interrupted=interrupted)
    cb.on_end(summary)
    return summary

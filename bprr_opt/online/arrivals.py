"""Request arrivals: seeded Poisson streams and trace replay.

An :class:`Arrivals` holds the arrival time (ms) and the client of every
request, in arrival order.  The same object is fed to every method of a
Monte-Carlo replicate (spec §3.2).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import BprrError

__all__ = ["Arrivals", "poisson_arrivals", "trace_arrivals"]


@dataclass(frozen=True)
class Arrivals:
    """Arrival times (ms, non-decreasing, first one 0 for Poisson) and the
    client (0-based) of each request."""

    times: np.ndarray
    clients: np.ndarray

    def __post_init__(self) -> None:
        t = np.ascontiguousarray(self.times, dtype=np.float64)
        c = np.ascontiguousarray(self.clients, dtype=np.int64)
        if t.ndim != 1 or c.shape != t.shape:
            raise ValueError("arrivals: times and clients must be 1-D arrays "
                             f"of equal length, got {t.shape} and {c.shape}")
        if t.size and (not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0)):
            raise ValueError("arrivals: times must be finite and "
                             "non-decreasing")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "clients", c)

    def __len__(self) -> int:
        return int(self.times.size)


def poisson_arrivals(n: int, rate_per_ms: float, *, seed: int | None = 0,
                     rng: np.random.Generator | None = None,
                     n_clients: int = 1,
                     weights: np.ndarray | None = None) -> Arrivals:
    """Draw ``n`` Poisson arrivals with rate ``rate_per_ms`` (spec §3.1).

    Parameters
    ----------
    n
        Number of requests (>= 0).
    rate_per_ms
        ``lambda`` in requests per **millisecond** (0.5 req/s = 5e-4).
    seed, rng
        Seed of a fresh ``numpy.random.default_rng``, or a generator to draw
        from.
    n_clients, weights
        With several clients each request's client is drawn independently
        (after the times) with probabilities ``weights`` (default uniform).
        With one client nothing more is drawn.

    Returns
    -------
    Arrivals
        ``n`` i.i.d. exponential gaps of mean ``1 / rate``, the first one set
        to 0 (request 1 arrives at ``t = 0``), accumulated.
    """
    if n < 0:
        raise ValueError(f"requests: must be >= 0, got {n}")
    if not rate_per_ms > 0:
        raise ValueError(f"rate: must be > 0, got {rate_per_ms!r}")
    if rng is None:
        rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / rate_per_ms, size=n)
    if n:
        gaps[0] = 0.0
    times = np.cumsum(gaps)
    if n_clients <= 1:
        clients = np.zeros(n, np.int64)
    else:
        p = None if weights is None else np.asarray(weights, float) / np.sum(
            weights)
        clients = rng.choice(n_clients, size=n, p=p).astype(np.int64)
    return Arrivals(times, clients)


def trace_arrivals(path: str | Path, n: int | None = None, *,
                   start: int = 0, time_scale: float = 1.0,
                   timestamp_column: str = "TIMESTAMP") -> Arrivals:
    """Replay the arrival times of a request trace (e.g. Azure LLM inference).

    Only the timestamp column is used: request ``r`` arrives at
    ``(ts_r - ts_start) * time_scale`` ms.  Token counts in the trace
    (``ContextTokens``, ``GeneratedTokens``) are **not** used: the model gives
    every request the scenario's ``l_in`` and ``l_max`` (spec §3.4).

    Parameters
    ----------
    path
        CSV file with a header row.  Timestamps are ``YYYY-MM-DD
        HH:MM:SS[.fraction]`` (the Azure trace; fractions beyond microseconds
        are truncated) or plain numbers in seconds.
    n
        Number of requests to take (default: all after ``start``).
    start
        Index of the first row to replay.  Default 0.
    time_scale
        Multiplies the gaps (``> 1`` slows the trace down).  Default 1.
    timestamp_column
        Name of the timestamp column.  Default ``"TIMESTAMP"``.

    Raises
    ------
    BprrError
        Missing file or column, unreadable timestamp, unsorted trace.
    """
    if not time_scale > 0:
        raise ValueError(f"time_scale: must be > 0, got {time_scale!r}")
    if start < 0:
        raise ValueError(f"start: must be >= 0, got {start}")
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError:
        raise BprrError(f"{path}: no such trace file") from None
    with fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or timestamp_column not in \
                reader.fieldnames:
            raise BprrError(f"{path}: no column {timestamp_column!r} (columns: "
                            f"{reader.fieldnames})")
        secs: list[tuple[float, float]] = []
        for i, row in enumerate(reader):
            if i < start:
                continue
            if n is not None and len(secs) >= n:
                break
            secs.append(_seconds(row[timestamp_column], path, i + 2))
    if n is not None and len(secs) < n:
        raise BprrError(f"{path}: only {len(secs)} requests after row "
                        f"{start}, asked for {n}")
    # whole seconds and fractions apart: epoch seconds would lose the
    # microseconds in one float
    whole = np.array([w for w, _ in secs], np.float64)
    frac = np.array([f for _, f in secs], np.float64)
    if whole.size:
        t = (whole - whole[0]) + (frac - frac[0])
    else:
        t = whole
    if t.size and np.any(np.diff(t) < 0):
        raise BprrError(f"{path}: timestamps are not sorted")
    times = t * 1000.0 * time_scale
    return Arrivals(times, np.zeros(t.size, np.int64))


def _seconds(text: str, path: str | Path,
             line: int) -> tuple[float, float]:
    text = text.strip()
    try:
        return float(text), 0.0
    except ValueError:
        pass
    try:
        day, _, frac = text.partition(".")
        base = datetime.strptime(day, "%Y-%m-%d %H:%M:%S")
        whole = (base - datetime(1970, 1, 1)).total_seconds()
        return whole, (float("0." + frac) if frac else 0.0)
    except ValueError:
        raise BprrError(f"{path}: line {line}: unreadable timestamp "
                        f"{text!r}") from None

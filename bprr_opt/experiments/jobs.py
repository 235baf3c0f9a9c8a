"""Job expansion, idempotency keys, and the worker function.

A :class:`Job` is everything one run needs, instance bytes included, so a
worker on another machine needs nothing but the package.  Its ``key`` is
the SHA-256 of::

    [kind, instance_hash, method, solver, params_json, seed, repetition,
     package_version]

where ``instance_hash`` is the SHA-256 of the instance JSON bytes (as
generated, or as read from the file) and ``params_json`` is the canonical
JSON (sorted keys, no spaces) of the remaining options.  Same inputs, same
key: that is what makes a sweep resumable and duplicate-free.

:func:`run_job` is a pure function of its job (runtime and host apart): it
never raises and never writes; it returns one row for the store.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import socket
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._version import __version__
from ..errors import BprrError
from ..instance import instance_from_dict, instance_to_json
from .kinds import get_kind
from .spec import InstanceSpec, SpecError, SweepSpec, generator_function

__all__ = ["InstanceItem", "Job", "canonical_json", "expand_instances",
           "expand_jobs", "job_key", "make_job", "run_job"]


@dataclass(frozen=True)
class InstanceItem:
    """One concrete instance of a sweep.

    Attributes
    ----------
    hash
        SHA-256 of ``text`` encoded as UTF-8.
    name
        The instance's ``name`` field.
    source
        Canonical JSON saying where it came from (generator, params and
        seed; or file path).
    text
        The ``bprr-instance/1`` JSON document.
    """

    hash: str
    name: str
    source: str
    text: str = field(repr=False)


@dataclass(frozen=True)
class Job:
    """One (instance, method, options, repetition) run of a sweep."""

    key: str
    sweep: str
    kind: str
    instance_hash: str
    instance_name: str
    method: str
    solver: str
    params: str
    seed: int | None
    rep: int
    version: str
    options: tuple[tuple[str, Any], ...]
    instance_text: str = field(repr=False)


def canonical_json(obj: Any) -> str:
    """Sorted-key, compact JSON: the same value always gives the same text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)


def sha256(text: str | bytes) -> str:
    """SHA-256 (hex) of ``text`` (UTF-8) or of bytes."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def job_key(kind: str, instance_hash: str, method: str, solver: str,
            params: str, seed: int | None, rep: int, version: str) -> str:
    """The idempotency key of a job (see the module docstring)."""
    return sha256(canonical_json(
        [kind, instance_hash, method, solver, params, seed, rep, version]))


# -- expansion -----------------------------------------------------------------

def expand_instances(spec: SweepSpec) -> list[InstanceItem]:
    """Generate or read every instance of ``spec`` (duplicates merged).

    Raises
    ------
    SpecError
        If a generator rejects its parameters or a file is not a valid
        instance (one line naming the spec key).
    """
    items: dict[str, InstanceItem] = {}
    for ispec in spec.instances:
        new = (_file_items(ispec) if ispec.files else _generated_items(ispec))
        for item in new:
            items.setdefault(item.hash, item)
    return list(items.values())


def _file_items(ispec: InstanceSpec) -> list[InstanceItem]:
    out = []
    for path in ispec.files:
        key = f"{ispec.path}.{'file' if len(ispec.files) == 1 else 'glob'}"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SpecError(f"{key}: cannot read {str(path)!r} "
                            f"({exc.strerror})") from None
        try:
            text = data.decode("utf-8")
            inst = instance_from_dict(json.loads(text))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SpecError(f"{key}: {str(path)!r} is not a JSON instance "
                            f"({exc})") from None
        except BprrError as exc:
            raise SpecError(f"{key}: {str(path)!r}: {exc}") from None
        out.append(InstanceItem(sha256(data), inst.name,
                                canonical_json({"file": str(path)}), text))
    return out


def _generated_items(ispec: InstanceSpec) -> list[InstanceItem]:
    gen = generator_function(ispec.generator)
    names = [k for k, _ in ispec.params]
    out = []
    for combo in itertools.product(*(v for _, v in ispec.params)):
        kwargs = {k: _literal(v) for k, v in zip(names, combo)}
        for seed in (ispec.seeds if ispec.seeds is not None else (None,)):
            if seed is not None:
                kwargs["seed"] = seed
            try:
                inst = gen(**kwargs)
            except (BprrError, ValueError, TypeError) as exc:
                raise SpecError(_generator_error(ispec, kwargs, exc)) from None
            text = instance_to_json(inst)
            source = {"generator": ispec.generator,
                      "params": {k: _jsonable(kwargs[k]) for k in names},
                      "seed": seed}
            out.append(InstanceItem(sha256(text), inst.name,
                                    canonical_json(source), text))
    return out


def _literal(v: Any) -> Any:
    # YAML/JSON lists become tuples: generators take ranges as tuples.
    return tuple(_literal(x) for x in v) if isinstance(v, list) else v


def _jsonable(v: Any) -> Any:
    return [_jsonable(x) for x in v] if isinstance(v, tuple) else v


def _generator_error(ispec: InstanceSpec, kwargs: Mapping[str, Any],
                     exc: Exception) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    head, sep, rest = msg.partition(": ")
    if sep and head in kwargs and head != "seed":
        return f"{ispec.path}.params.{head}: {rest}"
    shown = {k: _jsonable(v) for k, v in kwargs.items()}
    return (f"{ispec.path}: generator {ispec.generator!r} rejected "
            f"{canonical_json(shown)}: {msg}")


def make_job(kind: str, sweep: str, item: InstanceItem, method: str,
             options: Mapping[str, Any], rep: int = 0) -> Job:
    """The job running ``method`` of ``kind`` on ``item`` with ``options``.

    ``options["solver"]`` and ``options["seed"]`` (when present) get their
    own key fields; the other options form ``params``.
    """
    solver = options.get("solver") or ""
    seed = options.get("seed")
    rest = {k: v for k, v in options.items() if k not in ("solver", "seed")}
    params = canonical_json(rest)
    key = job_key(kind, item.hash, method, solver, params, seed, rep,
                  __version__)
    return Job(key=key, sweep=sweep, kind=kind, instance_hash=item.hash,
               instance_name=item.name, method=method, solver=solver,
               params=params, seed=seed, rep=rep, version=__version__,
               options=tuple(sorted(options.items())),
               instance_text=item.text)


def instance_item(text: str, name: str, source: Mapping[str, Any]
                  ) -> InstanceItem:
    """An :class:`InstanceItem` of an instance document ``text``."""
    return InstanceItem(sha256(text), name, canonical_json(source), text)


def expand_jobs(spec: SweepSpec,
                instances: list[InstanceItem] | None = None) -> list[Job]:
    """Expand ``spec`` into its jobs, in a fixed order, duplicates merged.

    Order: instance, then grid, method, option combination, repetition.

    Raises
    ------
    SpecError
        As :func:`expand_instances`.
    """
    items = expand_instances(spec) if instances is None else instances
    jobs: dict[str, Job] = {}
    for item in items:
        for grid in spec.grids:
            names = [k for k, _ in grid.axes]
            for method in grid.methods:
                for combo in itertools.product(*(v for _, v in grid.axes)):
                    opts = dict(zip(names, combo))
                    for rep in range(spec.repetitions):
                        job = make_job(spec.kind, spec.name, item, method,
                                       opts, rep)
                        jobs.setdefault(job.key, job)
    return list(jobs.values())


# -- running -------------------------------------------------------------------

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _number(x: Any) -> float | None:
    # NaN -> NULL; +-inf is kept (SQLite REAL stores it)
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _clean(v: Any) -> Any:
    """JSON-safe copy: non-finite floats -> None, numpy -> Python."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Mapping):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "tolist"):
        return _clean(v.tolist())
    if v is None or isinstance(v, (str, int, bool)):
        return v
    return str(v)


def job_identity(job: Job) -> dict[str, Any]:
    """The input columns of a job's row."""
    return {"key": job.key, "sweep": job.sweep, "kind": job.kind,
            "instance_hash": job.instance_hash,
            "instance_name": job.instance_name, "method": job.method,
            "solver": job.solver, "params": job.params, "seed": job.seed,
            "rep": job.rep, "version": job.version}


def failure_row(job: Job, error: str, trace: str = "",
                runtime_s: float | None = None,
                started_at: str | None = None) -> dict[str, Any]:
    """The row of a job that raised (or whose worker died)."""
    row = job_identity(job)
    row.update(status="error", value=None, bound=None, gap=None,
               runtime_s=runtime_s, feasible=None, message="", stats=None,
               error=error, traceback=trace or None, result=None,
               worker=None, started_at=started_at, finished_at=_now())
    return row


def run_job(job: Job) -> dict[str, Any]:
    """Run one job and return its store row; never raises.

    An exception inside the method (including
    :class:`~bprr_opt.errors.EvaluatorMismatchError`) becomes a row with
    ``status = "error"`` and the error text, so one bad job never stops a
    sweep.
    """
    started = _now()
    t0 = time.perf_counter()
    try:
        kind = get_kind(job.kind)
        inst = instance_from_dict(json.loads(job.instance_text))
        out = kind.run(inst, job.method, dict(job.options))
    except Exception as exc:  # recorded, never raised: see docstring
        msg = str(exc).splitlines()[0] if str(exc) else ""
        return failure_row(job, f"{type(exc).__name__}: {msg}".rstrip(": "),
                           traceback.format_exc(),
                           time.perf_counter() - t0, started)
    row = job_identity(job)
    row.update(
        status=out.status, value=_number(out.value),
        bound=_number(out.bound), gap=_number(out.gap),
        runtime_s=(out.runtime_s if out.runtime_s is not None
                   else time.perf_counter() - t0),
        feasible=out.feasible, message=out.message or "",
        stats=canonical_json(_clean(dict(out.stats))) if out.stats else None,
        error=None, traceback=None,
        result=canonical_json(_clean(dict(out.result)))
        if out.result is not None else None,
        worker=f"{socket.gethostname()}:{os.getpid()}", started_at=started,
        finished_at=_now())
    return row

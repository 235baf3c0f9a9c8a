"""Job kinds: what one job of a sweep does with its instance.

A kind is a :class:`JobKind`: a pure function ``run(instance, method,
options) -> Outcome`` plus the grid axes it accepts.  The registry
:data:`KINDS` maps a kind name to its :class:`JobKind` (workers find a job's
kind there by the name the job carries).  Three exist:

``solve``
    one offline method (:func:`bprr_opt.solve.solve`) on the instance;
``simulate``
    one online policy on the instance's scenario, arrivals and join order
    drawn from the job's seed (:func:`bprr_opt.online.policies.draw_run`);
``replicate``
    one Monte-Carlo replicate of a grid point of the paper's tables, every
    policy under every setting (:func:`bprr_opt.experiments.replicates.
    run_point`); made by :func:`bprr_opt.experiments.grid_runs.run_grid`,
    not by specs.

Adding a kind takes one function and one :class:`JobKind` record in
:data:`KINDS`.  ``run`` must be a module-level function (workers import
it) and must not write anything itself: the driver alone writes the store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..instance import Instance, instance_to_json
from ..online.policies import (
    POLICIES,
    OnlineRunParams,
    draw_run,
    run_policy,
)
from ..params import SolveParams
from ..scenario import Settings, scenario_from_instance
from ..solve import ALIASES, METHODS, solve
from .grids import GridPoint
from .replicates import check_settings, point_draws, run_point

__all__ = ["KINDS", "REPLICATE", "SIMULATE", "SOLVE", "Axis", "JobKind",
           "Outcome", "get_kind", "run_replicate_job", "run_simulate",
           "run_solve"]


@dataclass(frozen=True)
class Outcome:
    """Deterministic outputs of one job (runtime apart), as stored.

    Attributes
    ----------
    status
        A :class:`~bprr_opt.result.Status` value (``optimal``, ``feasible``,
        ``infeasible``, ``no_solution``, ``error``).
    value
        The evaluated objective (``avg_per_token_ms`` for ``solve``), or
        ``None`` without a solution.
    bound
        Proven lower bound (``inf`` proves infeasibility), or ``None``.
    gap
        ``(value - bound) / value`` as the result reports it, or ``None``.
    runtime_s
        Wall-clock seconds measured by the method.
    feasible
        The evaluator's verdict on the solution, ``None`` without one.
    message
        Solver termination text or other detail.
    stats
        Method-specific numbers (JSON-serialisable).
    result
        The full ``bprr-result/1`` document (solution included), or ``None``.
    """

    status: str
    value: float | None = None
    bound: float | None = None
    gap: float | None = None
    runtime_s: float | None = None
    feasible: bool | None = None
    message: str = ""
    stats: Mapping[str, Any] = field(default_factory=dict)
    result: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Axis:
    """One grid axis of a kind: spec key ``grid.<key>`` -> option ``name``.

    ``type`` is ``"str"``, ``"int"``, ``"number"`` or ``"bool"``, optionally
    suffixed ``"|null"``; ``default`` is used when the spec omits the axis.
    """

    name: str
    type: str
    default: Any = None


@dataclass(frozen=True)
class JobKind:
    """A job type: its run function, method names and grid axes.

    Attributes
    ----------
    name
        Spec value of ``kind``.
    run
        ``run(instance, method, options) -> Outcome``; ``options`` maps each
        axis ``name`` to one value.
    methods
        Registered method names (``grid.methods`` must use one of them).
    axes
        Grid keys accepted besides ``methods``.
    check
        Validates one value of an option, ``check(name, value)``; raises
        ``ValueError("<name>: <problem>")``.  Default: accept.
    in_specs
        Whether a sweep spec may name the kind.  Default True.
    """

    name: str
    run: Callable[[Instance, str, Mapping[str, Any]], Outcome]
    methods: Callable[[], Sequence[str]]
    axes: Mapping[str, Axis]
    check: Callable[[str, Any], None] | None = None
    in_specs: bool = True


# -- the ``solve`` kind ---------------------------------------------------------

def _number(x: float | None) -> float | None:
    # NaN means "no number"; +inf stays (an infinite lower bound is a proof
    # of infeasibility, and SQLite stores it).
    if x is None or math.isnan(x):
        return None
    return float(x)


def run_solve(instance: Instance, method: str,
              options: Mapping[str, Any]) -> Outcome:
    """Run ``bprr_opt.solve.solve`` and keep the :class:`Result` fields.

    ``options`` holds :class:`~bprr_opt.params.SolveParams` fields.  The
    value, bound, gap and verdict come from the result, i.e. from the
    evaluator via :func:`~bprr_opt.result.build_result`; nothing is
    recomputed here.
    """
    t0 = time.perf_counter()
    res = solve(instance, method, SolveParams(**options))
    runtime = res.runtime_s if res.runtime_s is not None else (
        time.perf_counter() - t0)
    doc = res.to_dict()
    return Outcome(
        status=res.status.value, value=_number(res.value),
        bound=_number(res.bound), gap=_number(res.gap), runtime_s=runtime,
        feasible=res.is_feasible() if res.evaluation is not None else None,
        message=res.message, stats=doc.get("stats", {}), result=doc)


def _solve_methods() -> list[str]:
    # deprecated aliases stay accepted (their jobs keep the spelled name)
    return sorted([*METHODS, *ALIASES])


def _solve_check(name: str, value: Any) -> None:
    SolveParams(**{name: value})  # its __post_init__ names the field


_SOLVE_AXES = {
    "solvers": Axis("solver", "str", "highs"),
    "time_limits": Axis("time_limit", "number|null", None),
    "mip_gaps": Axis("mip_gap", "number|null", None),
    "threads": Axis("threads", "int|null", None),
    "r_designs": Axis("r_design", "int|null", None),
    "allow_unused": Axis("allow_unused", "bool", False),
    # a method name whose solution starts the run (e.g. cg-bprr for a MILP)
    "warm_starts": Axis("warm_start", "str|null", None),
    "seeds": Axis("seed", "int", 0),
}

SOLVE = JobKind(name="solve", run=run_solve, methods=_solve_methods,
                axes=_SOLVE_AXES, check=_solve_check)

# -- the ``simulate`` kind -------------------------------------------------------

def run_simulate(instance: Instance, method: str,
                 options: Mapping[str, Any]) -> Outcome:
    """Simulate policy ``method`` on ``instance``'s scenario.

    ``options``: ``rate`` (requests per second), ``requests``, ``settings``
    (``"authors"`` or ``"equal"``), ``r_design`` (``None``: spec §4 rule)
    and ``seed``, from which :func:`~bprr_opt.online.policies.draw_run`
    draws the arrivals (each request's client uniformly when the scenario
    has several) and PETALS' join order.  The job's value is the mean
    per-token time over all tokens, the other metrics go to the stats; its
    verdict is :meth:`~bprr_opt.online.simulator.SimulationRecords.
    violations`: every chain obeys the block rule (the evaluator's) and
    running sessions never exceed a server's slot pool.  Example spec:
    ``examples/sweeps/online.yaml``.
    """
    scen = scenario_from_instance(instance)
    rate_per_ms = float(options["rate"]) / 1000.0
    draws = draw_run(scen, int(options["seed"]),
                     requests=int(options["requests"]),
                     rate_per_ms=rate_per_ms)
    m = run_policy(scen, draws.arrivals, method, OnlineRunParams(
        settings=options["settings"], rate_per_ms=rate_per_ms,
        r_design=options["r_design"], join_order=draws.join_order))
    problems = m.records.violations(instance)
    return Outcome(status="feasible" if not problems else "error",
                   value=m.avg_per_token_ms, runtime_s=m.runtime_s,
                   feasible=not problems,
                   message=problems[0] if problems else
                   f"{m.requests} requests simulated",
                   stats=m.to_dict())


def _simulate_check(name: str, value: Any) -> None:
    if name == "settings" and value not in tuple(Settings):
        raise ValueError(f"settings: must be one of {', '.join(Settings)}, "
                         f"got {value!r}")
    if name == "rate" and not value > 0:
        raise ValueError(f"rate: must be > 0 requests/s, got {value!r}")
    if name == "requests" and value < 1:
        raise ValueError(f"requests: must be >= 1, got {value!r}")
    if name == "r_design" and value is not None and value < 1:
        raise ValueError(f"r_design: must be >= 1, got {value!r}")


SIMULATE = JobKind(
    name="simulate", run=run_simulate, methods=lambda: list(POLICIES),
    axes={"rates": Axis("rate", "number", 0.5),
          "requests": Axis("requests", "int", 100),
          "settings": Axis("settings", "str", "authors"),
          "r_designs": Axis("r_design", "int|null", None),
          "seeds": Axis("seed", "int", 0)},
    check=_simulate_check)


# -- the ``replicate`` kind ------------------------------------------------------

REPLICATE_METHOD = "replicate"


def replicate_point(options: Mapping[str, Any]) -> GridPoint:
    """The grid point a replicate job's options describe."""
    return GridPoint(options["scenario"], options["rate_per_ms"],
                     options["l_max"], options["n_servers"])


def run_replicate_job(instance: Instance, method: str,
                      options: Mapping[str, Any]) -> Outcome:
    """Run one replicate of a grid point (:func:`~.replicates.run_point`).

    ``options``: the point (``scenario``, ``rate_per_ms``, ``l_max``,
    ``n_servers``), ``requests``, ``seed``, ``methods`` and ``settings``.
    ``instance`` is the scenario the seed draws (checked, so a job always
    runs on the instance it names).  The records go to the result as
    ``{"columns": [...], "rows": [[...], ...]}`` (stored JSON sorts mapping
    keys; lists keep the records' column order).
    """
    point = replicate_point(options)
    scen, _, _ = point_draws(point, int(options["seed"]),
                             int(options["requests"]))
    if instance_to_json(scen.to_instance()) != instance_to_json(instance):
        raise ValueError("instance: not the scenario this replicate draws")
    records = run_point(point, int(options["seed"]),
                        requests=int(options["requests"]),
                        methods=list(options["methods"]),
                        settings=check_settings(options["settings"]))
    columns = list(records[0]) if records else []
    return Outcome(status="feasible", message=f"{len(records)} runs",
                   result={"columns": columns,
                           "rows": [[r[c] for c in columns]
                                    for r in records]})


REPLICATE = JobKind(
    name="replicate", run=run_replicate_job,
    methods=lambda: [REPLICATE_METHOD], axes={}, in_specs=False)


KINDS: dict[str, JobKind] = {k.name: k for k in (SOLVE, SIMULATE, REPLICATE)}


def get_kind(name: str) -> JobKind:
    """Return the :class:`JobKind` registered as ``name``.

    Raises
    ------
    KeyError
        If ``name`` is not in :data:`KINDS`.
    """
    return KINDS[name]

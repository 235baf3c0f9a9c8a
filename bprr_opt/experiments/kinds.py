"""Job kinds: what one job of a sweep does with its instance.

A kind is a :class:`JobKind`: a pure function ``run(instance, method,
options) -> Outcome`` plus the grid axes it accepts.  The registry
:data:`KINDS` maps a kind name to the ``"module:attribute"`` of its
:class:`JobKind`, imported on first use (in the driver *and* in every worker
process, which is why it is an import path and not an object).  Two exist:
``solve`` (this module) and ``simulate`` (:mod:`bprr_opt.online.sweep_kind`).

Adding a kind takes one small module and one registry line, e.g. (a sketch
of how ``simulate`` is plugged in)::

    # bprr_opt/online/sweep_kind.py
    def run_simulate(instance, method, options):
        t0 = time.perf_counter()
        metrics = simulate(instance, policy=method, **options)
        return Outcome(status="feasible", value=metrics.mean_per_token_ms,
                       runtime_s=time.perf_counter() - t0,
                       feasible=True, stats=metrics.as_dict())

    SIMULATE = JobKind(
        name="simulate", run=run_simulate,
        methods=lambda: ["cg-bp+ws-rr", "petals"],
        axes={"arrival_rates": Axis("arrival_rate", "number", 5e-4),
              "seeds": Axis("seed", "int", 0)})

    # bprr_opt/experiments/kinds.py
    KINDS["simulate"] = "bprr_opt.online.sweep_kind:SIMULATE"

A sweep spec with ``kind: simulate`` then accepts ``grid.arrival_rates``,
stores one row per job with ``value`` = the simulated metric, and the
store, report and plots work unchanged.  ``run`` must be a module-level
function (workers import it) and must not write anything itself: the driver
alone writes the store.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..instance import Instance
from ..params import SolveParams
from ..solve import ALIASES, METHODS, solve

__all__ = ["KINDS", "SOLVE", "Axis", "JobKind", "Outcome", "get_kind",
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
    """

    name: str
    run: Callable[[Instance, str, Mapping[str, Any]], Outcome]
    methods: Callable[[], Sequence[str]]
    axes: Mapping[str, Axis]
    check: Callable[[str, Any], None] | None = None


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

# kind name -> "module:attribute" of its JobKind (imported on first use).
KINDS: dict[str, str] = {
    "solve": "bprr_opt.experiments.kinds:SOLVE",
    "simulate": "bprr_opt.online.sweep_kind:SIMULATE",
}


def get_kind(name: str) -> JobKind:
    """Import and return the :class:`JobKind` registered as ``name``.

    Raises
    ------
    KeyError
        If ``name`` is not in :data:`KINDS`.
    """
    module, attr = KINDS[name].split(":")
    return getattr(importlib.import_module(module), attr)

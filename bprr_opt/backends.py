"""The solver plug: run any Pyomo model with any MILP/LP solver, report honestly.

One function, :func:`run_solver`, is shared by every exact formulation (the
paper's MILP, the interval model, the RR-ILP).  It knows nothing of a
problem family: options come in a :class:`SolverOptions`, and a formulation
turns the :class:`SolverRun` into its own checked result (BPRR:
:func:`bprr_opt.exact.formulation.formulation_result`).  It hides the three
Pyomo solver APIs behind one backend per solver family (linopy style) and
returns a :class:`SolverRun`:

``highs``
    HiGHS through ``highspy`` and Pyomo's APPSI interface (the one that can
    pass a MIP start to HiGHS).
``gurobi``
    Gurobi through ``gurobipy`` and Pyomo's direct interface.  The free pip
    licence is size-limited; a model beyond it raises
    :class:`~bprr_opt.errors.SolverUnavailableError`.
any other name
    Pyomo's legacy ``SolverFactory(name)`` (``cbc``, ``glpk``, ``scip``,
    ``cplex``, ``appsi_highs``, ...), when its executable or module exists.

Status semantics (``shared/spec/instance-format.md``): ``optimal`` only when
the solver terminated with proven optimality *and* its incumbent and bound
agree to :data:`~bprr_opt.status.REL_TOL`; an incumbent at a limit is
``feasible``; a limit without incumbent is ``no_solution`` (with the bound if
the solver has one); ``infeasible`` only when the solver proved it.  A time
limit is never an error.

Unless ``options.mip_gap`` is given, the relative and absolute MIP gaps are set
to 0 (not the solvers' default of ``1e-4``), so that ``optimal`` means optimal.
Integrality and feasibility tolerances are tightened to ``1e-9`` so that
rounding the solver's integers changes its objective by far less than the
``1e-6`` evaluator check of a result (e.g. :func:`~bprr_opt.result.build_result`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import SolverUnavailableError
from .status import REL_TOL, Status

__all__ = [
    "SOLVER_TOLERANCE",
    "SolverOptions",
    "SolverRun",
    "Termination",
    "available_solvers",
    "run_solver",
]

SOLVER_TOLERANCE = 1e-9  # integrality and primal feasibility tolerance

# Legacy (``pyomo.environ.SolverFactory``) solvers probed by available_solvers.
_LEGACY_CANDIDATES = ("cbc", "glpk", "scip", "cplex", "xpress", "mosek")

# Option names of the legacy solvers: (time limit, relative gap, threads, seed).
_LEGACY_OPTIONS: dict[str, tuple[str | None, ...]] = {
    "cbc": ("sec", "ratio", "threads", "randomSeed"),
    "glpk": ("tmlim", "mipgap", None, None),
    "scip": ("limits/time", "limits/gap", None, "randomization/randomseedshift"),
    "cplex": ("timelimit", "mipgap", "threads", "randomseed"),
    "gurobi": ("TimeLimit", "MIPGap", "Threads", "Seed"),
    "gurobi_direct": ("TimeLimit", "MIPGap", "Threads", "Seed"),
    "gurobi_persistent": ("TimeLimit", "MIPGap", "Threads", "Seed"),
    "xpress": ("maxtime", "miprelstop", "threads", None),
}


@dataclass(frozen=True)
class SolverOptions:
    """How to run the solver: the options every backend understands.

    Attributes
    ----------
    solver
        ``highs``, ``gurobi`` or a Pyomo ``SolverFactory`` name (``cbc``,
        ``glpk``, ``scip``, ...).  Default ``"highs"``.
    time_limit
        Wall-clock seconds, or ``None``; hitting it is not an error.
    mip_gap
        Relative MIP gap at which the solver may stop; ``None`` means 0
        (proven optimality).
    threads
        Solver threads, or ``None`` (solver default).
    seed
        Solver random seed.  Default 0.
    verbose
        Stream the solver log to stderr.
    """

    solver: str = "highs"
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    seed: int = 0
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.time_limit is not None and not (
            self.time_limit > 0 and math.isfinite(self.time_limit)
        ):
            raise ValueError(
                f"time_limit: must be > 0 seconds, got {self.time_limit!r}")
        if self.mip_gap is not None and not 0 <= self.mip_gap < 1:
            raise ValueError(f"mip_gap: must be in [0, 1), got {self.mip_gap!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads: must be >= 1, got {self.threads!r}")


class Termination(StrEnum):
    """Why the solver stopped, normalised across the Pyomo APIs."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    OBJECTIVE_LIMIT = "objective_limit"
    INTERRUPTED = "interrupted"
    LICENSE = "licensing_problems"
    ERROR = "error"
    UNKNOWN = "unknown"


# Names of the three Pyomo TerminationCondition enums -> Termination.
_TERMINATION_BY_NAME = {
    "optimal": Termination.OPTIMAL,
    "convergenceCriteriaSatisfied": Termination.OPTIMAL,
    "globallyOptimal": Termination.OPTIMAL,
    "infeasible": Termination.INFEASIBLE,
    "provenInfeasible": Termination.INFEASIBLE,
    "unbounded": Termination.UNBOUNDED,
    "infeasibleOrUnbounded": Termination.INFEASIBLE_OR_UNBOUNDED,
    "maxTimeLimit": Termination.TIME_LIMIT,
    "maxIterations": Termination.ITERATION_LIMIT,
    "iterationLimit": Termination.ITERATION_LIMIT,
    "maxEvaluations": Termination.ITERATION_LIMIT,
    "objectiveLimit": Termination.OBJECTIVE_LIMIT,
    "minFunctionValue": Termination.OBJECTIVE_LIMIT,
    "interrupted": Termination.INTERRUPTED,
    "userInterrupt": Termination.INTERRUPTED,
    "resourceInterrupt": Termination.INTERRUPTED,
    "licensingProblems": Termination.LICENSE,
    "error": Termination.ERROR,
    "solverFailure": Termination.ERROR,
    "internalSolverError": Termination.ERROR,
}

_LIMITS = (Termination.TIME_LIMIT, Termination.ITERATION_LIMIT,
           Termination.OBJECTIVE_LIMIT, Termination.INTERRUPTED)


def _termination(condition: Any) -> Termination:
    name = getattr(condition, "name", None) or str(getattr(condition, "value",
                                                           condition))
    return _TERMINATION_BY_NAME.get(name, Termination.UNKNOWN)


@dataclass(frozen=True)
class SolverRun:
    """What one solver run gave, in the caller's objective units.

    Attributes
    ----------
    solver
        Backend name (``highs``, ``gurobi``, or the legacy solver name).
    version
        Solver version string.
    termination
        Why the solver stopped (:class:`Termination`).
    status
        The honest bprr status derived from ``termination``, the incumbent
        and the bound (module docstring).
    has_solution
        Whether an incumbent was loaded into the model's variables.
    objective
        Incumbent objective divided by ``objective_scale``, or ``None``.
    bound
        Solver's best (dual) bound divided by ``objective_scale``, or ``None``
        when the solver has none.
    gap
        ``(objective - bound) / |objective|`` from the two numbers above, or
        ``None``.
    runtime_s
        Wall-clock seconds of the solver call (model hand-over included).
    message
        One line: solver, termination, incumbent, bound, gap, time.
    stats
        Solver-reported details: node count, the solver's own MIP gap, its
        own timer, ...
    """

    solver: str
    version: str
    termination: Termination
    status: Status
    has_solution: bool
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    message: str
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Raw:
    termination: Termination
    has_solution: bool
    objective: float | None  # model units
    bound: float | None  # model units
    version: str
    stats: dict[str, Any]


# ---------------------------------------------------------------------------
# availability
# ---------------------------------------------------------------------------

def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _legacy_factory(name: str) -> Any:
    import logging

    import pyomo.environ as pyo

    # An unknown name makes Pyomo log a traceback; the caller reports it.
    log = logging.getLogger("pyomo.opt")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        return pyo.SolverFactory(name)
    finally:
        log.setLevel(level)


def _legacy_available(name: str) -> bool:
    try:
        opt = _legacy_factory(name)
        return bool(opt.available(exception_flag=False))
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return False


def available_solvers() -> list[str]:
    """Return the names of the solvers :func:`run_solver` can use here.

    Returns
    -------
    names : list of str
        ``"highs"`` (if ``highspy`` is importable), ``"gurobi"`` (if
        ``gurobipy`` is importable; its licence may still limit model size),
        then the legacy solvers whose executables were found.
    """
    out = []
    if _module_available("highspy"):
        out.append("highs")
    if _module_available("gurobipy"):
        out.append("gurobi")
    out.extend(n for n in _LEGACY_CANDIDATES if _legacy_available(n))
    return out


# ---------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------

def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _run_highs(model: Any, params: SolverOptions, warm_start: bool,
               extra: Mapping[str, Any]) -> _Raw:
    if not _module_available("highspy"):
        raise SolverUnavailableError(
            "solver: 'highs' needs the highspy package (pip install highspy)")
    t0 = time.perf_counter()
    raw = _highs_once(model, params, warm_start, extra)
    left = None if params.time_limit is None else \
        params.time_limit - (time.perf_counter() - t0)
    if raw.termination is Termination.OPTIMAL and raw.objective is not None \
            and (raw.bound is None or raw.objective - raw.bound
                 > REL_TOL * max(1.0, abs(raw.objective))) \
            and extra.get("presolve") != "off" and (left is None or left > 0):
        # HiGHS can report "optimal" with a dual bound that misses presolve's
        # objective offset (ERGO-Code/HiGHS#2154: model solved in presolve).
        # Its claim is then unverifiable; solve again without presolve and
        # report that run, whose bound is its own.
        if left is not None:
            params = dataclasses.replace(params, time_limit=left)
        again = _highs_once(model, params, warm_start,
                            {**extra, "presolve": "off"})
        again.stats["resolved_without_presolve"] = (
            f"presolve run claimed optimal at {raw.objective!r} with dual "
            f"bound {raw.bound!r}")
        return again
    return raw


def _highs_once(model: Any, params: SolverOptions, warm_start: bool,
                extra: Mapping[str, Any]) -> _Raw:
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    cfg = opt.config
    cfg.load_solution = False
    cfg.stream_solver = bool(params.verbose)
    cfg.warmstart = bool(warm_start)
    if params.time_limit is not None:
        cfg.time_limit = float(params.time_limit)
    cfg.mip_gap = 0.0 if params.mip_gap is None else float(params.mip_gap)
    options: dict[str, Any] = {
        "mip_feasibility_tolerance": SOLVER_TOLERANCE,
        "primal_feasibility_tolerance": SOLVER_TOLERANCE,
        "random_seed": int(params.seed) % 2147483647,
    }
    if params.mip_gap is None:
        options["mip_abs_gap"] = 0.0
    if params.threads is not None:
        options["threads"] = int(params.threads)
        # HiGHS keeps one global thread pool per process and refuses a
        # different thread count later unless the pool is reset.
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
    options.update(extra)
    opt.highs_options = options
    res = opt.solve(model)
    term = _termination(res.termination_condition)
    has = res.best_feasible_objective is not None
    if has:
        res.solution_loader.load_vars()
    stats: dict[str, Any] = {}
    # The APPSI results do not carry HiGHS's node count and gap; read them
    # from the highspy object the interface keeps (informational only).
    h = getattr(opt, "_solver_model", None)
    if h is not None:
        with contextlib.suppress(Exception):
            info = h.getInfo()
            if info.mip_node_count >= 0:
                stats["nodes"] = int(info.mip_node_count)
                stats["solver_mip_gap"] = _finite(info.mip_gap)
            stats["simplex_iterations"] = int(info.simplex_iteration_count)
            stats["solver_time_s"] = float(h.getRunTime())
    version = ".".join(map(str, opt.version()))
    return _Raw(term, has, _finite(res.best_feasible_objective),
                _finite(res.best_objective_bound), version, stats)


def _gurobi_licence_error(exc: Exception) -> SolverUnavailableError | None:
    if type(exc).__name__ != "GurobiError":
        return None
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "licen" in text.lower() or getattr(exc, "errno", None) in (10009, 10010):
        return SolverUnavailableError(
            f"solver: gurobi cannot solve this model ({text}); use a full "
            "licence or --solver highs")
    return None


def _run_gurobi(model: Any, params: SolverOptions, warm_start: bool,
                extra: Mapping[str, Any]) -> _Raw:
    if not _module_available("gurobipy"):
        raise SolverUnavailableError(
            "solver: 'gurobi' needs the gurobipy package (pip install gurobipy)")
    from pyomo.contrib.solver.common.factory import SolverFactory

    opt = SolverFactory("gurobi_direct")
    options: dict[str, Any] = {
        "IntFeasTol": SOLVER_TOLERANCE,
        "FeasibilityTol": SOLVER_TOLERANCE,
        "Seed": int(params.seed) % 2000000000,
        **extra,
    }
    kwargs: dict[str, Any] = {
        "tee": bool(params.verbose),
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "warmstart_discrete_vars": bool(warm_start),
        "rel_gap": 0.0 if params.mip_gap is None else float(params.mip_gap),
        "solver_options": options,
    }
    if params.mip_gap is None:
        kwargs["abs_gap"] = 0.0
    if params.time_limit is not None:
        kwargs["time_limit"] = float(params.time_limit)
    if params.threads is not None:
        kwargs["threads"] = int(params.threads)
    try:
        res = opt.solve(model, **kwargs)
    except Exception as exc:
        err = _gurobi_licence_error(exc)
        if err is not None:
            raise err from None
        raise
    term = _termination(res.termination_condition)
    if term is Termination.LICENSE:
        raise SolverUnavailableError(
            "solver: gurobi reported a licensing problem; use a full licence "
            "or --solver highs")
    has = res.incumbent_objective is not None and \
        res.solution_status.name in ("feasible", "optimal")
    if has:
        res.solution_loader.load_vars()
    stats: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        stats["nodes"] = int(res.extra_info.NodeCount)
        stats["simplex_iterations"] = int(res.extra_info.IterCount)
    with contextlib.suppress(Exception):
        stats["solver_time_s"] = float(res.timing_info.gurobi_time)
    version = ".".join(map(str, opt.version()))
    return _Raw(term, has, _finite(res.incumbent_objective),
                _finite(res.objective_bound), version, stats)


def _run_legacy(name: str, model: Any, params: SolverOptions,
                warm_start: bool, extra: Mapping[str, Any]) -> _Raw:
    from pyomo.opt import SolutionStatus

    try:
        opt = _legacy_factory(name)
        ok = bool(opt.available(exception_flag=False))
    except Exception:  # noqa: BLE001
        ok = False
    if not ok:
        raise SolverUnavailableError(
            f"solver: {name!r} is not available here (installed: "
            f"{', '.join(available_solvers()) or 'none'})")
    keys = _LEGACY_OPTIONS.get(name, (None, None, None, None))
    options: dict[str, Any] = {}
    gap = 0.0 if params.mip_gap is None else params.mip_gap
    for key, val in zip(keys, (params.time_limit, gap, params.threads,
                               params.seed)):
        if key is not None and val is not None:
            options[key] = val
    options.update(extra)
    kwargs: dict[str, Any] = {"tee": bool(params.verbose),
                              "load_solutions": False}
    if options:
        kwargs["options"] = options
    if warm_start and getattr(opt, "warm_start_capable", lambda: False)():
        kwargs["warmstart"] = True
    res = opt.solve(model, **kwargs)
    term = _termination(res.solver.termination_condition)
    has = False
    for sol in getattr(res, "solution", []):
        if sol.status in (SolutionStatus.optimal, SolutionStatus.feasible,
                          SolutionStatus.bestSoFar, SolutionStatus.globallyOptimal,
                          SolutionStatus.locallyOptimal, SolutionStatus.other):
            has = True
            break
    if has:
        model.solutions.load_from(res)
    objective = None
    if has:
        import pyomo.environ as pyo

        obj = next(model.component_data_objects(pyo.Objective, active=True))
        objective = _finite(pyo.value(obj))
    bound = None
    with contextlib.suppress(Exception):
        bound = _finite(res.problem[0].lower_bound)
    if bound is not None and objective is not None and bound > objective:
        bound = None  # some plugins echo the incumbent as "lower bound" junk
    version = ".".join(map(str, opt.version() or ())) or "unknown"
    stats: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        stats["solver_time_s"] = float(res.solver.time)
    return _Raw(term, has, objective, bound, version, stats)


# ---------------------------------------------------------------------------
# the public entry point
# ---------------------------------------------------------------------------

def _all_vars_bounded(model: Any) -> bool:
    import pyomo.environ as pyo

    for v in model.component_data_objects(pyo.Var, active=True):
        if v.fixed:
            continue
        if v.lb is None or v.ub is None:
            return False
    return True


def _status(raw: _Raw, model: Any, gap: float | None) -> tuple[Status, str]:
    term = raw.termination
    if term is Termination.OPTIMAL and raw.has_solution:
        if raw.bound is None or raw.objective is None or \
                raw.objective - raw.bound <= REL_TOL * max(1.0, abs(raw.objective)):
            return Status.OPTIMAL, ""
        return Status.FEASIBLE, (f"stopped at relative gap {gap:.3g} "
                                 "(mip_gap reached), optimality not proven")
    if term is Termination.INFEASIBLE:
        return Status.INFEASIBLE, ""
    if term is Termination.INFEASIBLE_OR_UNBOUNDED:
        if _all_vars_bounded(model):
            # bounded variables: the model cannot be unbounded
            return Status.INFEASIBLE, "infeasible (all variables bounded)"
        return Status.ERROR, "infeasible or unbounded"
    if raw.has_solution:
        return Status.FEASIBLE, ""
    if term in _LIMITS:
        return Status.NO_SOLUTION, ""
    return Status.ERROR, ""


def _log_stream(stack: contextlib.ExitStack) -> Any:
    """A text stream on a duplicate of the stderr descriptor.

    Pyomo's HiGHS interface captures file descriptors 1 and 2 while it
    solves; a log written to ``sys.stderr`` itself would loop back into that
    capture.  A duplicate descriptor still reaches the terminal.
    """
    try:
        fd = os.dup(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # no real descriptor
        return sys.stderr
    return stack.enter_context(os.fdopen(fd, "w", buffering=1))


def run_solver(model: Any, options: SolverOptions | None = None, *,
               objective_scale: float = 1.0,
               warm_start: bool = False,
               solver_options: Mapping[str, Mapping[str, Any]] | None = None
               ) -> SolverRun:
    """Solve a Pyomo model with ``options.solver`` and report honestly.

    Parameters
    ----------
    model
        A Pyomo ``ConcreteModel`` with one active objective (minimised).
        After the call its variables hold the incumbent when
        ``has_solution`` is true.
    options
        Solver name, time limit, MIP gap, threads, seed, verbosity.  Default
        ``SolverOptions()`` (HiGHS, no limit, proven optimality).
    objective_scale
        The objective and the bound are divided by it (e.g. ``l_max |R|`` to
        turn the paper's objective (13a) into ``avg_per_token_ms``).
        Default 1.
    warm_start
        Pass the variables' current values to the solver as a MIP start
        (HiGHS and Gurobi support it; others ignore it).  Default False.
    solver_options
        Formulation-specific tuning by solver name, e.g.
        ``{"highs": {"presolve": "off"}}``; applied after the plug's own
        options, for that solver only.  Default none.

    Returns
    -------
    SolverRun
        Termination, honest status, incumbent, bound, gap, runtime and the
        solver's own statistics.

    Raises
    ------
    SolverUnavailableError
        If the solver is not installed, or its licence refuses the model.
    ValueError
        If ``objective_scale`` is not a positive number.
    """
    params = options or SolverOptions()
    if not (objective_scale > 0 and math.isfinite(objective_scale)):
        raise ValueError(
            f"objective_scale: must be > 0, got {objective_scale!r}")
    name = params.solver.strip().lower()
    t0 = time.perf_counter()
    # The solver log (verbose) goes to stderr, so that stdout keeps only the
    # CLI's result (e.g. JSON); without verbose, stray prints are dropped.
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(
            _log_stream(stack) if params.verbose else io.StringIO()))
        extra = dict((solver_options or {}).get(name, {}))
        if name == "highs":
            raw = _run_highs(model, params, warm_start, extra)
        elif name == "gurobi":
            raw = _run_gurobi(model, params, warm_start, extra)
        else:
            raw = _run_legacy(name, model, params, warm_start, extra)
    runtime = time.perf_counter() - t0
    obj = None if raw.objective is None else raw.objective / objective_scale
    bound = None if raw.bound is None else raw.bound / objective_scale
    gap = None
    if obj is not None and bound is not None:
        gap = 0.0 if obj == bound else (obj - bound) / max(abs(obj), 1e-300)
        if -REL_TOL <= gap < 0:
            gap = 0.0  # bound above incumbent by round-off only
    status, note = _status(raw, model, gap)
    parts = [f"{name} {raw.version}: {raw.termination.value}"]
    if note:
        parts.append(note)
    parts.append(f"incumbent {'-' if obj is None else f'{obj:.9g}'}")
    parts.append(f"bound {'-' if bound is None else f'{bound:.9g}'}")
    if gap is not None:
        parts.append(f"gap {100 * gap:.4g}%")
    parts.append(f"{runtime:.2f} s")
    stats = {"termination": raw.termination.value,
             "solver_version": raw.version, **raw.stats}
    return SolverRun(solver=name, version=raw.version,
                     termination=raw.termination, status=status,
                     has_solution=raw.has_solution, objective=obj, bound=bound,
                     gap=gap, runtime_s=runtime, message=", ".join(parts),
                     stats=stats)


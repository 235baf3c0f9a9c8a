"""One calling convention for every offline method: ``solve(instance, method, params)``.

:data:`METHODS` maps a name to a :class:`Method` record holding the method's
function ``run(instance, params) -> Result`` (``run(instance, params,
placement)`` for the method that routes a given placement), a one-line
summary and the :class:`~bprr_opt.params.SolveParams` fields it honours.
:func:`solve` is the one entry point of the CLI and the sweeps: it resolves
deprecated names and method-name warm starts, then calls the record.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from .errors import BprrError
from .exact.interval import solve_milp_interval
from .exact.milp import solve_milp_paper
from .exact.rr_ilp import solve_rr_ilp_method
from .heuristics.cg_bprr import solve_cg_bprr
from .heuristics.local_search import solve_cg_bprr_ls
from .heuristics.petals_offline import solve_petals, solve_petals_rr
from .instance import Instance
from .params import MethodStart, SolveParams
from .result import Result
from .solution import Placement

__all__ = ["ALIASES", "METHODS", "Method", "available_methods", "get_method",
           "solve"]

_SOLVER = frozenset({"solver", "time_limit", "mip_gap", "threads", "seed",
                     "verbose"})


@dataclass(frozen=True)
class Method:
    """A registered offline method.

    Attributes
    ----------
    name
        Registry name (``bprr solve --method NAME``).
    run
        ``run(instance, params) -> Result``; with ``needs_placement``,
        ``run(instance, params, placement)``.
    summary
        One line, shown by ``bprr solve --help``.
    reads
        The :class:`~bprr_opt.params.SolveParams` fields the method honours
        (the others are ignored).
    exact
        Whether ``optimal`` can be proven by the method's own solver.
    needs_placement
        Whether it routes a given placement (``rr-ilp``).
    """

    name: str
    run: Callable[..., Result]
    summary: str
    reads: frozenset[str]
    exact: bool = False
    needs_placement: bool = False


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("cg-bprr", solve_cg_bprr,
           "CG-BPRR (Algorithm 1), certified by the default lower bounds",
           frozenset({"r_design", "allow_unused"})),
    Method("cg-bprr-ls", solve_cg_bprr_ls,
           "CG-BPRR over several design loads + local search, exact "
           "re-routing",
           frozenset({"time_limit", "seed", "r_design", "warm_start",
                      "allow_unused", "solver"})),
    Method("milp-paper", solve_milp_paper,
           "the paper's MILP (13), exact",
           _SOLVER | {"warm_start", "allow_unused"}, exact=True),
    Method("milp-interval", solve_milp_interval,
           "the interval-flow MILP, exact and symmetry-free",
           _SOLVER | {"warm_start", "allow_unused"}, exact=True),
    Method("petals-offline", solve_petals,
           "PETALS' offline placement and routing (the paper's baseline)",
           frozenset({"seed", "allow_unused"})),
    Method("petals-offline-rr", solve_petals_rr,
           "PETALS' offline placement, routed optimally by the RR-ILP",
           _SOLVER | {"allow_unused"}),
    Method("rr-ilp", solve_rr_ilp_method,
           "optimal routing (RR-ILP (19)) of a given placement",
           _SOLVER | {"warm_start"}, needs_placement=True),
)}

# Deprecated names: online "petals" is another algorithm.
ALIASES: dict[str, str] = {"petals": "petals-offline",
                           "petals-rr": "petals-offline-rr"}


def get_method(name: str) -> Method:
    """Return the method registered as ``name`` (a deprecated alias warns).

    Raises
    ------
    BprrError
        If the name is unknown.
    """
    if name in ALIASES:
        new = ALIASES[name]
        warnings.warn(f"method: {name!r} is deprecated, use {new!r}",
                      FutureWarning, stacklevel=3)
        name = new
    if name not in METHODS:
        raise BprrError(
            f"method: unknown method {name!r} (choose from "
            f"{', '.join(sorted(METHODS))})")
    return METHODS[name]


def available_methods() -> list[str]:
    """Names of the registered methods."""
    return list(METHODS)


def solve(instance: Instance, method: str = "cg-bprr",
          params: SolveParams | None = None, *,
          placement: Placement | None = None) -> Result:
    """Solve ``instance`` with ``method`` and return a checked :class:`Result`.

    Parameters
    ----------
    instance
        The problem data.
    method
        A name of :data:`METHODS` (or a deprecated alias of :data:`ALIASES`).
    params
        Options; each method reads the fields listed in its record.
        A method name in ``params.warm_start`` is resolved here (the start's
        method runs on the same instance when the method needs it).
        Default ``SolveParams()``.
    placement
        The fixed placement of ``rr-ilp``.

    Raises
    ------
    BprrError
        On an unknown method, or a placement given to another method.
    """
    record = get_method(method)
    params = params or SolveParams()
    if placement is not None and not record.needs_placement:
        raise BprrError(f"placement: {record.name} takes no placement "
                        "(only rr-ilp routes a given one)")
    ws = params.warm_start
    if isinstance(ws, str):
        start = ws

        def run(p: SolveParams) -> Result:
            return solve(instance, start, p)

        params = dataclasses.replace(params, warm_start=MethodStart(ws, run))
    if record.needs_placement:
        return record.run(instance, params, placement)
    return record.run(instance, params)

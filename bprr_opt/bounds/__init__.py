"""Proven lower bounds on the optimal average per-token time.

Every function here takes an :class:`~bprr_opt.instance.Instance` and returns
a number ``<= OPT``, the optimal ``avg_per_token_ms`` of the offline problem
*with unused servers allowed* (the evaluator's default), hence also a bound
for the paper's convention ``m_j >= 1``.  ``inf`` proves that no solution
exists; with no request the bounds are ``0.0`` (the evaluator's value of the
empty solution).  Proofs: ``proofs/lower_bounds.md``.

* ``chain-dp`` (:func:`chain_dp_bound`): each request alone on its cheapest
  chain, one request's memory per server;
* ``transport`` (:func:`transport_bound`): request-blocks shipped to servers
  under per-server cache limits -- sees memory contention;
* ``lp-paper`` (:func:`~bprr_opt.bounds.lp_relax.paper_lp_bound`): the LP
  relaxation of the paper's MILP (13), often below 0 (then 0);
* ``lp-paper-cuts`` (:func:`~bprr_opt.bounds.lp_relax.paper_lp_cuts_bound`):
  the same LP plus three families of valid inequalities;
* ``lp-interval`` (:func:`~bprr_opt.bounds.lp_relax.interval_lp_bound`): the
  LP relaxation of the interval-flow MILP, often equal to the optimum.

:func:`best_lower_bound` runs several and keeps the largest.  (The upper
bound of Theorem 3.5 on CG-BPRR's own value is a property of the heuristic:
:func:`bprr_opt.heuristics.theorem35.theorem35_bound`.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..instance import Instance
from ..numerics import floor_div
from .chain_dp import chain_dp_bound, client_chain_costs
from .lp_relax import interval_lp_bound, paper_lp_bound, paper_lp_cuts_bound
from .transport import transport_bound

__all__ = [
    "BOUNDS",
    "LP_INTERVAL_MAX_SEGMENTS",
    "LP_PAPER_MAX_FLOWS",
    "LowerBounds",
    "best_lower_bound",
    "chain_dp_bound",
    "client_chain_costs",
    "default_bound_methods",
    "transport_bound",
]

# name -> function mapping an Instance to a proven lower bound.
BOUNDS: dict[str, Callable[[Instance], float]] = {
    "chain-dp": chain_dp_bound,
    "transport": transport_bound,
    "lp-paper": paper_lp_bound,
    "lp-paper-cuts": paper_lp_cuts_bound,
    "lp-interval": interval_lp_bound,
}

# The paper LP has |R| |V_s| (|V_s| + 1) flow columns (times five with the
# McCormick auxiliaries).  With the Pyomo import it costs seconds and is
# rarely the best bound, so the default set runs it (with cuts) only on models
# this small (e.g. 4 servers x 4 requests).
LP_PAPER_MAX_FLOWS = 100

# The interval LP is the strongest bound here but its link rows are dense;
# by default it runs only on models with at most this many segment columns
# (e.g. 6 servers, L = 20, 2 clients); name it to run it on larger ones.
LP_INTERVAL_MAX_SEGMENTS = 3000


@dataclass(frozen=True)
class LowerBounds:
    """Several proven lower bounds on the optimal ``avg_per_token_ms``.

    Attributes
    ----------
    bounds
        Bound value by method name (``inf``: the instance has no solution).
    runtime_s
        Wall-clock seconds per method.
    """

    bounds: Mapping[str, float]
    runtime_s: Mapping[str, float] = field(default_factory=dict)

    @property
    def best(self) -> float:
        """The largest bound."""
        return max(self.bounds.values())

    @property
    def best_method(self) -> str:
        """Name of the largest bound (first listed on ties)."""
        best = self.best
        return next(k for k, v in self.bounds.items() if v == best)

    @property
    def proves_infeasible(self) -> bool:
        """Whether some bound is ``inf`` (no solution exists)."""
        return math.isinf(self.best)

    def to_dict(self) -> dict[str, Any]:
        """``{"bounds": {name: value}, "best_avg_per_token_ms": value}``.

        Values are in ``bprr-result/1`` units; ``inf`` becomes ``None``
        (JSON ``null``) and ``proves_infeasible`` is then true.
        """
        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {"bounds": {k: num(v) for k, v in self.bounds.items()},
                "best_avg_per_token_ms": num(self.best),
                "proves_infeasible": self.proves_infeasible}


def _lp_paper_flows(instance: Instance) -> int:
    n = instance.num_servers
    return instance.num_requests * n * (n + 1)


def _lp_interval_segments(instance: Instance) -> int:
    L = instance.L
    unit = instance.s_m + instance.s_c
    per_client = 0
    for s in instance.servers:
        K = min(L, floor_div(s.memory, unit))
        per_client += K * L - K * (K - 1) // 2  # segments of length <= K
    return per_client * sum(1 for c in instance.clients if c.requests)


def default_bound_methods(instance: Instance) -> tuple[str, ...]:
    """The bounds :func:`best_lower_bound` runs when none are named.

    ``chain-dp`` and ``transport`` always (milliseconds at GTS-CE scale);
    ``lp-paper-cuts`` only when the paper's model has at most
    :data:`LP_PAPER_MAX_FLOWS` flow variables.  The plain ``lp-paper`` is
    never a default: the cut LP is a restriction of it, hence never lower.
    ``lp-interval`` when the
    interval model has at most :data:`LP_INTERVAL_MAX_SEGMENTS` segment
    columns.
    """
    out = ("chain-dp", "transport")
    if _lp_paper_flows(instance) <= LP_PAPER_MAX_FLOWS:
        out += ("lp-paper-cuts",)
    if _lp_interval_segments(instance) <= LP_INTERVAL_MAX_SEGMENTS:
        out += ("lp-interval",)
    return out


def _get(name: str) -> Callable[[Instance], float]:
    if name not in BOUNDS:
        raise ValueError(f"methods: unknown bound {name!r} (choose from "
                         f"{', '.join(BOUNDS)})")
    return BOUNDS[name]


def best_lower_bound(instance: Instance, *,
                     methods: Sequence[str] | None = None) -> LowerBounds:
    """Compute several lower bounds on the optimal ``avg_per_token_ms``.

    Parameters
    ----------
    instance
        The problem data.
    methods
        Names from :data:`BOUNDS`, run in this order.  Default
        :func:`default_bound_methods`.

    Returns
    -------
    LowerBounds
        Each bound by name, their maximum as ``best``, and run times.

    Raises
    ------
    ValueError
        If ``methods`` is empty or names an unknown bound.

    Notes
    -----
    The maximum of lower bounds is a lower bound.  Each bound is proven in
    ``proofs/lower_bounds.md``.
    """
    names = tuple(default_bound_methods(instance) if methods is None
                  else methods)
    if not names:
        raise ValueError("methods: must name at least one bound, got none")
    funcs = [(name, _get(name)) for name in names]
    values: dict[str, float] = {}
    times: dict[str, float] = {}
    for name, func in funcs:
        t0 = time.perf_counter()
        values[name] = float(func(instance))
        times[name] = time.perf_counter() - t0
    return LowerBounds(values, times)

"""Run statuses and the one relative tolerance every claim is checked to.

Family-agnostic: the solver plug (:mod:`bprr_opt.backends`) reports a
:class:`Status`, and every result built from it is re-checked by a
problem family's evaluator to :data:`REL_TOL`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["REL_TOL", "Status", "rel_diff"]

# A solver objective, a bound or a stored value agrees with the evaluator
# when they differ by at most this, relative to max(1, |x|, |y|).
REL_TOL = 1e-6


class Status(StrEnum):
    """Outcome of a run (``bprr-result/1`` ``status``)."""

    OPTIMAL = "optimal"  # proven optimal by the solver
    FEASIBLE = "feasible"  # incumbent, optimality not proven
    INFEASIBLE = "infeasible"  # proven infeasible / algorithm found none
    NO_SOLUTION = "no_solution"  # limit hit without an incumbent
    ERROR = "error"


def rel_diff(x: float, y: float) -> float:
    """``|x - y| / max(1, |x|, |y|)``: the difference :data:`REL_TOL` bounds."""
    return abs(x - y) / max(1.0, abs(x), abs(y))

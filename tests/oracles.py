"""Small independent checks shared by the exact-method tests.

``subset_sum`` decides PARTITION for the gadget tests; ``point_violations``
lists the rows and bounds a Pyomo model's current values break (used to
check that a solution the evaluator accepts is a point of a formulation).
"""

from __future__ import annotations

__all__ = ["point_violations", "subset_sum"]


def subset_sum(weights: list[int], target: int) -> bool:
    """Whether some sub-multiset of ``weights`` sums to ``target`` (DP)."""
    reach = {0}
    for w in weights:
        reach |= {x + w for x in reach if x + w <= target}
    return target in reach


def point_violations(model) -> list[str]:
    """Rows and variable bounds broken by the model's current values, and
    integer variables holding fractional values (tolerance 1e-9 relative)."""
    import pyomo.environ as pyo

    bad = []
    for con in model.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(con.body)
        lo = None if con.lower is None else pyo.value(con.lower)
        hi = None if con.upper is None else pyo.value(con.upper)
        if lo is not None and body < lo - 1e-9 * max(1.0, abs(lo)):
            bad.append(con.name)
        if hi is not None and body > hi + 1e-9 * max(1.0, abs(hi)):
            bad.append(con.name)
    for v in model.component_data_objects(pyo.Var):
        x = v.value
        if (v.lb is not None and x < v.lb) or (v.ub is not None and x > v.ub):
            bad.append(v.name)
        if v.is_integer() and x != round(x):
            bad.append(v.name)
    return bad

"""The aggregated interval-flow MILP: exact, symmetry-free BPRR.

A request's path is a partition of the blocks ``1..L`` into segments, each
processed by one server and ending at that server's last block (Lemma 3.1 of
[1]_).  This formulation (``shared/spec/bprr-model.md`` §5.1) therefore
chooses one block interval per server and routes *counts* of each client's
requests over segments, instead of naming every request as the paper's
MILP (13) does:

======================  ======================================================
component               meaning
======================  ======================================================
``K[j]``                longest segment server ``j`` can ever process:
                        ``min(L, floor(M_j / (s_m + s_c)))``
``HOST``, ``y[j,a,e]``  server ``j`` hosts exactly blocks ``a..e``
                        (``e - a + 1 <= K_j``), binary
``idle[j]``             server ``j`` carries no request (binary); it then hosts
                        one idle block (paper, needs ``M_j >= s_m``) or nothing
                        (``allow_unused``)
``SEG``, ``g[c,j,b,e]`` number of client-``c`` requests that process blocks
                        ``b..e`` on server ``j`` (``e - b + 1 <= K_j``), integer
``one_interval[j]``     ``sum_{a,e} y[j,a,e] + idle[j] = 1``
``link[c,j,b,e]``       ``sum_{b' <= b} g[c,j,b',e] <= N_c sum_{a <= b} y[j,a,e]``
                        (a segment starting at ``b' <= b`` needs ``a <= b'``)
``flow_first[c]``       ``N_c`` requests start at block 1
``flow[c,b]``           requests ending at block ``b - 1`` = requests starting
                        at ``b``, for ``b = 2..L``
``flow_last[c]``        ``N_c`` requests end at block ``L``
``memory[j]``           ``s_m sum (e-a+1) y + s_c sum (e-b+1) g <= M_j`` (13b)
``obj``                 ``l_max sum (t_cj + tau_j (e-b+1)) g``, the paper's
                        (13a) in the same units
======================  ======================================================

Why the restrictions lose nothing: a server used by some request can host
exactly ``[min start of its segments, its last block]`` -- shrinking a range
to that never changes a cost and only frees memory -- and a segment of ``k``
blocks needs ``s_m k + s_c k <= M_j``, so every useful range and segment has
at most ``K_j`` blocks.  A server no request uses is ``idle``.  The optimum
therefore equals that of the paper's MILP (with or without ``allow_unused``);
``tests/beyond`` cross-checks this against the paper model and a brute force.

The cumulative form of ``link`` (rather than one row per segment) makes the
LP relaxation much tighter; on the authors' clustered 9-server x 3-request
case its LP value already equals the optimum.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, Lemma 3.1, MILP (13).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from ..errors import BprrError, SolutionError
from ..evaluate import evaluate
from ..instance import Instance
from ..numerics import floor_div, memory_fits
from ..params import SolveParams
from ..result import Result
from ..solution import Placement, Route, Solution
from ..backends import run_solver
from .formulation import formulation_result
from .warm import warm_start_solution

__all__ = [
    "build_interval_model",
    "segment_limits",
    "set_interval_warm_start",
    "solution_from_interval_model",
    "solve_milp_interval",
]

# HiGHS spends most of its time presolving the long cumulative link rows and
# gains little from it on this model (measured in benchmarks/exact.py).
HIGHS_OPTIONS = {"presolve": "off"}


def segment_limits(instance: Instance) -> list[int]:
    """``K_j = min(L, floor(M_j / (s_m + s_c)))`` for every server."""
    unit = instance.s_m + instance.s_c
    return [min(instance.L, floor_div(s.memory, unit))
            for s in instance.servers]


def _may_idle(instance: Instance, allow_unused: bool) -> list[bool]:
    return [allow_unused or memory_fits(instance.s_m, s.memory)
            for s in instance.servers]


def _row(expr: Any) -> Any:
    """A rule's relation, or Pyomo's trivial rows when no variable is left
    (e.g. a server too small for any segment)."""
    import pyomo.environ as pyo

    if isinstance(expr, bool):
        return pyo.Constraint.Feasible if expr else pyo.Constraint.Infeasible
    return expr


def build_interval_model(instance: Instance, *,
                         allow_unused: bool = False) -> Any:
    """Build the interval-flow MILP of ``instance`` as a Pyomo model.

    Parameters
    ----------
    instance
        The problem data.
    allow_unused
        A server no request uses may host nothing.  Default False: it hosts
        one block, as the paper's ``m_j >= 1`` demands (impossible, hence
        infeasible, when ``M_j < s_m``).

    Returns
    -------
    model : pyomo.environ.ConcreteModel
        Components as in the module docstring; the objective is in the
        paper's (13a) units, ``l_max |R|`` times ``avg_per_token_ms``.

    Notes
    -----
    ``O(|V_s| L K)`` interval and ``O(|V_c| |V_s| L K)`` segment variables,
    ``K = max_j K_j``; the link rows have ``O(K)`` terms each.
    """
    import pyomo.environ as pyo

    L = instance.L
    n = instance.num_servers
    K = segment_limits(instance)
    clients = [c for c, cl in enumerate(instance.clients) if cl.requests > 0]
    N = {c: instance.clients[c].requests for c in clients}

    def lo(j: int, e: int) -> int:
        return max(1, e - K[j] + 1)

    host = [(j, a, e) for j in range(n) for e in range(1, L + 1)
            for a in range(lo(j, e), e + 1)]
    seg = [(c, j, b, e) for c in clients for (j, b, e) in host]

    mdl = pyo.ConcreteModel(name=f"bprr-interval-{instance.name}")
    mdl.V_s = pyo.Set(initialize=range(n))
    mdl.C = pyo.Set(initialize=clients)
    mdl.HOST = pyo.Set(initialize=host, dimen=3)
    mdl.SEG = pyo.Set(initialize=seg, dimen=4)
    mdl.y = pyo.Var(mdl.HOST, domain=pyo.Binary)
    mdl.idle = pyo.Var(mdl.V_s, domain=pyo.Binary)
    mdl.g = pyo.Var(mdl.SEG, domain=pyo.NonNegativeIntegers,
                    bounds=lambda m, c, j, b, e: (0, N[c]))
    for j, ok in enumerate(_may_idle(instance, allow_unused)):
        if not ok:
            mdl.idle[j].fix(0)
    mdl.K = K
    mdl.allow_unused = allow_unused

    by_server: dict[int, list[tuple[int, int]]] = {j: [] for j in range(n)}
    for j, a, e in host:
        by_server[j].append((a, e))
    mdl.one_interval = pyo.Constraint(mdl.V_s, rule=lambda m, j: _row(sum(
        m.y[j, a, e] for a, e in by_server[j]) + m.idle[j] == 1))

    def link_rule(m: Any, c: int, j: int, b: int, e: int) -> Any:
        first = lo(j, e)
        return (sum(m.g[c, j, bb, e] for bb in range(first, b + 1))
                <= N[c] * sum(m.y[j, a, e] for a in range(first, b + 1)))
    mdl.link = pyo.Constraint(mdl.SEG, rule=link_rule)

    starts: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
    ends: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
    for key in seg:
        c, _, b, e = key
        starts.setdefault((c, b), []).append(key)
        ends.setdefault((c, e), []).append(key)

    def total(m: Any, keys: list[tuple[int, int, int, int]]) -> Any:
        return sum(m.g[k] for k in keys)

    mdl.flow_first = pyo.Constraint(mdl.C, rule=lambda m, c: _row(total(
        m, starts.get((c, 1), [])) == N[c]))
    mdl.flow = pyo.Constraint(mdl.C, range(2, L + 1), rule=lambda m, c, b: _row(
        total(m, starts.get((c, b), [])) == total(m, ends.get((c, b - 1), []))))
    mdl.flow_last = pyo.Constraint(mdl.C, rule=lambda m, c: _row(total(
        m, ends.get((c, L), [])) == N[c]))

    seg_of: dict[int, list[tuple[int, int, int, int]]] = {j: [] for j in range(n)}
    for key in seg:
        seg_of[key[1]].append(key)

    def memory_rule(m: Any, j: int) -> Any:  # (13b)
        used = instance.s_m * sum((e - a + 1) * m.y[j, a, e]
                                  for a, e in by_server[j])
        used += instance.s_c * sum((e - b + 1) * m.g[c, jj, b, e]
                                   for c, jj, b, e in seg_of[j])
        if not allow_unused:  # an idle server still stores one idle block
            used += instance.s_m * m.idle[j]
        return _row(used <= instance.servers[j].memory)
    mdl.memory = pyo.Constraint(mdl.V_s, rule=memory_rule)

    rtt = [cl.rtt for cl in instance.clients]
    tau = [s.tau for s in instance.servers]
    mdl.obj = pyo.Objective(expr=instance.l_max * sum(
        (rtt[c][j] + tau[j] * (e - b + 1)) * mdl.g[c, j, b, e]
        for c, j, b, e in seg), sense=pyo.minimize)
    return mdl


def solution_from_interval_model(instance: Instance, model: Any) -> Solution:
    """Read the placement and routes from a solved interval model.

    Each client's segment counts are decomposed into chains by walking from
    block 1, taking at every boundary the lowest ``(server, last block)``
    segment with flow left; identical chains are merged.

    Raises
    ------
    BprrError
        If the values do not form a placement plus a path decomposition
        (an inconsistent solver point).
    """
    n = instance.num_servers
    L = instance.L
    a = [0] * n
    m = [0] * n
    for j in range(n):
        if model.idle[j].value is not None and model.idle[j].value > 0.5:
            if not model.allow_unused:
                a[j], m[j] = 1, 1
            continue
        chosen = [(aa, e) for (jj, aa, e) in model.HOST
                  if jj == j and model.y[j, aa, e].value > 0.5]
        if len(chosen) != 1:
            raise BprrError(f"milp-interval: server {instance.servers[j].id} "
                            f"has {len(chosen)} intervals")
        a[j], m[j] = chosen[0][0], chosen[0][1] - chosen[0][0] + 1
    placement = Placement.from_arrays(a, m)
    left: dict[tuple[int, int], Counter[tuple[int, int]]] = {}
    for c, j, b, e in model.SEG:
        k = int(round(model.g[c, j, b, e].value or 0.0))
        if k > 0:
            left.setdefault((c, b), Counter())[(j, e)] += k
    routes: Counter[tuple[int, tuple[int, ...]]] = Counter()
    for c in model.C:
        for _ in range(instance.clients[c].requests):
            chain: list[int] = []
            b = 1
            while b <= L:
                options = sorted(k for k, v in left.get((c, b), {}).items()
                                 if v > 0)
                if not options:
                    raise BprrError(f"milp-interval: client "
                                    f"{instance.clients[c].id} has no segment "
                                    f"left at block {b}")
                j, e = options[0]
                left[(c, b)][(j, e)] -= 1
                chain.append(j)
                b = e + 1
            routes[(c, tuple(chain))] += 1
    return Solution(placement, tuple(Route(c, ch, k)
                                     for (c, ch), k in routes.items()))


def set_interval_warm_start(instance: Instance, model: Any,
                            solution: Solution) -> None:
    """Load a feasible ``solution`` into the model's variables.

    Every used server's range is shrunk to ``[first block it processes for
    some request, its last block]`` (same costs, less memory); servers no
    route uses become ``idle``.

    Raises
    ------
    SolutionError
        If ``solution`` is infeasible (or uses a server the paper's
        ``m_j >= 1`` forbids to leave idle).
    """
    ev = evaluate(instance, solution)
    if not ev.feasible:
        raise SolutionError(f"warm_start: not a feasible solution of instance "
                            f"{instance.name!r}: {ev.violations[0].message}")
    n = instance.num_servers
    first: dict[int, int] = {}
    flows: Counter[tuple[int, int, int, int]] = Counter()
    pl = solution.placement
    for rc in ev.route_costs:
        b = 1
        for j, k in zip(rc.servers, rc.blocks):
            e = b + k - 1
            first[j] = min(first.get(j, b), b)
            flows[(rc.client, j, b, e)] += rc.count
            b = e + 1
    for j in range(n):
        model.idle[j].set_value(0 if j in first else 1, skip_validation=True)
    if any(model.idle[j].fixed and j not in first for j in range(n)):
        raise SolutionError("warm_start: leaves a server idle that cannot "
                            "hold an idle block (M_j < s_m)")
    for j, a, e in model.HOST:
        on = j in first and first[j] == a and pl.end(j) - 1 == e
        model.y[j, a, e].set_value(1 if on else 0, skip_validation=True)
    for key in model.SEG:
        model.g[key].set_value(flows.get(key, 0), skip_validation=True)


def solve_milp_interval(instance: Instance,
                        params: SolveParams | None = None) -> Result:
    """Solve BPRR exactly with the interval-flow MILP.

    Parameters
    ----------
    instance
        The problem data.
    params
        ``solver`` (default HiGHS, run without presolve), ``time_limit``,
        ``mip_gap``, ``threads``, ``seed``, ``verbose``, ``allow_unused``;
        ``warm_start``: a feasible :class:`~bprr_opt.solution.Solution` or
        the name of a method whose solution starts the search (e.g.
        ``"cg-bprr"``).

    Returns
    -------
    Result
        Status from the solver (``optimal`` only when proven); placement and
        routes read from the incumbent and re-checked by the evaluator;
        objective and best bound in ``avg_per_token_ms``.

    Raises
    ------
    SolverUnavailableError
        If the solver is missing or refuses the model.
    SolutionError
        If a given warm start is not feasible.
    EvaluatorMismatchError
        If the solver's objective and the evaluator disagree (a bug).

    Notes
    -----
    Same optimum as :func:`bprr_opt.exact.milp.solve_milp_paper` (module
    docstring); no symmetry between requests of one client.

    Examples
    --------
    >>> from bprr_opt.generators import random_instance
    >>> inst = random_instance(3, 1, 2, L=4, regime="loose", seed=1)
    >>> solve_milp_interval(inst).status.value
    'optimal'
    """
    params = params or SolveParams()
    t0 = time.perf_counter()
    model = build_interval_model(instance, allow_unused=params.allow_unused)
    warm, notes = warm_start_solution(instance, params)
    if warm is not None:
        set_interval_warm_start(instance, model, warm)
    scale = instance.l_max * max(1, instance.num_requests)
    run = run_solver(model, params.solver_options(), objective_scale=scale,
                     warm_start=warm is not None,
                     solver_options={"highs": HIGHS_OPTIONS})
    return formulation_result(instance, params, model, run,
                              method="milp-interval",
                              extract=solution_from_interval_model,
                              started=t0, warm=warm, notes=notes)

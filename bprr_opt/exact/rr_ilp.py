"""RR-ILP: optimal request routing for a fixed block placement (eq. (19)).

For a fixed placement the routing problem is an integer multi-commodity flow
on the placement's feasible-edge graph (Lemma 3.1; :mod:`bprr_opt.chains.hops`):
one commodity per client, ``N_c`` units from ``S_c`` to ``D_c``, coupled only
by the memory rows.  Model components (``shared/spec/online-and-simulator.md``
§9):

=====================  =======================================================
component              paper
=====================  =======================================================
``K``                  clients with requests
``LINKS``              feasible links ``(i, j)``: ``S -> j`` iff ``a_j = 1``;
                       ``i -> j`` iff ``a_j <= a_i + m_i <= a_j + m_j - 1``;
                       ``j -> D`` iff ``a_j + m_j = L + 1``
``g[c,i,j]``           ``f_{c,l}``: client-``c`` requests on link ``l``,
                       integer in ``[0, N_c]`` (19d-e)
``obj_19a``            ``sum l_max (t_cj + tau_j k_ij) g``
``memory_19b[j]``      ``s_c sum k_ij g <= M_j - s_m m_j``
``flow_19c[c,v]``      out - in = ``N_c`` at ``S``, ``-N_c`` at ``D``, else 0
=====================  =======================================================

When memory cannot bind -- every used server keeps room for every request on
all of its blocks, ``s_m m_j + s_c |R| m_j <= M_j`` -- the clients decouple
and one shortest chain per client is optimal (Lemma 3.4 of [1]_);
:func:`route_optimally` then skips the ILP.

References
----------
.. [1] Sun, He, Ji, Parag, arXiv:2512.21884, eq. (19) and Lemma 3.4.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from typing import Any

from ..backends import run_solver
from ..chains.hops import SOURCE as HOP_SOURCE
from ..chains.hops import feasible_hops
from ..chains.shortest import shortest_chain, shortest_path_solution
from ..errors import BprrError, SolutionError
from ..evaluate import evaluate
from ..instance import Instance
from ..numerics import memory_fits
from ..params import SolveParams
from ..result import Result, Status, build_result
from ..solution import Placement, Route, Solution
from .warm import warm_start_solution

__all__ = [
    "build_rr_model",
    "memory_cannot_bind",
    "route_optimally",
    "solve_rr_ilp",
    "solve_rr_ilp_method",
]

SOURCE = "S"
SINK = "D"
METHOD = "rr-ilp"
_SCOPE = "optimal routing for the given placement (not a bound on BPRR)"


def _check_placement(instance: Instance, placement: Placement) -> None:
    n, L = instance.num_servers, instance.L
    if len(placement.num_blocks) != n:
        raise SolutionError(
            f"placement: has {len(placement.num_blocks)} servers, instance "
            f"{instance.name!r} has {n}")
    for j, s in enumerate(instance.servers):
        a, m = placement.first_block[j], placement.num_blocks[j]
        if m < 0 or (m > 0 and (a < 1 or a + m - 1 > L)):
            raise SolutionError(
                f"placement: server {s.id} hosts blocks {a}..{a + m - 1}, "
                f"outside 1..{L}")


def _links(instance: Instance, placement: Placement
           ) -> list[tuple[Any, Any, int]]:
    """Feasible links ``(i, j, k)``; ``k`` = blocks processed at ``j``."""
    L = instance.L
    links: list[tuple[Any, Any, int]] = []
    for hop in feasible_hops(placement, L):
        i = SOURCE if hop.i == HOP_SOURCE else hop.i
        links.append((i, hop.j, hop.k))
    for j in range(instance.num_servers):
        if placement.num_blocks[j] > 0 and placement.end(j) == L + 1:
            links.append((j, SINK, 0))
    return links


def memory_cannot_bind(instance: Instance, placement: Placement) -> bool:
    """Whether every used server fits all requests on all of its blocks.

    That is ``s_m m_j + s_c |R| m_j <= M_j`` (with the package tolerance) for
    every ``j`` with ``m_j >= 1``; then routing each client on a shortest
    chain is optimal for ``placement``.
    """
    R = instance.num_requests
    return all(
        memory_fits(instance.s_m * m + instance.s_c * R * m, s.memory)
        for s, m in zip(instance.servers, placement.num_blocks) if m > 0)


def build_rr_model(instance: Instance, placement: Placement) -> Any:
    """Build the RR-ILP (19) of ``placement`` as a Pyomo model.

    Returns
    -------
    model : pyomo.environ.ConcreteModel
        Components named after eq. (19) (module docstring); the objective is
        ``l_max`` times the sum of per-token times.

    Raises
    ------
    SolutionError
        If ``placement`` does not fit the instance (length, block range).

    Notes
    -----
    ``|K| |LINKS|`` integer variables, ``|LINKS| = O(|V_s|^2)``.
    """
    import pyomo.environ as pyo

    _check_placement(instance, placement)
    n = instance.num_servers
    links = _links(instance, placement)
    k_of = {(i, j): k for i, j, k in links}
    active = [c for c, cl in enumerate(instance.clients) if cl.requests > 0]
    demand = {c: instance.clients[c].requests for c in active}

    model = pyo.ConcreteModel(name=f"bprr_rr_{instance.name}")
    model.K = pyo.Set(initialize=active, ordered=True, doc="clients")
    model.V_s = pyo.Set(initialize=range(n), ordered=True, doc="servers")
    model.N = pyo.Set(initialize=[SOURCE, *range(n), SINK], ordered=True,
                      doc="nodes")
    model.LINKS = pyo.Set(initialize=[(i, j) for i, j, _ in links], dimen=2,
                          ordered=True, doc="feasible links (19e)")
    model.g = pyo.Var(model.K, model.LINKS, within=pyo.NonNegativeIntegers,
                      bounds=lambda mdl, c, i, j: (0, demand[c]),
                      doc="(19d) requests of client c on link (i, j)")

    clients, servers = instance.clients, instance.servers
    model.obj_19a = pyo.Objective(
        expr=sum(instance.l_max * (clients[c].rtt[j] + servers[j].tau
                                   * k_of[i, j]) * model.g[c, i, j]
                 for c in active for i, j in model.LINKS if j != SINK),
        sense=pyo.minimize, doc="(19a) l_max * sum of per-token times")

    into = {j: [i for i, jj in model.LINKS if jj == j] for j in range(n)}

    def memory_rule(mdl: Any, j: int) -> Any:
        if not into[j]:
            return pyo.Constraint.Skip
        return (instance.s_c * sum(k_of[i, j] * mdl.g[c, i, j]
                                   for c in active for i in into[j])
                <= servers[j].memory - instance.s_m * placement.num_blocks[j])
    model.memory_19b = pyo.Constraint(model.V_s, rule=memory_rule,
                                      doc="(19b) memory")

    out_of = {v: [w for u, w in model.LINKS if u == v] for v in model.N}
    in_of = {v: [u for u, w in model.LINKS if w == v] for v in model.N}

    def flow_rule(mdl: Any, c: int, v: Any) -> Any:
        rhs = {SOURCE: demand[c], SINK: -demand[c]}.get(v, 0)
        if not out_of[v] and not in_of[v]:
            return pyo.Constraint.Skip  # unused server (S, D have links)
        return (sum(mdl.g[c, v, w] for w in out_of[v])
                - sum(mdl.g[c, u, v] for u in in_of[v]) == rhs)
    model.flow_19c = pyo.Constraint(model.K, model.N, rule=flow_rule,
                                    doc="(19c) flow conservation")
    return model


def _routes_from_flows(instance: Instance, model: Any) -> tuple[Route, ...]:
    """Peel one path per request: lowest-index successor with flow left."""
    rank = {SOURCE: -1, SINK: instance.num_servers}
    routes = []
    for c in model.K:
        left = {(i, j): int(round(model.g[c, i, j].value or 0))
                for i, j in model.LINKS}
        succ: dict[Any, list[Any]] = {}
        for i, j in model.LINKS:
            succ.setdefault(i, []).append(j)
        for v in succ:
            succ[v].sort(key=lambda w: rank.get(w, w))
        counts: Counter[tuple[int, ...]] = Counter()
        for _ in range(instance.clients[c].requests):
            node: Any = SOURCE
            chain: list[int] = []
            while node != SINK:
                nxt = next((w for w in succ.get(node, [])
                            if left[node, w] > 0), None)
                if nxt is None or len(chain) > instance.num_servers:
                    raise BprrError(
                        f"{METHOD}: flow of client {c} does not decompose "
                        f"into {instance.clients[c].requests} paths")
                left[node, nxt] -= 1
                node = nxt
                if node != SINK:
                    chain.append(node)
            counts[tuple(chain)] += 1
        routes.extend(Route(c, chain, k) for chain, k in counts.items())
    return tuple(routes)


def _set_start(model: Any, solution: Solution) -> None:
    flows: Counter[tuple[int, Any, Any]] = Counter()
    for r in solution.routes:
        nodes = [SOURCE, *r.servers, SINK]
        for h in range(len(nodes) - 1):
            flows[r.client, nodes[h], nodes[h + 1]] += r.count
    for c, i, j in model.g:
        model.g[c, i, j].set_value(flows.get((c, i, j), 0),
                                   skip_validation=True)


def _trivial(instance: Instance, placement: Placement, t0: float,
             how: str) -> Result:
    """No request to route: the placement alone is the answer."""
    sol = Solution(placement, ())
    ok = evaluate(instance, sol).feasible
    return build_result(
        instance, sol if ok else None, method=METHOD,
        status=Status.OPTIMAL if ok else Status.INFEASIBLE,
        runtime_s=time.perf_counter() - t0,
        message=f"{how}: no requests" + ("" if ok else
                                         "; the blocks alone overflow memory"),
        stats={"scope": _SCOPE, "path": how})


def _no_chain(instance: Instance, t0: float, how: str) -> Result:
    """The placement leaves a block uncovered: nothing can be routed."""
    return build_result(
        instance, None, method=METHOD, status=Status.INFEASIBLE,
        runtime_s=time.perf_counter() - t0,
        message=f"{how}: no feasible chain (some block is not covered)",
        stats={"scope": _SCOPE, "path": how})


def solve_rr_ilp(instance: Instance, placement: Placement,
                 params: SolveParams | None = None) -> Result:
    """Route every request optimally over a fixed ``placement`` (RR-ILP).

    Parameters
    ----------
    instance
        The problem data.
    placement
        The fixed block placement (servers with ``m_j = 0`` host nothing).
    params
        Solver options (``solver``, ``time_limit``, ``mip_gap``, ``threads``,
        ``seed``, ``verbose``).  If ``params.warm_start`` has this placement
        and is feasible, its routes are the MIP start.  Default
        ``SolveParams()``.

    Returns
    -------
    Result
        ``optimal`` means optimal *routing for this placement* (proven by the
        solver); ``bound`` is left empty because the routing optimum is no
        lower bound on the BPRR optimum -- the solver's routing bound is in
        ``stats["rr_bound_avg_per_token_ms"]``.  ``infeasible`` when no
        routing of the placement fits in memory.

    Raises
    ------
    SolutionError
        If ``placement`` does not fit the instance.
    SolverUnavailableError
        If the solver is missing.

    See Also
    --------
    route_optimally : skips the ILP when memory cannot bind.

    Notes
    -----
    Integer multi-commodity flow; NP-hard in general because memory couples
    the clients, but small: ``|V_c| O(|V_s|^2)`` variables.  Paths are peeled
    from the flows taking the lowest-index successor first.

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, eq. (19).
    """
    params = params or SolveParams()
    t0 = time.perf_counter()
    _check_placement(instance, placement)
    if instance.num_requests == 0:
        return _trivial(instance, placement, t0, "ilp")
    if shortest_chain(instance, placement, 0) is None:
        return _no_chain(instance, t0, "ilp")
    model = build_rr_model(instance, placement)
    warm = params.warm_start
    use_start = (isinstance(warm, Solution) and warm.placement == placement
                 and evaluate(instance, warm).feasible)
    if use_start:
        _set_start(model, warm)
    scale = instance.l_max * instance.num_requests
    run = run_solver(model, params.solver_options(), objective_scale=scale,
                     warm_start=use_start)
    solution = None
    if run.has_solution:
        solution = Solution(placement, _routes_from_flows(instance, model))
    stats = {"scope": _SCOPE, "path": "ilp", **run.stats,
             "rr_bound_avg_per_token_ms": run.bound,
             "variables": model.nvariables(),
             "constraints": model.nconstraints()}
    return build_result(
        instance, solution, method=METHOD, status=run.status,
        runtime_s=time.perf_counter() - t0, solver=run.solver, bound=None,
        solver_objective=run.objective, message=run.message, stats=stats)


def route_optimally(instance: Instance, placement: Placement,
                    params: SolveParams | None = None) -> Result:
    """Route optimally over ``placement``, by shortest chains when possible.

    If memory cannot bind (:func:`memory_cannot_bind`), every client's
    requests all take its shortest chain (:func:`bprr_opt.chains.shortest.
    shortest_path_solution`), which is optimal for the placement; otherwise
    the RR-ILP is solved (:func:`solve_rr_ilp`).

    Returns
    -------
    Result
        As :func:`solve_rr_ilp`; ``stats["path"]`` says which way was taken.

    Notes
    -----
    Fast path ``O(|V_c| |V_s|^2)``.
    """
    params = params or SolveParams()
    t0 = time.perf_counter()
    _check_placement(instance, placement)
    if not memory_cannot_bind(instance, placement):
        return solve_rr_ilp(instance, placement, params)
    if instance.num_requests == 0:
        return _trivial(instance, placement, t0, "shortest-path")
    solution = shortest_path_solution(instance, placement)
    if solution is None:
        return _no_chain(instance, t0, "shortest-path")
    return build_result(
        instance, solution, method=METHOD, status=Status.OPTIMAL,
        runtime_s=time.perf_counter() - t0,
        message="shortest-path: memory cannot bind (Lemma 3.4)",
        stats={"scope": _SCOPE, "path": "shortest-path"})


def solve_rr_ilp_method(instance: Instance, params: SolveParams,
                        placement: Placement | None = None) -> Result:
    """``solve(instance, "rr-ilp", params, placement=...)``: route a placement.

    Parameters
    ----------
    instance
        The problem data.
    params
        Solver options (``solver``, ``time_limit``, ``mip_gap``, ``threads``,
        ``seed``, ``verbose``); ``warm_start``: routes to start from (a
        solution, or a method whose solution to use, e.g. ``"petals"`` for
        the paper's "RR only" ablation) -- their MIP start when they have
        ``placement`` and are feasible.
    placement
        The fixed placement.  Without it (the older spelling) the warm
        start's placement is routed.

    Raises
    ------
    BprrError
        If there is neither a placement nor a warm start holding one.
    """
    if placement is None and params.warm_start is None:
        raise BprrError(
            "warm_start: rr-ilp routes a fixed placement; pass it as the "
            "placement (--placement solution.json) or a solution holding it")
    given, notes = warm_start_solution(instance, params)
    if placement is None:
        if given is None:
            raise BprrError(f"warm_start: no placement to route ({notes[0]})")
        placement = given.placement
    res = route_optimally(instance, placement,
                          replace(params, warm_start=given))
    if notes:
        res = replace(res, message="; ".join([res.message, *notes]))
    return res

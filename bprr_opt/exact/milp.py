"""The paper's BPRR MILP (13) with the alpha/beta/gamma/delta linearisation.

Every component of the Pyomo model carries the name of the paper equation it
implements (``shared/spec/bprr-model.md`` §2), so that the model -- and the
MPS/LP files written from it by :mod:`bprr_opt.exact.export` -- can be read
against the paper line by line:

=====================  =========================================================
component              paper
=====================  =========================================================
``V_s``, ``R``         servers, requests (request ``r`` belongs to client ``c(r)``)
``E``                  edges ``(i, j)``: ``S -> j``, ``i -> j`` (``i != j``),
                       ``j -> D``; for request ``r``, ``S``/``D`` stand for its
                       client's ``S_c(r)``/``D_c(r)``
``RE``                 pairs (request, edge): the index of ``f`` and the
                       auxiliaries
``f[r,i,j]``           ``f^r_ij in {0, 1}``
``a[j]``, ``m[j]``     first block and number of blocks of server ``j``
``alpha`` ...          ``alpha = f a_j``, ``beta = f a_i``, ``gamma = f m_j``,
``delta``              ``delta = f m_i``
``obj_13a``            objective (13a)
``memory_13b[j]``      (13b) memory
``flow_13c[r,v]``      (13c) flow conservation
``range_13d[j]``       (13d) ``a_j + m_j <= L + 1``
``left_13e[r,i,j]``    (13e) ``alpha <= a_i + m_i``  (``<= 1`` when ``i = S``)
``right_13f[r,i,j]``   (13f) ``beta + delta <= a_j + m_j - 1``
                       (``<= L + 1`` when ``j = D``)
``mc_<x>_f``,          McCormick rows of ``x = f y``, ``y in [0, U]``:
``mc_<x>_y``,          ``x <= U f``, ``x <= y``, ``x >= y - U (1 - f)``
``mc_<x>_lo``
=====================  =========================================================

The source and sink are pseudo-servers with ``a_S = 0, m_S = 1`` and
``a_D = L + 1, m_D = 1``; their products are constants times ``f`` and are
written as the same three McCormick rows with ``y = U = the constant`` (which
pins ``x = const * f``).  So (13e) at ``i = S`` reads ``alpha <= 0 + 1`` and
(13f) at ``j = D`` reads ``beta + delta <= (L + 1) + 1 - 1``, as in the paper.

One presentational difference: the paper defines ``f^r`` on the edges of every
client's source and sink; (13c) forces ``f^r = 0`` on the edges of the other
clients (a source has no in-edges, a sink no out-edges), so those variables
are left out.  The feasible set and the optimum are the same.

Memory row (13b) uses ``M_j`` as given; the solver's feasibility tolerance is
``1e-9`` (:mod:`bprr_opt.backends`), inside the evaluator's
``1e-9 max(1, M_j)`` (:mod:`bprr_opt.numerics`).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from ..errors import BprrError, SolutionError
from ..evaluate import evaluate
from ..instance import Instance
from ..params import SolveParams
from ..result import Result
from ..solution import Placement, Route, Solution, with_idle_blocks
from ..backends import run_solver
from .formulation import formulation_result
from .warm import warm_start_solution

__all__ = [
    "build_paper_model",
    "set_paper_warm_start",
    "solution_from_paper_model",
    "solve_milp_paper",
]

SOURCE = "S"
SINK = "D"


def _request_clients(instance: Instance) -> list[int]:
    """``c(r)`` for ``r = 0..|R|-1`` (requests numbered client by client)."""
    return [c for c, cl in enumerate(instance.clients)
            for _ in range(cl.requests)]


def _edges(n: int) -> list[tuple[Any, Any]]:
    """The logical topology of one request: ``S -> j``, ``i -> j``, ``j -> D``."""
    edges: list[tuple[Any, Any]] = [(SOURCE, j) for j in range(n)]
    edges += [(i, j) for i in range(n) for j in range(n) if i != j]
    edges += [(j, SINK) for j in range(n)]
    return edges


def build_paper_model(instance: Instance, *, allow_unused: bool = False) -> Any:
    """Build the paper's MILP (13a)-(13f) for ``instance`` as a Pyomo model.

    Parameters
    ----------
    instance
        The problem data.
    allow_unused
        Let ``m_j = 0`` (server hosts nothing) instead of the paper's
        ``m_j >= 1``.  A server with ``m_j = 0`` cannot be on a path: (13e)
        and (13f) on an edge into it demand
        ``a_j <= a_i + m_i <= a_j - 1``.  Default False.

    Returns
    -------
    model : pyomo.environ.ConcreteModel
        Components named after the paper's equations (module docstring).
        Its objective is (13a): ``l_max`` times the sum over requests of the
        per-token time, i.e. ``l_max |R|`` times ``avg_per_token_ms``.

    Notes
    -----
    ``|R| (|V_s|^2 + |V_s|)`` edges per request-edge family; ``5`` variables
    and ``14`` rows per request-edge (``f``, four auxiliaries; (13e), (13f)
    and twelve McCormick rows), plus ``O(|R| |V_s|)`` flow rows and
    ``O(|V_s|)`` placement and memory rows: ``O(|R| |V_s|^2)`` in all [1]_.

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, MILP (13).
    """
    import pyomo.environ as pyo

    L = instance.L
    n = instance.num_servers
    servers = instance.servers
    clients = instance.clients
    req_client = _request_clients(instance)
    edges = _edges(n)

    model = pyo.ConcreteModel(name=f"bprr_paper_{instance.name}")
    model.V_s = pyo.Set(initialize=range(n), ordered=True,
                        doc="servers j")
    model.R = pyo.Set(initialize=range(len(req_client)), ordered=True,
                      doc="requests r (client c(r) = req_client[r])")
    model.N = pyo.Set(initialize=[SOURCE, *range(n), SINK], ordered=True,
                      doc="nodes of a request's logical topology")
    model.E = pyo.Set(initialize=edges, dimen=2, ordered=True,
                      doc="edges (i, j): S->j, i->j, j->D")
    model.RE = pyo.Set(initialize=[(r, i, j) for r in range(len(req_client))
                                   for i, j in edges],
                       dimen=3, ordered=True, doc="request-edge pairs")

    # -- variables (bounds of §2) -------------------------------------------
    model.f = pyo.Var(model.RE, within=pyo.Binary, doc="f^r_ij")
    model.a = pyo.Var(model.V_s, within=pyo.Integers, bounds=(1, L),
                      doc="first block a_j")
    model.m = pyo.Var(model.V_s, within=pyo.Integers,
                      bounds=(0 if allow_unused else 1, L),
                      doc="number of blocks m_j")
    model.alpha = pyo.Var(model.RE, bounds=(0, L + 1), doc="f * a_j")
    model.beta = pyo.Var(model.RE, bounds=(0, L), doc="f * a_i")
    model.gamma = pyo.Var(model.RE, bounds=(0, L), doc="f * m_j")
    model.delta = pyo.Var(model.RE, bounds=(0, L), doc="f * m_i")

    # pseudo-server conventions: a_S = 0, m_S = 1; a_D = L + 1, m_D = 1
    def a_of(v: Any) -> Any:
        if v == SOURCE:
            return 0
        if v == SINK:
            return L + 1
        return model.a[v]

    def m_of(v: Any) -> Any:
        if v in (SOURCE, SINK):
            return 1
        return model.m[v]

    def blocks(r: int, i: Any, j: Any) -> Any:
        """``alpha - beta + gamma - delta`` = blocks processed at ``j``."""
        return (model.alpha[r, i, j] - model.beta[r, i, j]
                + model.gamma[r, i, j] - model.delta[r, i, j])

    # -- (13a) objective ----------------------------------------------------
    l_max = instance.l_max
    model.obj_13a = pyo.Objective(
        expr=sum(l_max * (clients[req_client[r]].rtt[j] * model.f[r, i, j]
                          + servers[j].tau * blocks(r, i, j))
                 for r, i, j in model.RE if j != SINK),
        sense=pyo.minimize, doc="(13a) l_max * sum of per-token times")

    # -- (13b) memory -------------------------------------------------------
    into = {j: [(r, i) for r, i, jj in model.RE if jj == j] for j in range(n)}

    def memory_rule(mdl: Any, j: int) -> Any:
        return (instance.s_m * mdl.m[j]
                + instance.s_c * sum(blocks(r, i, j) for r, i in into[j])
                <= servers[j].memory)
    model.memory_13b = pyo.Constraint(model.V_s, rule=memory_rule,
                                      doc="(13b) memory")

    # -- (13c) flow conservation ---------------------------------------------
    out_edges = {v: [w for (u, w) in edges if u == v] for v in model.N}
    in_edges = {v: [u for (u, w) in edges if w == v] for v in model.N}
    supply = {SOURCE: 1, SINK: -1}

    def flow_rule(mdl: Any, r: int, v: Any) -> Any:
        return (sum(mdl.f[r, v, w] for w in out_edges[v])
                - sum(mdl.f[r, u, v] for u in in_edges[v])
                == supply.get(v, 0))
    model.flow_13c = pyo.Constraint(model.R, model.N, rule=flow_rule,
                                    doc="(13c) flow conservation")

    # -- (13d) block range ---------------------------------------------------
    model.range_13d = pyo.Constraint(
        model.V_s, rule=lambda mdl, j: mdl.a[j] + mdl.m[j] <= L + 1,
        doc="(13d) a_j + m_j <= L + 1")

    # -- (13e), (13f) path feasibility (Lemma 3.1) ---------------------------
    model.left_13e = pyo.Constraint(
        model.RE, rule=lambda mdl, r, i, j: mdl.alpha[r, i, j]
        <= a_of(i) + m_of(i),
        doc="(13e) alpha <= a_i + m_i")
    model.right_13f = pyo.Constraint(
        model.RE, rule=lambda mdl, r, i, j: mdl.beta[r, i, j]
        + mdl.delta[r, i, j] <= a_of(j) + m_of(j) - 1,
        doc="(13f) beta + delta <= a_j + m_j - 1")

    # -- McCormick rows for x = f * y, y in [0, U] --------------------------
    def mccormick(name: str, y_of: Any) -> None:
        x = getattr(model, name)

        def y_and_u(i: Any, j: Any) -> tuple[Any, float]:
            y = y_of(i, j)
            # a constant y (pseudo-server) uses U = y, which pins x = y f
            return y, (float(y) if isinstance(y, (int, float)) else float(L))

        model.add_component(f"mc_{name}_f", pyo.Constraint(
            model.RE, rule=lambda mdl, r, i, j:
            x[r, i, j] <= y_and_u(i, j)[1] * mdl.f[r, i, j],
            doc=f"McCormick {name} <= U f"))
        model.add_component(f"mc_{name}_y", pyo.Constraint(
            model.RE, rule=lambda mdl, r, i, j: x[r, i, j] <= y_and_u(i, j)[0],
            doc=f"McCormick {name} <= y"))
        model.add_component(f"mc_{name}_lo", pyo.Constraint(
            model.RE, rule=lambda mdl, r, i, j: x[r, i, j]
            >= y_and_u(i, j)[0] - y_and_u(i, j)[1] * (1 - mdl.f[r, i, j]),
            doc=f"McCormick {name} >= y - U (1 - f)"))

    mccormick("alpha", lambda i, j: a_of(j))  # alpha = f a_j
    mccormick("beta", lambda i, j: a_of(i))  # beta = f a_i
    mccormick("gamma", lambda i, j: m_of(j))  # gamma = f m_j
    mccormick("delta", lambda i, j: m_of(i))  # delta = f m_i

    model.req_client = req_client  # plain data for the extractors
    return model


def solution_from_paper_model(instance: Instance, model: Any) -> Solution:
    """Read the placement and the routes from a solved paper model.

    ``a`` and ``m`` are rounded to the nearest integer (a server with
    ``m_j = 0`` hosts nothing); each request's path is followed from ``S``
    along its edges with ``f > 1/2``; identical chains of a client are merged
    into one :class:`~bprr_opt.solution.Route` (in order of first use).

    Raises
    ------
    BprrError
        If the values do not describe one path per request (a solver that
        returned a non-integral or inconsistent point).
    """
    import pyomo.environ as pyo

    n = instance.num_servers
    a = [int(round(pyo.value(model.a[j]))) for j in range(n)]
    m = [int(round(pyo.value(model.m[j]))) for j in range(n)]
    placement = Placement.from_arrays(a, m)
    succ: dict[tuple[int, Any], list[Any]] = {}
    for r, i, j in model.RE:
        v = model.f[r, i, j].value
        if v is not None and v > 0.5:
            succ.setdefault((r, i), []).append(j)
    counts: Counter[tuple[int, tuple[int, ...]]] = Counter()
    for r, c in enumerate(model.req_client):
        chain: list[int] = []
        node: Any = SOURCE
        while node != SINK:
            nxt = succ.get((r, node), [])
            if len(nxt) != 1 or len(chain) > n:
                raise BprrError(
                    f"milp-paper: request {r} has {len(nxt)} outgoing edges "
                    f"with f > 1/2 at node {node!r}; not a path")
            node = nxt[0]
            if node != SINK:
                chain.append(node)
        counts[(c, tuple(chain))] += 1
    routes = tuple(Route(c, chain, k) for (c, chain), k in counts.items())
    return Solution(placement, routes)


def _padded_warm_start(instance: Instance, warm: Solution,
                       allow_unused: bool) -> tuple[Solution, str]:
    """Check a warm start and give idle servers one block if ``m_j >= 1``."""
    ev = evaluate(instance, warm, allow_unused=True)
    if not ev.feasible:
        raise SolutionError(
            f"warm_start: not a feasible solution of instance "
            f"{instance.name!r}: {ev.violations[0].message}")
    if allow_unused:
        return warm, ""
    padded, given, _ = with_idle_blocks(instance, warm)
    note = f"warm start: gave idle server(s) {', '.join(given)} one block" \
        if given else ""
    return padded, note


def set_paper_warm_start(instance: Instance, model: Any,
                         solution: Solution) -> None:
    """Set every variable of a paper model to the values of ``solution``.

    ``f`` follows each route (requests of a client take the routes in order),
    ``a``, ``m`` come from the placement (1 for a server hosting nothing, a
    value the solver will reject if ``m_j >= 1`` is required), and the four
    auxiliaries are the exact products, so the point satisfies every row when
    the solution is feasible.
    """
    L = instance.L
    n = instance.num_servers
    pl = solution.placement
    a_val = {j: (pl.first_block[j] if pl.num_blocks[j] > 0 else 1)
             for j in range(n)}
    m_val = {j: pl.num_blocks[j] for j in range(n)}
    for j in range(n):
        model.a[j].set_value(a_val[j], skip_validation=True)
        model.m[j].set_value(m_val[j], skip_validation=True)
    a_of = {"S": 0, "D": L + 1, **a_val}
    m_of = {"S": 1, "D": 1, **m_val}
    used: set[tuple[int, Any, Any]] = set()
    queue: dict[int, list[tuple[int, ...]]] = {}
    for route in solution.routes:
        queue.setdefault(route.client, []).extend([route.servers] * route.count)
    for r, c in enumerate(model.req_client):
        chains = queue.get(c, [])
        if not chains:
            continue
        chain = chains.pop(0)
        nodes = [SOURCE, *chain, SINK]
        used.update((r, nodes[h], nodes[h + 1]) for h in range(len(nodes) - 1))
    for r, i, j in model.RE:
        f = 1 if (r, i, j) in used else 0
        model.f[r, i, j].set_value(f, skip_validation=True)
        model.alpha[r, i, j].set_value(f * a_of[j], skip_validation=True)
        model.beta[r, i, j].set_value(f * a_of[i], skip_validation=True)
        model.gamma[r, i, j].set_value(f * m_of[j], skip_validation=True)
        model.delta[r, i, j].set_value(f * m_of[i], skip_validation=True)


def solve_milp_paper(instance: Instance,
                     params: SolveParams | None = None) -> Result:
    """Solve BPRR exactly with the paper's MILP (13).

    Parameters
    ----------
    instance
        The problem data.
    params
        ``solver`` (default HiGHS), ``time_limit``, ``mip_gap``, ``threads``,
        ``seed``, ``verbose``; ``warm_start`` (a feasible solution, or the
        name of a method whose solution to use, passed to the solver as a
        MIP start; servers it leaves idle get one idle block when
        ``m_j >= 1`` is required); ``allow_unused``.

    Returns
    -------
    Result
        Status from the solver (``optimal`` only when proven); the placement
        and routes read from the solver's incumbent and re-checked by the
        evaluator; the solver's objective and best bound in
        ``avg_per_token_ms`` (objective (13a) divided by ``l_max |R|``).

    Raises
    ------
    SolverUnavailableError
        If the solver is missing or its licence refuses the model.
    SolutionError
        If ``warm_start`` is not a feasible solution of ``instance``.
    EvaluatorMismatchError
        If the solver's objective and the evaluator disagree (a bug).

    See Also
    --------
    bprr_opt.exact.export.export_model : write this model as MPS or LP.

    Notes
    -----
    Exact but weak and symmetric (requests of a client are interchangeable);
    model size ``O(|R| |V_s|^2)`` (:func:`build_paper_model`).  Branch and
    bound is exponential in the worst case (the problem is NP-hard [1]_).

    Examples
    --------
    >>> from bprr_opt.generators import random_instance
    >>> inst = random_instance(3, 1, 2, L=4, regime="loose", seed=1)
    >>> solve_milp_paper(inst).status.value
    'optimal'

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, MILP (13) and Theorem 3.2.
    """
    params = params or SolveParams()
    t0 = time.perf_counter()
    model = build_paper_model(instance, allow_unused=params.allow_unused)
    given, notes = warm_start_solution(instance, params)
    warm = given is not None
    if warm:
        start, note = _padded_warm_start(instance, given, params.allow_unused)
        if note:
            notes.append(note)
        set_paper_warm_start(instance, model, start)
    scale = instance.l_max * max(1, instance.num_requests)
    run = run_solver(model, params.solver_options(), objective_scale=scale,
                     warm_start=warm)
    return formulation_result(instance, params, model, run,
                              method="milp-paper",
                              extract=solution_from_paper_model,
                              started=t0, warm=given, notes=notes)

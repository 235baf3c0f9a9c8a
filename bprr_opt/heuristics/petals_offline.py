"""PETALS offline: the baseline of the paper's batch experiments (spec §8.6).

All ``|R|`` requests are known at once.  Servers join in a random order
(seeded by ``params.seed``) and pick blocks with PETALS' rules
(:mod:`bprr_opt.heuristics.petals_rules`: block counts of spec §8.1
without the MIG cap, the window choice of §8.3 with a fixed throughput per
server); then the requests are
routed one after another on PETALS' latency graph (spec §8.5) where a server
costs a penalty ``P`` while its session counter is **exactly** 0 (⚠ spec
§14.2: the counter starts at ``floor((M_j - m_j s_m) / (m_j s_c))`` and goes
negative without penalty once over-subscribed).

The routes are returned as they are.  PETALS never checks memory, so they
can over-commit a server; the evaluator then reports the solution
infeasible, with the violated servers -- the honest outcome, not repaired.

Method names: ``petals-offline`` (``petals`` is a deprecated alias: online
``petals`` is another algorithm) and ``petals-offline-rr`` (``petals-rr``).
With the paper's convention ``m_j >= 1`` (``allow_unused`` false, the
default) servers PETALS leaves empty get one idle block that no route uses.

``petals-offline-rr`` keeps PETALS' placement and re-routes every request optimally
with the RR-ILP (eq. (19), :func:`bprr_opt.exact.rr_ilp.route_optimally`),
the "RR only" ablation of spec §9.  Unlike the authors' script, the ILP is
solved even when PETALS' routing over-commits memory (their script then
skips it and keeps PETALS' value); PETALS' routing is the MIP start only when
it is feasible.

Instance fields read (all optional, in the instance's ``extra``):

* ``online`` (a scenario's parameters): PETALS' constants
  (:meth:`bprr_opt.scenario.PetalsParams.from_instance`: ``d_model``,
  ``num_kv_groups``, ``petals_cache_tokens``, ``petals_hop_overhead_ms``,
  ``petals_penalty_ms``), ``client_raw_rtt``, ``server_rtt``;
* ``server_rtt``: raw server-to-server RTTs ``rho(i, j)`` (ms);
* ``rtt_overhead_ms``: subtracted from ``t_cj`` to get ``rho(c, j)``
  (default 0);
* per server ``petals_throughput``; default ``770.96 * (15/7) / tau_j``,
  which gives the authors' 770.96 (A100, ``tau = 15/7``) and 110.137 (MIG,
  ``tau = 15``).

Without server-to-server RTTs, ``rho(i, j)`` is taken as
``rho(c, i) + rho(c, j)``: in the hub-and-spoke model the activations do
travel ``i -> client -> j``.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5.1.
.. [2] Borzunov et al. (2023). Petals: Collaborative Inference and
       Fine-tuning of Large Models. ACL (system demonstrations).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..chains.dijkstra import dijkstra_dense
from ..chains.hops import hop_graph
from ..evaluate import ViolationKind, evaluate
from ..exact.rr_ilp import route_optimally
from ..instance import Instance
from ..numerics import floor_div
from ..params import SolveParams
from ..result import Result, Status, build_result
from ..scenario import PetalsParams
from ..solution import Placement, Route, Solution, with_idle_blocks
from .petals_rules import petals_block_counts, select_blocks

__all__ = ["METHOD", "METHOD_RR", "PetalsOffline", "petals_offline",
           "solve_petals", "solve_petals_rr"]

METHOD = "petals-offline"
METHOD_RR = "petals-offline-rr"

THROUGHPUT_A100 = 770.96  # authors' offline scalar for an A100 (tau = 15/7)
TAU_A100 = 15 / 7


@dataclass(frozen=True)
class PetalsOffline:
    """PETALS' offline placement and routes, before the evaluator's verdict.

    ``penalised`` counts the hops that paid the no-cache penalty;
    ``unrouted`` lists clients with requests but no chain (some block
    uncovered, ⚠ spec §14.17).
    """

    placement: Placement
    routes: tuple[Route, ...]
    num_blocks: tuple[int, ...]
    throughput: tuple[float, ...]
    join_order: tuple[int, ...]
    penalised: int
    unrouted: tuple[str, ...]


def _raw_rtts(instance: Instance) -> tuple[np.ndarray, np.ndarray | None]:
    """``rho(c, j)`` (clients x servers) and ``rho(i, j)`` or ``None``."""
    online = instance.extra.get("online", {})
    if not isinstance(online, Mapping):
        online = {}
    arr = instance.to_arrays()
    if "client_raw_rtt" in online:
        rho_c = np.asarray(online["client_raw_rtt"], float)
    else:
        over = float(instance.extra.get("rtt_overhead_ms", 0.0))
        rho_c = np.maximum(arr.rtt - over, 0.0)
    srv = online.get("server_rtt", instance.extra.get("server_rtt"))
    rho_s = None if srv is None else np.asarray(srv, float)
    n = instance.num_servers
    if rho_c.shape != arr.rtt.shape:
        raise ValueError(f"client_raw_rtt: expected shape {arr.rtt.shape}, "
                         f"got {rho_c.shape}")
    if rho_s is not None and rho_s.shape != (n, n):
        raise ValueError(f"server_rtt: expected shape ({n}, {n}), got "
                         f"{rho_s.shape}")
    return rho_c, rho_s


def petals_offline(instance: Instance, seed: int = 0,
                   join_order: Sequence[int] | None = None) -> PetalsOffline:
    """Place blocks and route every request the way PETALS does offline.

    Parameters
    ----------
    instance
        The problem data (see the module docstring for optional fields).
    seed
        Seed of the random join order.  Default 0.
    join_order
        Impose the join order instead (a permutation of the servers).

    Returns
    -------
    PetalsOffline

    Notes
    -----
    ``O(|V_s| L^2 log L + |R| |V_s|^2)``: block selection, then one dense
    Dijkstra per request.
    """
    k = PetalsParams.from_instance(instance)
    n, L = instance.num_servers, instance.L
    servers = instance.servers
    m = petals_block_counts([s.memory for s in servers], instance.s_m,
                            k.cache_gb, k.reserve_gb, L)
    thr = []
    for s in servers:
        given = s.extra.get("petals_throughput")
        if given is not None:
            thr.append(float(given))
        else:
            thr.append(math.inf if s.tau <= 0
                       else THROUGHPUT_A100 * TAU_A100 / s.tau)
    if join_order is None:
        order = [int(j) for j in np.random.default_rng(seed).permutation(n)]
    else:
        order = [int(j) for j in join_order]
    placement = select_blocks(m, thr, order, L)
    g = hop_graph(placement, L)
    rho_c, rho_s = _raw_rtts(instance)
    # session counters (spec §8.6)
    cap = [floor_div(s.memory - mj * instance.s_m, mj * instance.s_c)
           if mj >= 1 else 0 for s, mj in zip(servers, m)]
    routes: list[Route] = []
    unrouted: list[str] = []
    penalised = 0
    for c, cl in enumerate(instance.clients):
        counts: dict[tuple[int, ...], int] = {}
        for _ in range(cl.requests):
            W = [[0.0] * (n + 2) for _ in range(n + 2)]
            for e in range(g.num_edges):
                u, v, kk = int(g.tail[e]), int(g.head[e]), int(g.blocks[e])
                if v == n + 1:
                    w = rho_c[c, u] / 2
                else:
                    if u == n:
                        rho = rho_c[c, v]
                    elif rho_s is not None:
                        rho = rho_s[u, v]
                    else:
                        rho = rho_c[c, u] + rho_c[c, v]
                    w = rho / 2 + k.hop_overhead_ms + servers[v].tau * kk
                    if cap[v] == 0:  # ⚠ exact equality (spec §14.2)
                        w += k.penalty_ms
                W[u][v] = w
            _, path = dijkstra_dense(W, n, n + 1)
            if path is None:
                unrouted.append(cl.id)
                break
            chain = tuple(path[1:-1])
            penalised += sum(1 for j in chain if cap[j] == 0)
            for j in chain:
                cap[j] -= 1
            counts[chain] = counts.get(chain, 0) + 1
        routes.extend(Route(c, ch, cnt) for ch, cnt in counts.items())
    return PetalsOffline(placement, tuple(routes), tuple(m), tuple(thr),
                         tuple(order), penalised, tuple(unrouted))


def solve_petals(instance: Instance, params: SolveParams) -> Result:
    """``solve(instance, "petals-offline", params)``: PETALS offline, evaluated.

    Reads ``params.seed`` (the random join order) and
    ``params.allow_unused`` (module docstring).  Status ``feasible`` when
    the evaluator accepts PETALS' routes, ``infeasible`` when they
    over-commit memory (the evaluator's violations are in the result), a
    block is uncovered, or an idle server cannot hold its idle block.  Never
    ``optimal``.

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, §5.1 (PETALS baseline).
    """
    t0 = time.perf_counter()
    out = petals_offline(instance, seed=params.seed)
    runtime = time.perf_counter() - t0
    stats = {"join_order": list(out.join_order),
             "num_blocks": list(out.num_blocks),
             "penalised_hops": out.penalised}
    if out.unrouted:
        return build_result(
            instance, None, method=METHOD, status=Status.INFEASIBLE,
            runtime_s=runtime, stats=stats,
            message=f"no chain covers blocks 1..{instance.L} for clients "
                    f"{list(out.unrouted)} (PETALS left a block uncovered)")
    sol = Solution(out.placement, out.routes)
    if not params.allow_unused:
        sol = with_idle_blocks(instance, sol)[0]
    res = build_result(instance, sol, method=METHOD, status=None,
                       runtime_s=runtime, stats=stats,
                       allow_unused=params.allow_unused)
    if not res.is_feasible():
        n_mem = sum(1 for v in res.evaluation.violations
                    if v.kind is ViolationKind.MEMORY)
        message = (f"PETALS' routes over-commit memory on {n_mem} server(s) "
                   "(PETALS does not check memory; not repaired)" if n_mem
                   else res.evaluation.violations[0].message)
        res = build_result(
            instance, sol, method=METHOD, status=Status.INFEASIBLE,
            runtime_s=runtime, stats=stats, message=message,
            allow_unused=params.allow_unused)
    return res


def solve_petals_rr(instance: Instance, params: SolveParams) -> Result:
    """``solve(instance, "petals-offline-rr", params)``: PETALS' placement,
    optimal routing (RR-ILP, eq. (19)).

    Reads ``seed`` (PETALS' join order), the solver options of the RR-ILP
    (``solver``, ``time_limit``, ``mip_gap``, ``threads``, ``verbose``) and
    ``allow_unused`` (idle servers get an idle block after the routing).

    The status is ``feasible`` when the re-routing fits in memory (optimal
    *routing* of PETALS' placement -- never an optimum of the BPRR problem,
    so never ``optimal``), ``infeasible`` when no routing of the placement
    fits, ``no_solution`` when the solver stopped without one.  The RR-ILP's
    own status and bound are in ``stats``.
    """
    t0 = time.perf_counter()
    out = petals_offline(instance, seed=params.seed)
    stats = {"join_order": list(out.join_order),
             "num_blocks": list(out.num_blocks)}
    if out.unrouted:
        return build_result(
            instance, None, method=METHOD_RR, status=Status.INFEASIBLE,
            runtime_s=time.perf_counter() - t0, stats=stats,
            message="PETALS left a block uncovered: no routing exists")
    petals_sol = Solution(out.placement, out.routes)
    warm = petals_sol if evaluate(instance, petals_sol).feasible else None
    rr = route_optimally(instance, out.placement,
                         dataclasses.replace(params, warm_start=warm))
    stats.update({"rr_status": rr.status.value,
                  "rr_path": rr.stats.get("path"),
                  "rr_bound_avg_per_token_ms":
                      rr.stats.get("rr_bound_avg_per_token_ms"),
                  "petals_routing_feasible": warm is not None})
    runtime = time.perf_counter() - t0
    if rr.solution is None:
        status = Status.INFEASIBLE if rr.status == Status.INFEASIBLE \
            else Status.NO_SOLUTION
        return build_result(instance, None, method=METHOD_RR,
                            status=status, runtime_s=runtime, stats=stats,
                            solver=rr.solver, message=rr.message)
    solution = rr.solution
    if not params.allow_unused:  # after routing: no route uses the padding
        solution = with_idle_blocks(instance, solution)[0]
    return build_result(instance, solution, method=METHOD_RR,
                        status=None, runtime_s=runtime, solver=rr.solver,
                        stats=stats, message=rr.message,
                        allow_unused=params.allow_unused)

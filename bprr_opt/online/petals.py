"""PETALS online and its ablations (spec §8.1-8.5, §8.7).

PETALS [2]_ places blocks as servers join and routes each request on its own
latency estimate:

* **block count** (§8.1) and **block selection** (§8.3): the rules of
  :mod:`bprr_opt.heuristics.petals_rules`, with a 4096-token attention cache
  per hosted block and a 2 GiB autograd reserve; MIG slices capped at 4
  online;
* **throughput** (§8.2): ``thr_j = min(forward_rps / ((1 + m_j) / 2),
  network_rps)``;
* **routing** (§8.5): Dijkstra on one-way delays ``rho / 2`` + 18 ms per hop +
  decode time, plus a penalty ``P`` on a server whose session capacity minus
  its active sessions is exactly 0 (⚠ spec §14.2).

The chosen chain is then *charged* by the shared simulator (§6) with the
hub-and-spoke model of the proposed method, PETALS' slot pool and
allocation delay.  Ablations (§8.7): ``opt-order`` (CG-BP's visiting order),
``opt-num`` (CG-BP's block counts, all free memory for caches) and ``opt-rr``
(PETALS' placement, each request routed by a myopic MILP, :func:`milp_router`).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5.
.. [2] Borzunov et al. (2023). Petals: Collaborative Inference and
       Fine-tuning of Large Models. ACL (system demonstrations).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

import numpy as np

from ..chains.hops import HopGraph, hop_graph
from ..errors import InstanceError
from ..heuristics.petals_rules import petals_block_counts, select_blocks
from ..numerics import floor_div
from ..scenario import CacheModel, Scenario
from .cg_bp import CGBPPlacement
from .policy import Family, OnlinePolicy, RoutingRule
from .simulator import OnlineState
from .ws_rr import free_slot_pool, static_costs

__all__ = [
    "PetalsVariant",
    "milp_router",
    "petals_graph_costs",
    "petals_policy",
    "petals_throughput",
]


class PetalsVariant(StrEnum):
    """PETALS and its ablations (spec §8.7)."""

    PETALS = "petals"
    OPT_ORDER = "opt-order"  # CG-BP's visiting order as join order
    OPT_NUM = "opt-num"  # CG-BP's block counts, all free memory for caches
    OPT_RR = "opt-rr"  # PETALS' placement, a MILP routes each request


def petals_throughput(scenario: Scenario, num_blocks: Sequence[int]
                      ) -> list[float]:
    """Throughput credited to each server (spec §8.2):
    ``min(forward_rps / ((1 + m) / 2), network_rps)``."""
    thr = []
    for j, (h, m) in enumerate(zip(scenario.hardware, num_blocks)):
        t = scenario.params.throughput.get(h)
        if t is None:
            raise InstanceError(f"servers[{j}].hardware: no PETALS throughput "
                                f"for {h!r} in online.throughput")
        thr.append(min(t.forward_rps / ((1 + m) / 2), t.network_rps))
    return thr


def petals_graph_costs(scenario: Scenario, graph: HopGraph) -> np.ndarray:
    """PETALS' per-token latency estimate per edge and client (spec §8.5).

    ``source -> j``: ``rho(c, j)/2 + overhead + tau_j k``; ``i -> j``:
    ``rho(i, j)/2 + overhead + tau_j k``; ``i -> sink``: ``rho(c, i)/2``.
    The no-cache penalty is added per request by the simulator.
    """
    p = scenario.params
    inst = scenario.instance
    n = graph.n
    tau = [s.tau for s in inst.servers]
    C = inst.num_clients
    cost = np.empty((C, graph.num_edges))
    for e in range(graph.num_edges):
        u, v, k = int(graph.tail[e]), int(graph.head[e]), int(graph.blocks[e])
        for c in range(C):
            if v == n + 1:
                cost[c, e] = p.client_raw_rtt[c][u] / 2
            elif u == n:
                cost[c, e] = p.client_raw_rtt[c][v] / 2 \
                    + p.petals_hop_overhead_ms + tau[v] * k
            else:
                cost[c, e] = p.server_rtt[u][v] / 2 \
                    + p.petals_hop_overhead_ms + tau[v] * k
    return cost


def _reserved_pool(scenario: Scenario, m: Sequence[int]) -> np.ndarray:
    """``N_j = floor(m_j C^ / s_c)`` (PETALS' cache reservation)."""
    s_c = scenario.instance.s_c
    ch = scenario.params.petals_cache_gb
    return np.array([floor_div(mj * ch, s_c) for mj in m], np.int64)


def petals_policy(scenario: Scenario, variant: PetalsVariant | str,
                  join_order: Sequence[int],
                  cgbp: CGBPPlacement | None = None) -> OnlinePolicy:
    """The online policy of PETALS or one of its ablations (spec §8.7).

    Parameters
    ----------
    scenario
        Online scenario; ``params.petals_cache_model`` selects the memory
        model of ``petals``, ``opt-order`` and ``opt-rr``.
    variant
        ``"petals"``, ``"opt-order"``, ``"opt-num"`` or ``"opt-rr"``.
    join_order
        The random join permutation of this replicate (ignored by
        ``opt-order``, which uses ``cgbp.order``).
    cgbp
        CG-BP's placement (needed by ``opt-order`` and ``opt-num``).

    Returns
    -------
    OnlinePolicy
        ``routing="petals"`` (or ``"milp"`` for ``opt-rr``), charged with
        ``A_petals``.
    """
    if variant not in tuple(PetalsVariant):
        raise ValueError(f"variant: must be one of {', '.join(PetalsVariant)}"
                         f", got {variant!r}")
    variant = PetalsVariant(variant)
    inst = scenario.instance
    p = scenario.params
    L = inst.L
    if variant in ("opt-order", "opt-num") and cgbp is None:
        raise ValueError(f"{variant}: needs CG-BP's placement (cgbp=...)")
    if variant == "opt-num":
        m = list(cgbp.num_blocks)
    else:
        m = petals_block_counts([s.memory for s in inst.servers], inst.s_m,
                                p.petals_cache_gb, p.petals_reserve_gb, L,
                                scenario.max_blocks())
    order = list(cgbp.order) if variant == "opt-order" else \
        [int(j) for j in join_order]
    if variant == "opt-order":  # servers CG-BP left unused join last
        order += [j for j in range(inst.num_servers) if j not in set(order)]
    thr = petals_throughput(scenario, m)
    placement = select_blocks(m, thr, order, L)
    free = variant == "opt-num" or p.petals_cache_model == CacheModel.FREE
    if free:
        pool = free_slot_pool(scenario, placement)
        cap = np.array([floor_div(s.memory - mj * inst.s_m, mj * inst.s_c)
                        if mj >= 1 else 0
                        for s, mj in zip(inst.servers, m)], np.int64)
    else:
        pool = _reserved_pool(scenario, m)
        cap = np.full(inst.num_servers,
                      floor_div(p.petals_cache_gb, inst.s_c), np.int64)
    g = hop_graph(placement, L)
    if variant == "opt-rr":
        g = g.with_cost(static_costs(inst, g, p.last_hop_ms))
        routing = RoutingRule.MILP
    else:
        g = g.with_cost(petals_graph_costs(scenario, g))
        routing = RoutingRule.PETALS
    return OnlinePolicy(
        method=str(variant), family=Family.PETALS, placement=placement,
        slot_pool=pool, routing=routing, graph=g,
        allocation_delay_ms=p.allocation_delay_ms(Family.PETALS),
        initial_delay_ms=p.initial_delay_ms,
        backoff_first_ms=p.backoff_first_ms, backoff_cap_ms=p.backoff_cap_ms,
        session_capacity=cap, penalty_ms=p.petals_penalty_ms,
        stats={"join_order": tuple(order), "num_blocks": tuple(m),
               "throughput": tuple(thr)})


def milp_router(policy: OnlinePolicy, state: OnlineState, t: float,
                c: int) -> tuple[list[int] | None, float]:
    """Opt RR: route one request by a myopic MILP (spec §8.7), with HiGHS.

    On the placement's DAG, with static costs ``G`` (WS-RR's, without
    waiting; ``delta`` into the sink) and hop waits ``G^w = tau_j(k, t) -
    t``::

        min  sum_e G_e f_e + t_W
        s.t. G^w_e f_e <= t_W            (every server-entering edge)
             out - in = +1 / -1 / 0      (source / sink / servers)
             f_e in {0, 1},  t_W >= 0

    so the chain minimises static time plus its *largest* wait.  Edges into
    a server that can never hold ``k`` slots are fixed to 0.  Solved to a
    zero relative gap; ties between optimal chains may differ from the
    authors' Gurobi runs.

    Returns
    -------
    (chain, objective)
        ``(None, inf)`` if the MILP is infeasible.
    """
    import highspy

    g = policy.graph
    n, E = g.n, g.num_edges
    cost = np.concatenate([g.cost[c], [1.0]])
    lower = np.zeros(E + 1)
    upper = np.concatenate([np.ones(E), [highspy.kHighsInf]])
    starts, index, value = [], [], []
    wait_rows = []
    for e in range(E):
        v = int(g.head[e])
        if v < n:
            ts = state.earliest_start(v, int(g.blocks[e]), t)
            if ts == math.inf:
                upper[e] = 0.0
            elif ts - t > 0:
                wait_rows.append((e, ts - t))
    # constraint matrix, column-wise: flow rows 0..n+1, wait rows after
    nrow = n + 2 + len(wait_rows)
    col_entries: list[list[tuple[int, float]]] = [[] for _ in range(E + 1)]
    for e in range(E):
        col_entries[e].append((int(g.tail[e]), 1.0))
        col_entries[e].append((int(g.head[e]), -1.0))
    for q, (e, w) in enumerate(wait_rows):
        col_entries[e].append((n + 2 + q, w))
        col_entries[E].append((n + 2 + q, -1.0))
    for col in col_entries:
        starts.append(len(index))
        for r, v in sorted(col):
            index.append(r)
            value.append(v)
    starts.append(len(index))
    rlo = np.zeros(nrow)
    rhi = np.zeros(nrow)
    rlo[n], rhi[n] = 1.0, 1.0
    rlo[n + 1], rhi[n + 1] = -1.0, -1.0
    rlo[n + 2:] = -highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = E + 1
    lp.num_row_ = nrow
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = rlo
    lp.row_upper_ = rhi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, np.int32)
    lp.a_matrix_.index_ = np.array(index, np.int32)
    lp.a_matrix_.value_ = np.array(value)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * E + \
        [highspy.HighsVarType.kContinuous]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, math.inf
    f = np.asarray(h.getSolution().col_value[:E])
    obj = float(h.getInfo().objective_function_value)
    chain = []
    u = n
    while u != n + 1:
        nxt = -1
        for e in range(int(g.indptr[u]), int(g.indptr[u + 1])):
            if f[e] > 0.5:
                nxt = int(g.head[e])
                break
        if nxt < 0:
            return None, math.inf
        if nxt < n:
            chain.append(nxt)
        u = nxt
    return chain, obj

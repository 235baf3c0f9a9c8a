"""WS-RR: waiting-penalised shortest-path request routing (spec §7).

For a request arriving at ``t`` every edge into server ``j`` that makes it
process ``k`` blocks costs

    w + [t^I_cj + (l_max - 1) t_cj] + [tau^I_j + (l_max - 1) tau_j] k,
    w = tau_j(k, t) - t    (waiting for k free cache slots on j, §6),

edges into the sink cost ``delta`` (1 ms), and the chain is the Dijkstra
shortest path (authors' tie rules).  The realised wait is the *largest* hop
wait, rounded up by the backoff; ⚠ the path cost *sums* the hop waits, so
WS-RR over-penalises chains that wait at several servers (reproduced as is).

Guarantee (the tests check it).  With ``W_r = max_j w_j <= sum_j w_j``, the
realised time without backoff never exceeds the path cost:
``W_r + service_r <= path_cost_r - delta``.  With the backoff it can:
``B(W_r)`` rounds ``W_r`` up to the next retry time (``B(1001) = 3000``).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §3.3 (WS-RR,
       Corollary 3.7).
"""

from __future__ import annotations

import numpy as np

from ..chains.hops import HopGraph, hop_graph
from ..instance import Instance
from ..numerics import floor_div
from ..scenario import Scenario
from ..solution import Placement
from .policy import Family, OnlinePolicy, RoutingRule
from .simulator import prefill_arrays

__all__ = ["free_slot_pool", "static_costs", "ws_rr_policy"]


def static_costs(inst: Instance, graph: HopGraph,
                 last_hop_ms: float) -> np.ndarray:
    """WS-RR's static edge costs ``G[c, e]`` (spec §7), without waiting.

    Into server ``j`` with ``k`` blocks:
    ``[t^I_cj + (l_max - 1) t_cj] + [tau^I_j + (l_max - 1) tau_j] k``;
    into the sink: ``last_hop_ms`` (``delta``).
    """
    rtt, rtt_p, tau, tau_p = prefill_arrays(inst)
    lm1 = inst.l_max - 1
    n = graph.n
    C = rtt.shape[0]
    cost = np.empty((C, graph.num_edges))
    for e in range(graph.num_edges):
        v = int(graph.head[e])
        if v == n + 1:
            cost[:, e] = last_hop_ms
        else:
            k = int(graph.blocks[e])
            cost[:, e] = (rtt_p[:, v] + lm1 * rtt[:, v]) \
                + (tau_p[v] + lm1 * tau[v]) * k
    return cost



def free_slot_pool(scenario: Scenario, placement: Placement) -> np.ndarray:
    """``N_j = floor((M_j - m_j s_m) / s_c)``: all memory left by the weights."""
    inst = scenario.instance
    return np.array([
        floor_div(s.memory - m * inst.s_m, inst.s_c) if s.memory - m *
        inst.s_m >= 0 else 0
        for s, m in zip(inst.servers, placement.num_blocks)], np.int64)


def ws_rr_policy(scenario: Scenario, placement: Placement, *,
                 method: str = "cg-bp+ws-rr",
                 slot_pool: np.ndarray | None = None,
                 stats: dict | None = None) -> OnlinePolicy:
    """The WS-RR routing policy on ``placement``.

    Parameters
    ----------
    scenario
        Online scenario (times, memory, constants).
    placement
        Any placement (CG-BP's for the proposed method).
    method
        Label.  Default ``"cg-bp+ws-rr"``.
    slot_pool
        ``N_j``; default :func:`free_slot_pool`.
    stats
        Extra facts to carry (planned ``R``, ...).
    """
    inst = scenario.instance
    p = scenario.params
    g = hop_graph(placement, inst.L)
    g = g.with_cost(static_costs(inst, g, p.last_hop_ms))
    pool = free_slot_pool(scenario, placement) if slot_pool is None \
        else np.asarray(slot_pool, np.int64)
    return OnlinePolicy(
        method=method, family=Family.PROPOSED, placement=placement,
        slot_pool=pool, routing=RoutingRule.WS_RR, graph=g,
        allocation_delay_ms=p.allocation_delay_ms(Family.PROPOSED),
        initial_delay_ms=p.initial_delay_ms,
        backoff_first_ms=p.backoff_first_ms, backoff_cap_ms=p.backoff_cap_ms,
        stats=dict(stats or {}))

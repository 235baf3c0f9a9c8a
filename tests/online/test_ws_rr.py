"""Tests of WS-RR (spec §7)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from online_strategies import online_cases, policy_for

from bprr_opt.instance import Client, Instance, Server
from bprr_opt.online.arrivals import Arrivals, poisson_arrivals
from bprr_opt.online.cg_bp import cg_bp
from bprr_opt.chains.dijkstra import dijkstra_dense
from bprr_opt.scenario import OnlineParams, Scenario
from bprr_opt.online.simulator import simulate
from bprr_opt.generators.topology import topology_scenario
from bprr_opt.online.ws_rr import free_slot_pool, ws_rr_policy
from bprr_opt.solution import Placement


def _static_route(pol, c=0):
    g = pol.graph
    n = g.n
    W = [[0.0] * (n + 2) for _ in range(n + 2)]
    G = nx.DiGraph()
    for e in range(g.num_edges):
        u, v = int(g.tail[e]), int(g.head[e])
        W[u][v] = float(g.cost[c, e])
        G.add_edge(u, v, weight=float(g.cost[c, e]))
    return dijkstra_dense(W, n, n + 1), nx.dijkstra_path_length(
        G, n, n + 1)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31 - 1),
       graph=st.sampled_from(["Abvt", "Bellcanada", "GtsCe"]),
       R=st.integers(1, 60))
def test_no_contention_routes_like_static_shortest_path(seed, graph, R):
    """Tests that without contention (requests far apart) WS-RR takes the
    static shortest chain of the authors' Dijkstra, whose length equals
    networkx's shortest-path length on the same DAG."""
    scen = topology_scenario(graph, seed=seed)
    pol = ws_rr_policy(scen, cg_bp(scen, R).placement)
    res = simulate(scen.instance, pol, poisson_arrivals(3, 1e-15, seed=seed))
    (dist, path), nx_dist = _static_route(pol)
    assert dist == pytest.approx(nx_dist, rel=1e-12)
    for r in range(3):
        assert list(res.chains[r]) == path[1:-1]
        assert res.path_cost[r] == dist
        assert res.wait_raw[r] == 0


def test_clustered_tie_heavy_case_matches_dense_reference():
    """Tests WS-RR on the clustered scenario, where the 7 MIG servers are
    identical (ties everywhere): the compiled router takes the chain of the
    dense reference Dijkstra with the authors' tie rules."""
    from bprr_opt.generators import clustered_instance
    from bprr_opt.scenario import scenario_from_instance

    scen = scenario_from_instance(clustered_instance(variant="online"))
    pl = cg_bp(scen, 10).placement
    pol = ws_rr_policy(scen, pl)
    res = simulate(scen.instance, pol, poisson_arrivals(1, 1e-3, seed=0))
    (dist, path), _ = _static_route(pol)
    assert list(res.chains[0]) == path[1:-1]


@settings(max_examples=80)
@given(case=online_cases())
def test_path_cost_bounds_realised_time_without_backoff(case):
    """Tests the Corollary 3.7 bound in the form that holds: the realised
    time without backoff, W_r + service_r (W_r = max hop wait), never
    exceeds WS-RR's path cost minus delta (which sums the hop waits)."""
    scen, pl, pool, arr = case
    pol = policy_for(scen, pl, pool, "ws-rr")
    res = simulate(scen.instance, pol, arr)
    lm1 = scen.instance.l_max - 1
    delta = scen.params.last_hop_ms
    realised = res.wait_raw + (res.prefill + lm1 * res.decode)
    bound = res.path_cost - delta
    assert np.all(realised <= bound + 1e-9 * np.maximum(1.0, bound))


def test_backoff_breaks_the_bound_counterexample():
    """Tests (and documents) that with the retry backoff the path cost does
    NOT bound the realised completion: one server with one slot; the second
    request waits W = 1 ms and is charged B(1) = 1000 ms, far above the
    1 ms its path cost includes."""
    inst = Instance(name="cex", L=1, s_m=1.0, s_c=1.0, l_max=2,
                    servers=(Server("s0", 2.5, 1.0, 1.0),),
                    clients=(Client("c0", 1, (5.0,), (5.0,)),))
    params = OnlineParams(client_raw_rtt=((1.0,),), server_rtt=((0.0,),),
                          initial_delay_ms=0.0,
                          allocation_delay_proposed_ms=0.0)
    scen = Scenario(inst, params)
    pol = ws_rr_policy(scen, Placement((1,), (1,)))
    assert pol.slot_pool[0] == 1
    first = 5.0 + 1.0 + (5.0 + 1.0)  # prefill + 1 decode step
    res = simulate(inst, pol, Arrivals(np.array([0.0, first - 1.0]),
                                       np.zeros(2, np.int64)))
    assert res.wait_raw[1] == 1.0
    assert res.waiting[1] == 1000.0
    assert res.completion[1] > res.path_cost[1] - 1.0


@settings(max_examples=20)
@given(seed=st.integers(0, 2**31 - 1), R=st.integers(1, 80))
def test_free_slot_pool_formula(seed, R):
    """Tests N_j = floor((M_j - m_j s_m) / s_c) on CG-BP placements, and that
    CG-BP's Step 1 leaves room for R sessions on all blocks: N_j >= R m_j."""
    scen = topology_scenario("Abvt", seed=seed)
    pl = cg_bp(scen, R).placement
    pool = free_slot_pool(scen, pl)
    inst = scen.instance
    for s, m, N in zip(inst.servers, pl.num_blocks, pool):
        assert N == int(np.floor((s.memory - m * inst.s_m) / inst.s_c + 1e-9))
        assert N >= R * m

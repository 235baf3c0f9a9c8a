"""Tests of CG-BP and the design load R (spec §4, §5)."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprr_opt.heuristics.cg_bprr import cg_bprr
from bprr_opt.online.cg_bp import cg_bp, design_r
from bprr_opt.chains.hops import hop_graph
from bprr_opt.online.ws_rr import static_costs
from bprr_opt.generators.topology import topology_scenario

# spec §5: (R, A100 m, A100 cap, MIG m before the cap); MIG cap is then 112
R_TABLE = [(8, 61, 10, 6), (16, 59, 16, 6), (32, 54, 32, 5), (48, 49, 51, 5),
           (64, 46, 64, 4)]


@pytest.fixture(scope="module")
def gts():
    return topology_scenario("GtsCe", seed=5)  # 12 A100 + 48 MIG


@pytest.mark.parametrize("R, m_a100, cap_a100, m_mig", R_TABLE)
def test_block_counts_table(gts, R, m_a100, cap_a100, m_mig):
    """Tests CG-BP's block counts and capacities against the spec's table
    (A100 86.13 GB, MIG 9.1 GB, l_max = 128, l_in = 20), with and without
    the MIG cap of 4 blocks."""
    hw = gts.hardware
    raw = cg_bp(gts, R, mig_cap=False)
    capped = cg_bp(gts, R)
    for j, h in enumerate(hw):
        if h == "a100":
            assert raw.num_blocks[j] == capped.num_blocks[j] == m_a100
            assert capped.capacity[j] == cap_a100
        else:
            assert raw.num_blocks[j] == m_mig
            assert capped.num_blocks[j] == min(m_mig, 4)
            assert capped.capacity[j] == 112


@settings(max_examples=20)
@given(seed=st.integers(0, 2**31 - 1), R=st.integers(1, 120),
       graph=st.sampled_from(["Abvt", "Bellcanada", "GtsCe"]),
       eta=st.sampled_from([0.1, 0.2, 0.5]))
def test_cg_bp_places_all_servers_and_covers_R(seed, R, graph, eta):
    """Tests that every server hosts a block, every block is provisioned for
    R sessions (sum of cap_j over the servers hosting it >= R), and the
    visiting order is increasing t~_j with lower index first on ties."""
    scen = topology_scenario(graph, eta=eta, seed=seed)
    out = cg_bp(scen, R)
    pl = out.placement
    L = scen.instance.L
    assert all(m >= 1 for m in pl.num_blocks)
    for b in range(1, L + 1):
        cover = sum(out.capacity[j] for j in range(len(pl.num_blocks))
                    if pl.first_block[j] <= b < pl.end(j))
        assert cover >= R
    keys = [(out.t_tilde[j], j) for j in out.order]
    assert keys == sorted(keys)
    for j in range(len(pl.num_blocks)):
        s = scen.instance.servers[j]
        t_star = max(c.rtt[j] for c in scen.instance.clients)
        assert out.t_tilde[j] == (t_star + s.tau * out.num_blocks[j]) \
            / out.num_blocks[j]


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31 - 1),
       graph=st.sampled_from(["Abvt", "Bellcanada"]),
       rate=st.sampled_from([1e-9, 5e-5, 1e-4, 5e-4, 1e-3, 2e-3]))
def test_design_r_rule(seed, graph, rate):
    """Tests spec §4: T1 from CG-BPRR with R = 1 (public cg_bprr, no MIG
    cap) and networkx's shortest path under WS-RR's static costs;
    R = min(round(mu + sqrt(mu)), R_max) with MATLAB rounding (at least 1)."""
    scen = topology_scenario(graph, seed=seed)
    inst = scen.instance
    d = design_r(scen, rate)
    pl = cg_bprr(inst, 1).placement
    assert pl == cg_bp(scen, 1, mig_cap=False).placement
    g = hop_graph(pl, inst.L)
    cost = static_costs(inst, g, 1.0)
    G = nx.DiGraph()
    for e in range(g.num_edges):
        G.add_edge(int(g.tail[e]), int(g.head[e]), weight=float(cost[0, e]))
    dist = nx.dijkstra_path_length(G, g.n, g.n + 1)
    assert d.T1_ms == pytest.approx(scen.params.initial_delay_ms + dist - 1.0,
                                    rel=1e-12)
    mu = rate * d.T1_ms
    assert d.mu == pytest.approx(mu, rel=1e-12)
    assert d.R == max(1, min(math.floor(d.mu + math.sqrt(d.mu) + 0.5),
                             d.R_max))

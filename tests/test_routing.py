"""Tests of the feasible-hop graph and shortest-chain routing (bprr_opt.chains)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import feasible_paths, generated_instances, placements

from bprr_opt.evaluate import evaluate, route_blocks
from bprr_opt.generators import random_instance
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.chains.hops import SOURCE, feasible_hops
from bprr_opt.chains.shortest import (
    chain_dp,
    shortest_chain,
    shortest_path_solution,
)
from bprr_opt.solution import Placement


def _chain_cost(inst: Instance, pl: Placement, c: int,
                chain: tuple[int, ...]) -> float:
    """Per-token cost of ``chain`` for client ``c`` (the test's own oracle)."""
    blocks, problems = route_blocks(pl.first_block, pl.num_blocks, chain,
                                    inst.L)
    assert not problems
    cl = inst.clients[c]
    return sum(cl.rtt[j] + inst.servers[j].tau * k
               for j, k in zip(chain, blocks))


@st.composite
def instance_and_placement(draw):
    inst = draw(generated_instances(max_servers=5, max_clients=2, max_L=6))
    return inst, draw(placements(inst, valid_only=True))


@settings(max_examples=150)
@given(instance_and_placement())
def test_chain_dp_equals_brute_force(case):
    """Tests that chain_dp returns a feasible chain whose cost is the minimum
    over all feasible chains (depth-first enumeration), and None iff there
    is no feasible chain."""
    inst, pl = case
    paths = feasible_paths(pl, inst.L)
    tau = [s.tau for s in inst.servers]
    for c, cl in enumerate(inst.clients):
        found = chain_dp(pl.first_block, pl.num_blocks, tau, cl.rtt, inst.L)
        if not paths:
            assert found is None
            continue
        assert found is not None
        chain, cost = found
        assert chain in paths
        assert cost == pytest.approx(_chain_cost(inst, pl, c, chain),
                                     rel=1e-12, abs=1e-9)
        best = min(_chain_cost(inst, pl, c, p) for p in paths)
        assert cost == pytest.approx(best, rel=1e-12, abs=1e-9)


@settings(max_examples=100)
@given(instance_and_placement())
def test_feasible_hops_match_lemma_3_1(case):
    """Tests that feasible_hops lists exactly the edges allowed by Lemma 3.1,
    with k = a_j + m_j - a_i - m_i processed blocks."""
    inst, pl = case
    a, m, L = pl.first_block, pl.num_blocks, inst.L
    expected = set()
    for j in range(inst.num_servers):
        if m[j] < 1:
            continue
        if a[j] == 1:
            expected.add((SOURCE, j, m[j]))
        for i in range(inst.num_servers):
            if i != j and m[i] >= 1 and a[j] <= a[i] + m[i] <= a[j] + m[j] - 1:
                expected.add((i, j, a[j] + m[j] - a[i] - m[i]))
    hops = feasible_hops(pl, L)
    assert len(hops) == len(expected)
    assert {(h.i, h.j, h.k) for h in hops} == expected


@settings(max_examples=60)
@given(instance_and_placement())
def test_shortest_path_solution_is_judged_by_the_evaluator(case):
    """Tests that shortest_path_solution routes every client's requests on
    its shortest chain (one route per client with requests), that the
    evaluator accepts the routes' block rule, and that it returns None iff
    some client with requests has no chain."""
    inst, pl = case
    sol = shortest_path_solution(inst, pl)
    has_chain = bool(feasible_paths(pl, inst.L))
    needs = [c for c, cl in enumerate(inst.clients) if cl.requests]
    if needs and not has_chain:
        assert sol is None
        return
    assert sol is not None
    assert [r.client for r in sol.routes] == needs
    ev = evaluate(inst, sol)
    assert not [v for v in ev.violations if v.kind in ("route", "demand")]
    for r in sol.routes:
        assert r.count == inst.clients[r.client].requests
        assert shortest_chain(inst, pl, r.client)[0] == r.servers


def _line_instance(rtt, tau, L):
    servers = tuple(Server(f"s{j}", 100.0, t) for j, t in enumerate(tau))
    return Instance(name="line", L=L, s_m=1.0, s_c=0.1, l_max=1,
                    servers=servers, clients=(Client("c0", 1, tuple(rtt)),))


def test_tie_breaking_is_the_documented_one():
    """Tests the documented tie-breaking on equal-cost chains: the source
    wins ties and, among servers ending at the same block, the lowest
    index keeps the label."""
    # s0 hosts 1..2, s1 and s2 both host 1..3 at equal cost; s3 hosts 3..3.
    inst = _line_instance(rtt=[1.0, 4.0, 4.0, 2.0], tau=[1.0, 1.0, 1.0, 1.0],
                          L=3)
    pl = Placement((1, 1, 1, 3), (2, 3, 3, 1))
    # chains: (s1) = 4+3 = 7, (s2) = 7, (s0, s3) = 1+2 + 2+1 = 6,
    # (s0, s1) = 3 + 4+1 = 8, (s0, s2) = 8
    chain, cost = shortest_chain(inst, pl, 0)
    assert (chain, cost) == ((0, 3), 6.0)
    # make (s1) and (s0, s3) tie: the later-labelled server ending at L+1
    # must not replace an equal label, lowest index first
    inst2 = _line_instance(rtt=[1.0, 3.0, 3.0, 2.0], tau=[1.0, 1.0, 1.0, 1.0],
                           L=3)
    chain2, cost2 = shortest_chain(inst2, pl, 0)
    assert cost2 == 6.0
    # servers are labelled by (a + m, index): s0 (end 3), then s1, s2, s3
    # (end 4); s1 labels block 4 first with 6 and keeps it on ties
    assert chain2 == (1,)
    # s1 (1..3) can be entered from the source (0 + 5 + 3*2 = 11) or after
    # s0 (1..1: 1 + 1, then 5 + 2*2 = 11): the source wins the tie
    inst3 = _line_instance(rtt=[1.0, 5.0], tau=[1.0, 2.0], L=3)
    pl3 = Placement((1, 1), (1, 3))
    assert shortest_chain(inst3, pl3, 0) == ((1,), 11.0)


def test_no_chain_when_a_block_is_missing():
    """Tests that a placement leaving block 2 uncovered has no chain."""
    inst = random_instance(3, 1, 1, L=3, regime="loose", seed=3)
    pl = Placement((1, 3, 0), (1, 1, 0))
    assert shortest_chain(inst, pl, 0) is None
    assert shortest_path_solution(inst, pl) is None


def test_chain_cost_with_infinite_free_memory_equals_evaluator():
    """Tests that on a loose instance the shortest-path solution's evaluated
    average equals the request-weighted mean of the chain costs."""
    inst = random_instance(5, 3, 2, L=6, regime="loose", seed=11)
    pl = Placement((1, 1, 3, 4, 5), (2, 6, 2, 3, 2))
    sol = shortest_path_solution(inst, pl)
    ev = evaluate(inst, sol)
    assert ev.feasible
    costs = [shortest_chain(inst, pl, c)[1] for c in range(inst.num_clients)]
    expected = sum(cl.requests * costs[c]
                   for c, cl in enumerate(inst.clients)) / inst.num_requests
    assert math.isclose(ev.avg_per_token_ms, expected, rel_tol=1e-12)

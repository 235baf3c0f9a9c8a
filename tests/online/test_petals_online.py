"""Tests of PETALS online and its ablations (spec §8)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from online_strategies import online_cases, policy_for

from bprr_opt.instance import Client, Instance, Server
from bprr_opt.online.arrivals import Arrivals, poisson_arrivals
from bprr_opt.online.cg_bp import cg_bp
from bprr_opt.online.petals import (
    milp_router,
    petals_block_counts,
    petals_policy,
    petals_throughput,
    select_blocks,
)
from bprr_opt.scenario import OnlineParams, Scenario
from bprr_opt.online.policies import run_policy
from bprr_opt.online.simulator import simulate, simulate_reference
from bprr_opt.generators.topology import topology_scenario
from bprr_opt.presets import GB, block_memory_gb, cache_memory_gb, load_llm
from bprr_opt.solution import Placement

LLM = load_llm("bloom-176b")
S_M = block_memory_gb(LLM)


@pytest.fixture(scope="module")
def abvt():
    return topology_scenario("Abvt", seed=11)


def test_model_constants():
    """Tests s_m = 1.3233976672 GB and s_c(l_max, l_in = 20) of spec §1."""
    assert S_M == pytest.approx(1.3233976672, abs=1e-12)
    for l_max, s_c in [(128, 0.008486912), (64, 0.004816896),
                       (256, 0.015826944), (384, 0.023166976),
                       (512, 0.030507008)]:
        assert cache_memory_gb(LLM, l_max + 20, unit=GB) == pytest.approx(
            s_c, abs=1e-15)


@pytest.mark.parametrize("memory, expected, cap", [
    (86.13, 53, 53), (84.973, 53, 53), (79.13, 49, 49), (9.1, 4, 4),
    (8.2, 3, 3), (10.2, 5, 4), (9.5, 4, 4), (9.0, 4, 4)])
def test_petals_block_counts(abvt, memory, expected, cap):
    """Tests PETALS' block-count rule (spec §8.1), then the online MIG cap."""
    p = abvt.params
    assert petals_block_counts([memory], S_M, p.petals_cache_gb,
                               p.petals_reserve_gb, 70) == [expected]
    assert petals_block_counts([memory], S_M, p.petals_cache_gb,
                               p.petals_reserve_gb, 70, [4]) == [min(cap, 4)]


def test_petals_throughput_values(abvt):
    """Tests thr = min(forward / ((1 + m) / 2), network) (spec §8.2):
    A100 53 -> 771.46, A100 49 -> 833.18, MIG 4 -> 1103.09, MIG 3 -> 1378.86."""
    hw = abvt.hardware
    ja, jm = hw.index("a100"), hw.index("mig")
    m = [1] * len(hw)
    for j, blocks, want in [(ja, 53, 771.46), (ja, 49, 833.18),
                            (jm, 4, 1103.09), (jm, 3, 1378.86)]:
        m[j] = blocks
        assert round(petals_throughput(abvt, m)[j], 2) == want


@pytest.mark.parametrize("l_max, sessions", [(64, 48), (128, 27), (256, 14),
                                             (384, 10), (512, 7)])
def test_slot_pools_and_session_capacity(l_max, sessions):
    """Tests PETALS' memory model: slot pool floor(m C^ / s_c) (A100 53
    blocks -> 1466, MIG 4 -> 110 at l_max = 128) and session capacity
    floor(C^ / s_c) = 48/27/14/10/7 for l_max = 64..512."""
    scen = topology_scenario("Abvt", seed=2, l_max=l_max)
    pol = petals_policy(scen, "petals", range(scen.instance.num_servers))
    assert set(pol.session_capacity.tolist()) == {sessions}
    if l_max == 128:
        pools = {(h, m): N for h, m, N in zip(
            scen.hardware, pol.placement.num_blocks, pol.slot_pool)}
        assert pools[("a100", 53)] == 1466
        assert pools[("mig", 4)] == 110


def test_select_blocks_hand_example():
    """Tests PETALS' block selection on a worked example (L = 6): the first
    server takes 1..3; the second the first all-zero window (4..5); the third
    the window sorted [0, 2] (5..6); the fourth compares [1,1,1,2] < [1,1,2,3]
    and takes 1..4."""
    pl = select_blocks([3, 2, 2, 4], [1.0, 2.0, 1.0, 0.5], [0, 1, 2, 3], 6)
    assert pl.first_block == (1, 4, 5, 1)
    # join order matters; ties go to the smallest start
    pl2 = select_blocks([2, 2], [1.0, 1.0], [1, 0], 4)
    assert pl2.first_block == (3, 1)
    pl3 = select_blocks([1, 1, 1], [1.0, 1.0, 1.0], [0, 1, 2], 2)
    assert pl3.first_block == (1, 2, 1)


def test_penalty_uses_exact_equality():
    """Tests ⚠ spec §14.2: the penalty applies iff cap - n_j == 0, so an
    over-subscribed server (cap - n_j < 0) is cheap again.  Two servers each
    holding the whole model (L = 1), server 0 cheaper, capacity 1 session,
    every request still active: chains 0, 1 (0 penalised), 0 (both
    penalised), 0 (0 over-subscribed: no penalty; 1 penalised)."""
    inst = Instance(name="pen", L=1, s_m=1.0, s_c=0.1, l_max=2,
                    servers=(Server("s0", 100.0, 1.0, 1.0),
                             Server("s1", 100.0, 2.0, 2.0)),
                    clients=(Client("c0", 1, (10.0, 10.0), (10.0, 10.0)),))
    params = OnlineParams(client_raw_rtt=((1.0, 1.0),),
                          server_rtt=((0.0, 1.0), (1.0, 0.0)),
                          petals_penalty_ms=1000.0)
    scen = Scenario(inst, params)
    pol = policy_for(scen, Placement((1, 1), (1, 1)),
                     np.array([100, 100]), "petals", session_cap=1)
    arr = Arrivals(np.arange(4.0), np.zeros(4, np.int64))
    res = simulate(inst, pol, arr)
    assert [c[0] for c in res.chains] == [0, 1, 0, 0]


def _brute(policy, state, t, c):
    """min over all source-sink paths of static cost + largest hop wait."""
    g = policy.graph
    n = g.n
    best = math.inf

    def walk(u, cost, wmax):
        nonlocal best
        if u == n + 1:
            best = min(best, cost + wmax)
            return
        for e in range(int(g.indptr[u]), int(g.indptr[u + 1])):
            v = int(g.head[e])
            w = 0.0
            if v < n:
                ts = state.earliest_start(v, int(g.blocks[e]), t)
                if ts == math.inf:
                    continue
                w = ts - t
            walk(v, cost + float(g.cost[c, e]), max(wmax, w))

    walk(n, 0.0, 0.0)
    return best


@settings(max_examples=25)
@given(case=online_cases(max_servers=4, max_L=4, max_requests=10))
def test_opt_rr_milp_is_optimal_per_request(case):
    """Tests that Opt RR's per-request HiGHS MILP finds the optimum of
    min (static cost + largest wait) over all chains, checked by brute-force
    enumeration on the live state of every request."""
    scen, pl, pool, arr = case
    pol = policy_for(scen, pl, pool, "ws-rr")
    from dataclasses import replace

    pol = replace(pol, routing="milp", method="opt-rr")
    checked = []

    def router(policy, state, t, c):
        chain, obj = milp_router(policy, state, t, c)
        ref = _brute(policy, state, t, c)
        assert obj == pytest.approx(ref, rel=1e-7, abs=1e-6)
        checked.append(obj)
        return chain, obj

    res = simulate_reference(scen.instance, pol, arr, router=router)
    assert len(checked) == len(arr) == res.num_requests


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31 - 1),
       variant=st.sampled_from(["petals", "opt-order", "opt-num"]))
def test_variants_definition(seed, variant):
    """Tests the ablations' definitions (spec §8.7): block counts (PETALS'
    rule or CG-BP's), join order (random or CG-BP's), memory model and
    allocation delay; and that every block is hosted."""
    scen = topology_scenario("Bellcanada", seed=seed)
    n = scen.instance.num_servers
    order = list(np.random.default_rng(seed).permutation(n))
    cg = cg_bp(scen, 20)
    pol = petals_policy(scen, variant, order, cg)
    p = scen.params
    if variant == "opt-num":
        assert pol.placement.num_blocks == cg.num_blocks
    else:
        assert pol.placement.num_blocks == tuple(petals_block_counts(
            [s.memory for s in scen.instance.servers], scen.instance.s_m,
            p.petals_cache_gb, p.petals_reserve_gb, 70, scen.max_blocks()))
    assert list(pol.stats["join_order"]) == (
        list(cg.order) if variant == "opt-order" else order)
    assert pol.allocation_delay_ms == 250_000.0
    pl = pol.placement
    for b in range(1, 71):
        assert any(pl.first_block[j] <= b < pl.end(j) for j in range(n))
    if variant == "opt-order":
        assert pl == select_blocks(pl.num_blocks, petals_throughput(
            scen, pl.num_blocks), cg.order, 70)


def test_equal_settings_change_only_the_constants(abvt):
    """Tests that equal settings give PETALS the proposed method's allocation
    delay and free-memory pool, and leave the placement unchanged."""
    n = abvt.instance.num_servers
    a = petals_policy(abvt, "petals", range(n))
    b = petals_policy(abvt.with_settings("equal"), "petals", range(n))
    assert a.placement == b.placement
    assert b.allocation_delay_ms == abvt.params.allocation_delay_proposed_ms
    assert np.all(b.slot_pool >= a.slot_pool)
    arr = poisson_arrivals(20, 5e-4, seed=1)
    ra = run_policy(abvt, arr, "petals").records
    assert np.all(ra.completion >= 250_000.0)

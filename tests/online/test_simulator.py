"""Tests of the online simulation core (spec §3, §6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from online_strategies import online_cases, policy_for, running_load

from bprr_opt.evaluate import evaluate, route_blocks
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.online._sim_kernels import backoff_kernel
from bprr_opt.online.arrivals import Arrivals, poisson_arrivals
from bprr_opt.online.cg_bp import cg_bp
from bprr_opt.scenario import OnlineParams, Scenario
from bprr_opt.online.simulator import (
    OnlineState,
    backoff,
    simulate,
    simulate_reference,
)
from bprr_opt.generators.topology import topology_scenario
from bprr_opt.online.ws_rr import ws_rr_policy
from bprr_opt.solution import Placement, Route, Solution

# spec §6: W in (lo, hi] -> B(W)
BACKOFF_TABLE = [
    (0.0, 0.0), (-5.0, 0.0), (1e-9, 1000.0), (1000.0, 1000.0),
    (1000.5, 3000.0), (3000.0, 3000.0), (3001.0, 7000.0), (7000.0, 7000.0),
    (7000.1, 15000.0), (15000.0, 15000.0), (15001.0, 31000.0),
    (31000.0, 31000.0), (31000.5, 63000.0), (63000.0, 63000.0),
    (63000.1, 123000.0), (123000.0, 123000.0), (123000.1, 183000.0),
    (183001.0, 243000.0),
]


@pytest.mark.parametrize("W, B", BACKOFF_TABLE)
def test_backoff_table(W, B):
    """Tests that B(W) is the spec's retry table, in Python and in Numba."""
    assert backoff(W) == B
    assert backoff_kernel(W, 1000.0, 60000.0) == B


def test_earliest_start_hand_example():
    """Tests tau_j(need, t) on a hand-worked state (spec §6)."""
    st_ = OnlineState([10])
    st_.commit(0, [0], [4], 50.0)
    st_.commit(1, [0], [3], 30.0)
    st_.commit(2, [0], [2], 30.0)
    # at t = 0: held 9, free 1
    assert st_.earliest_start(0, 1, 0.0) == 0.0
    # need 3: after the first completion (t=30, stable: request 1 first)
    # 10 - (2 + 4) = 4 >= 3 -> 30
    assert st_.earliest_start(0, 3, 0.0) == 30.0
    # need 7: 10 - 4 = 6 < 7 after both at 30; after 50: 10 >= 7
    assert st_.earliest_start(0, 7, 0.0) == 50.0
    assert st_.earliest_start(0, 11, 0.0) == math.inf
    # at t = 30 the two sessions ending at 30 are no longer active
    assert st_.earliest_start(0, 6, 30.0) == 30.0
    assert st_.sessions(0, 30.0) == 1


@settings(max_examples=60)
@given(case=online_cases(), routing=st.sampled_from(["ws-rr", "petals"]),
       cap=st.integers(0, 3))
def test_numba_engine_matches_reference(case, routing, cap):
    """Tests that the compiled engine reproduces the spec-literal Python
    engine record for record (chains, waits, times, concurrency)."""
    scen, pl, pool, arr = case
    pol = policy_for(scen, pl, pool, routing, cap)
    a = simulate(scen.instance, pol, arr, engine="numba")
    b = simulate(scen.instance, pol, arr, engine="reference")
    assert a.chains == b.chains
    assert a.blocks == b.blocks
    for f in ("wait_raw", "waiting", "ttft", "completion", "prefill",
              "decode", "path_cost", "concurrency"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


@settings(max_examples=60)
@given(case=online_cases(), routing=st.sampled_from(["ws-rr", "petals"]),
       cap=st.integers(0, 3))
def test_running_sessions_never_exceed_slot_pool(case, routing, cap):
    """Tests the memory invariant: at every event time, the slots held by
    sessions that are *running* (from arrival + B(W) to completion) fit in
    every server's pool N_j; and every request completes on a valid chain."""
    scen, pl, pool, arr = case
    pol = policy_for(scen, pl, pool, routing, cap)
    res = simulate(scen.instance, pol, arr)
    n = scen.instance.num_servers
    running, _ = running_load(res, n)
    for load in running:
        for j in range(n):
            assert load[j] <= pool[j]
    # every request completes, on a chain obeying the block rule
    assert res.num_requests == len(arr)
    for r in range(res.num_requests):
        blocks, problems = route_blocks(pl.first_block, pl.num_blocks,
                                        res.chains[r], scen.instance.L)
        assert not problems
        assert tuple(blocks) == res.blocks[r]
        assert math.isfinite(res.completion[r])
        assert res.finish[r] > res.arrival[r]


@settings(max_examples=60)
@given(case=online_cases())
def test_time_monotonicity_and_fifo(case):
    """Tests time monotonicity (waits >= 0, B(W) >= W, TTFT <= completion,
    completion = B + D_0 + A + service) and FIFO causality: a request's
    record depends only on the requests that arrived before it, so
    simulating a prefix of the arrivals reproduces the prefix of the run."""
    scen, pl, pool, arr = case
    pol = policy_for(scen, pl, pool, "ws-rr")
    res = simulate(scen.instance, pol, arr)
    lm1 = scen.instance.l_max - 1
    assert np.all(np.diff(res.arrival) >= 0)
    assert np.all(res.wait_raw >= 0)
    assert np.all(res.waiting >= res.wait_raw)
    assert np.all(res.start >= res.arrival)
    assert np.all(res.ttft <= res.completion)
    head = res.waiting + pol.initial_delay_ms + pol.allocation_delay_ms
    np.testing.assert_array_equal(res.completion,
                                  head + (res.prefill + lm1 * res.decode))
    k = max(1, len(arr) // 2)
    part = simulate(scen.instance, pol,
                    Arrivals(arr.times[:k], arr.clients[:k]))
    assert part.chains == res.chains[:k]
    np.testing.assert_array_equal(part.completion, res.completion[:k])


def test_booked_memory_can_exceed_pool():
    """Tests (and documents) that memory *booked from arrival* -- the spec's
    accounting, waiting included (⚠ §14.4) -- can exceed N_j: the second
    request books its slots while the first still holds the whole pool."""
    inst = Instance(name="two", L=1, s_m=1.0, s_c=1.0, l_max=2,
                    servers=(Server("s0", 1.0 + 2.5, 1.0, 1.0),),
                    clients=(Client("c0", 1, (5.0,), (5.0,)),))
    params = OnlineParams(client_raw_rtt=((1.0,),), server_rtt=((0.0,),),
                          initial_delay_ms=0.0,
                          allocation_delay_proposed_ms=0.0)
    scen = Scenario(inst, params)
    pl = Placement((1,), (1,))
    pol = ws_rr_policy(scen, pl, slot_pool=np.array([1]))
    res = simulate(inst, pol, Arrivals(np.array([0.0, 1.0]),
                                       np.zeros(2, np.int64)))
    assert res.wait_raw[1] > 0
    running, booked = running_load(res, 1)
    assert max(b[0] for b in booked) == 2 > pol.slot_pool[0]
    assert max(r[0] for r in running) <= pol.slot_pool[0]


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 12),
       graph=st.sampled_from(["Abvt", "Bellcanada"]))
def test_vanishing_rate_equals_evaluator(seed, n, graph):
    """Tests that with arrival rate -> 0 (every request alone in the system)
    each request's times are the evaluator's static values for its chain:
    prefill = avg_prefill_ms, per-token decode = avg_per_token_ms, and
    completion = D_0 + A + avg_request_ms, exactly."""
    scen = topology_scenario(graph, seed=seed)
    pl = cg_bp(scen, 8).placement
    pol = ws_rr_policy(scen, pl)
    arr = poisson_arrivals(n, 1e-15, seed=seed)  # gaps ~ 1e15 ms
    res = simulate(scen.instance, pol, arr)
    assert np.all(res.wait_raw == 0)
    assert res.concurrency.max() == 1
    one = scen.instance.replace(clients=(scen.instance.clients[0].__class__(
        "c0", 1, scen.instance.clients[0].rtt,
        scen.instance.clients[0].rtt_prefill),))
    for r in range(n):
        ev = evaluate(one, Solution(pl, (Route(0, res.chains[r], 1),)))
        assert ev.feasible
        assert res.decode[r] == ev.avg_per_token_ms
        assert res.prefill[r] == ev.avg_prefill_ms
        assert res.completion[r] == (pol.initial_delay_ms
                                     + pol.allocation_delay_ms
                                     + ev.avg_request_ms)
        assert res.completion[r] / one.l_max == (
            pol.initial_delay_ms + pol.allocation_delay_ms
            + ev.avg_request_ms) / one.l_max


def test_reference_engine_accepts_custom_router():
    """Tests that the reference engine runs a plugged-in router (the Opt RR
    hook) and charges its chains with the shared accounting."""
    scen = topology_scenario("Abvt", seed=3)
    pl = cg_bp(scen, 4).placement
    pol = ws_rr_policy(scen, pl)
    arr = poisson_arrivals(5, 1e-3, seed=1)
    base = simulate_reference(scen.instance, pol, arr)

    def replay(policy, state, t, c, _it=iter(base.chains)):
        return list(next(_it)), 0.0

    again = simulate_reference(scen.instance, pol, arr, router=replay)
    assert again.chains == base.chains
    np.testing.assert_array_equal(again.completion, base.completion)

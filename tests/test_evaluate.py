"""Tests of the evaluator, the single judge of feasibility and cost."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprr_opt import Client, Instance, Placement, Route, Server, Solution, evaluate
from bprr_opt.numerics import EPS

from strategies import generated_instances, routed_solutions, solutions


def _oracle_blocks(pl: Placement, chain, L):
    """Independent Lemma 3.1 check: returns per-hop blocks or None."""
    covered = 0
    blocks = []
    for j in chain:
        a, m = pl.first_block[j], pl.num_blocks[j]
        last = a + m - 1
        if m < 1 or not (a <= covered + 1 <= last):
            return None
        blocks.append(last - covered)
        covered = last
    return blocks if chain and covered == L else None


def _scale_times(inst: Instance, c: float) -> Instance:
    servers = tuple(dataclasses.replace(
        s, tau=s.tau * c,
        tau_prefill=None if s.tau_prefill is None else s.tau_prefill * c)
        for s in inst.servers)
    clients = tuple(dataclasses.replace(
        k, rtt=tuple(x * c for x in k.rtt),
        rtt_prefill=None if k.rtt_prefill is None
        else tuple(x * c for x in k.rtt_prefill))
        for k in inst.clients)
    return inst.replace(servers=servers, clients=clients)


@st.composite
def inst_and_random_solution(draw):
    inst = draw(generated_instances())
    return inst, draw(solutions(inst, valid_placement=draw(st.booleans())))


@st.composite
def inst_and_routed_solution(draw):
    inst = draw(generated_instances())
    return inst, draw(routed_solutions(inst))


@settings(max_examples=300)
@given(inst_and_random_solution())
def test_block_rule_violations_always_flagged(case):
    """Tests that a route breaking Lemma 3.1 is always flagged, and only then."""
    inst, sol = case
    ev = evaluate(inst, sol)
    for i, r in enumerate(sol.routes):
        flagged = any(v.kind == "route" and v.message.startswith(f"routes[{i}] ")
                      for v in ev.violations)
        expected_ok = _oracle_blocks(sol.placement, r.servers, inst.L) is not None
        assert flagged == (not expected_ok), (r, ev.violations)
    if any(v.kind == "route" for v in ev.violations):
        assert not ev.feasible
        assert math.isnan(ev.avg_per_token_ms) or inst.num_requests == 0


@settings(max_examples=300)
@given(inst_and_routed_solution())
def test_memory_accounting_matches_recomputation(case):
    """Tests that memory use equals an independent recomputation of (13b)."""
    inst, sol = case
    ev = evaluate(inst, sol)
    load = [0.0] * inst.num_servers
    for r in sol.routes:
        blocks = _oracle_blocks(sol.placement, r.servers, inst.L)
        assert blocks is not None
        for j, k in zip(r.servers, blocks):
            load[j] += r.count * k
    for j, s in enumerate(inst.servers):
        used = inst.s_m * sol.placement.num_blocks[j] + inst.s_c * load[j]
        assert ev.memory_used[j] == pytest.approx(used, rel=1e-12, abs=1e-12)
        over = used > s.memory + EPS * max(1.0, s.memory)
        flagged = any(v.kind == "memory" and v.server == s.id
                      for v in ev.violations)
        assert flagged == over
    assert ev.feasible == (not any(v.kind == "memory" for v in ev.violations))


@settings(max_examples=200)
@given(inst_and_routed_solution())
def test_cost_is_additive_over_requests(case):
    """Tests that the total is the sum of per-request chain costs."""
    inst, sol = case
    ev = evaluate(inst, sol)
    total = 0.0
    for r in sol.routes:
        cl = inst.clients[r.client]
        blocks = _oracle_blocks(sol.placement, r.servers, inst.L)
        per_token = sum(cl.rtt[j] + inst.servers[j].tau * k
                        for j, k in zip(r.servers, blocks))
        total += r.count * per_token
        # a single-request route on its own costs exactly per_token
        single = evaluate(inst, Solution(sol.placement, (Route(r.client, r.servers, 1),)))
        assert single.sum_per_token_ms == pytest.approx(per_token, rel=1e-12)
    assert ev.sum_per_token_ms == pytest.approx(total, rel=1e-12, abs=1e-9)
    assert ev.total_ms == pytest.approx(inst.l_max * total, rel=1e-12, abs=1e-9)
    if inst.num_requests:
        assert ev.avg_per_token_ms == pytest.approx(total / inst.num_requests,
                                                    rel=1e-12, abs=1e-12)
    # splitting a route into two routes with the same chain changes nothing
    split = []
    for r in sol.routes:
        if r.count >= 2:
            split += [Route(r.client, r.servers, 1),
                      Route(r.client, r.servers, r.count - 1)]
        else:
            split.append(r)
    ev2 = evaluate(inst, Solution(sol.placement, tuple(split)))
    assert ev2.sum_per_token_ms == pytest.approx(ev.sum_per_token_ms, rel=1e-12,
                                                 abs=1e-9)
    assert ev2.feasible == ev.feasible


@settings(max_examples=200)
@given(inst_and_routed_solution(), st.floats(0.01, 100.0))
def test_scaling_times_scales_cost(case, c):
    """Tests that multiplying every time by c multiplies every cost by c."""
    inst, sol = case
    ev = evaluate(inst, sol)
    ev_c = evaluate(_scale_times(inst, c), sol)
    assert ev_c.feasible == ev.feasible
    assert ev_c.avg_per_token_ms == pytest.approx(c * ev.avg_per_token_ms,
                                                  rel=1e-9, abs=1e-9)
    assert ev_c.total_ms == pytest.approx(c * ev.total_ms, rel=1e-9, abs=1e-9)
    if ev.avg_prefill_ms is not None:
        assert ev_c.avg_prefill_ms == pytest.approx(c * ev.avg_prefill_ms,
                                                    rel=1e-9, abs=1e-9)


def _tiny() -> Instance:
    return Instance(
        name="tiny", L=4, s_m=1.0, s_c=0.5, l_max=10,
        servers=(Server("A", 6.0, 2.0, 4.0), Server("B", 4.0, 1.0, 3.0),
                 Server("C", 1.0, 9.0, 9.0)),
        clients=(Client("c", 2, (10.0, 20.0, 30.0), (11.0, 21.0, 31.0)),))


def test_hand_computed_example():
    """Tests one solution against costs computed by hand."""
    inst = _tiny()
    # A hosts 1..3, B hosts 2..4 (so B processes block 4 after A), C unused
    sol = Solution(Placement((1, 2, 0), (3, 3, 0)),
                   (Route(0, (0, 1), 1), Route(0, (1,), 0)))
    ev = evaluate(inst, sol)
    # route 2 has count 0 and starts at block 2: both flagged
    assert not ev.feasible
    sol = Solution(Placement((1, 2, 0), (3, 3, 0)), (Route(0, (0, 1), 2),))
    ev = evaluate(inst, sol)
    assert ev.feasible, ev.violations
    # per token: (10 + 2*3) + (20 + 1*1) = 37
    assert ev.avg_per_token_ms == 37.0
    assert ev.total_ms == 10 * 2 * 37.0
    # prefill: (11 + 4*3) + (21 + 3*1) = 47; request = 47 + 9 * 37
    assert ev.avg_prefill_ms == 47.0
    assert ev.avg_request_ms == 47.0 + 9 * 37.0
    # memory: A: 3 + 0.5*2*3 = 6 <= 6 ; B: 3 + 0.5*2*1 = 4 <= 4 (both tight)
    assert ev.memory_used == (6.0, 4.0, 0.0)


def test_memory_violation_reports_server_and_amount():
    """Tests that a memory excess names the server and the excess."""
    inst = _tiny().replace(servers=(Server("A", 5.0, 2.0, 4.0),
                                    Server("B", 4.0, 1.0, 3.0),
                                    Server("C", 1.0, 9.0, 9.0)))
    sol = Solution(Placement((1, 2, 0), (3, 3, 0)), (Route(0, (0, 1), 2),))
    ev = evaluate(inst, sol)
    assert [v.kind for v in ev.violations] == ["memory"]
    v = ev.violations[0]
    assert v.server == "A" and v.amount == pytest.approx(1.0)


def test_unused_server_rules():
    """Tests that an empty server is fine unless routed or forbidden."""
    inst = Instance(
        name="u", L=2, s_m=1.0, s_c=0.1, l_max=1,
        servers=(Server("A", 10.0, 1.0), Server("B", 10.0, 1.0)),
        clients=(Client("c", 1, (1.0, 1.0)),))
    sol = Solution(Placement((1, 0), (2, 0)), (Route(0, (0,), 1),))
    assert evaluate(inst, sol).feasible
    strict = evaluate(inst, sol, allow_unused=False)
    assert not strict.feasible
    assert strict.violations[0].kind == "placement"
    bad = Solution(Placement((1, 0), (1, 0)), (Route(0, (0, 1), 1),))
    ev = evaluate(inst, bad)
    assert any("hosts no block" in v.message for v in ev.violations)


def test_placement_bounds_flagged():
    """Tests that ranges outside 1..L are reported with the amount."""
    inst = _tiny()
    sol = Solution(Placement((0, 3, 0), (2, 3, 0)), (Route(0, (0, 1), 2),))
    ev = evaluate(inst, sol)
    msgs = [v for v in ev.violations if v.kind == "placement"]
    assert {v.server for v in msgs} == {"A", "B"}
    assert sorted(v.amount for v in msgs) == [1, 1]


def test_demand_mismatch_flagged():
    """Tests that routing too few or too many requests is reported."""
    inst = _tiny()
    pl = Placement((1, 0, 0), (4, 0, 0))
    for count in (1, 3):
        ev = evaluate(inst, Solution(pl, (Route(0, (0,), count),)))
        dem = [v for v in ev.violations if v.kind == "demand"]
        assert len(dem) == 1 and dem[0].amount == 1


def test_zero_requests_cost_zero():
    """Tests that an instance without requests costs nothing."""
    inst = _tiny().replace(clients=(Client("c", 0, (1.0, 2.0, 3.0)),))
    ev = evaluate(inst, Solution(Placement((1, 0, 0), (4, 0, 0)), ()))
    assert ev.feasible and ev.avg_per_token_ms == 0.0 and ev.total_ms == 0.0

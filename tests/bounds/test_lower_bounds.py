"""Tests that every lower bound is <= the optimum (proofs/lower_bounds.md)."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from brute_force import brute_force_optimum
from heuristics.cg_cases import boundary_instances, hetero_instances
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from strategies import generated_instances, raw_instances

from bprr_opt.bounds import (
    BOUNDS,
    LowerBounds,
    best_lower_bound,
    chain_dp_bound,
    transport_bound,
)
from bprr_opt.bounds._memory import cache_capacity, chain_capacity
from bprr_opt.cli import main
from bprr_opt.evaluate import evaluate
from bprr_opt.generators import MEMORY_REGIMES, random_instance
from bprr_opt.instance import Client, Instance
from bprr_opt.numerics import floor_div
from bprr_opt.solution import Placement, Route, Solution

REL = 1e-9


def _le(lb: float, value: float) -> bool:
    return lb <= value * (1 + REL) + REL


@st.composite
def _tiny_random(draw) -> Instance:
    return random_instance(
        draw(st.integers(2, 3)), draw(st.integers(1, 2)), (1, 2),
        draw(st.integers(2, 4)), regime=draw(st.sampled_from(MEMORY_REGIMES)),
        seed=draw(st.integers(0, 2**32 - 1)))


def tiny_instances() -> st.SearchStrategy:
    """Small enough for the brute-force enumerator (tests/brute_force.py):
    2-3 servers, 1-2 clients with 1-2 requests each, L = 2..4; random
    regimes, heterogeneous fleets and arbitrary values."""
    return st.one_of(
        _tiny_random(), _tiny_random(),
        hetero_instances(max_servers=3, max_clients=2, max_requests=2,
                         max_L=4).filter(lambda i: i.num_requests >= 1),
        raw_instances(max_servers=3, max_clients=2, max_L=4, prefill=False)
        .filter(lambda i: 1 <= i.num_requests and
                all(c.requests <= 2 for c in i.clients)),
    )


# -- K_j and P_j against the evaluator ---------------------------------------

def _single_server(inst: Instance, j: int, L: int, requests: int) -> Instance:
    s = inst.servers[j]
    return Instance(name="one", L=L, s_m=inst.s_m, s_c=inst.s_c, l_max=1,
                    servers=(s,), clients=(Client("c", requests, (0.0,)),))


@settings(max_examples=120)
@given(st.one_of(generated_instances(max_L=12), hetero_instances(max_L=12),
                 boundary_instances(), raw_instances(max_L=12)))
def test_capacities_are_what_the_evaluator_accepts(inst):
    """Tests K_j and P_j against the evaluator: one request on K_j blocks
    of server j is accepted and on K_j + 1 rejected (unless K_j = L);
    P_j requests on one block are accepted and P_j + 1 rejected; both are
    at least the spec's floors, which they equal away from boundaries."""
    K = chain_capacity(inst)
    P = cache_capacity(inst)
    s_m, s_c, L = inst.s_m, inst.s_c, inst.L
    for j, s in enumerate(inst.servers):
        assert K[j] >= min(L, floor_div(s.memory, s_m + s_c))
        for k, ok in ((int(K[j]), True), (int(K[j]) + 1, False)):
            if k < 1 or k > L:
                continue
            one = _single_server(inst, j, k, 1)
            sol = Solution(Placement((1,), (k,)), (Route(0, (0,), 1),))
            assert evaluate(one, sol).feasible == ok
        if K[j] == 0:
            assert P[j] == 0
            continue
        assert P[j] >= min(floor_div(s.memory - s_m, s_c),
                           L * max(inst.num_requests, 1))
        for p, ok in ((int(P[j]), True), (int(P[j]) + 1, False)):
            if p > 60 or (not ok and p > L * max(inst.num_requests, 1)):
                continue  # keep the check instance small / P_j was capped
            one = _single_server(inst, j, 1, p)
            sol = Solution(Placement((1,), (1,)),
                           (Route(0, (0,), p),) if p else ())
            assert evaluate(one, sol).feasible == ok


# -- every bound <= OPT ------------------------------------------------------

@settings(max_examples=60)
@given(tiny_instances())
def test_bounds_below_brute_force_optimum(inst):
    """Tests every registered bound (chain-DP, transport, the paper LPs, the
    interval LP) against the exhaustive optimum (unused servers allowed): each is <= OPT, an
    infinite bound only when no solution exists, and the cut LP is never
    below the plain one."""
    opt, _ = brute_force_optimum(inst, allow_unused=True)
    if opt is None:
        best_lower_bound(inst, methods=("chain-dp", "transport"))  # runs
        return
    lbs = best_lower_bound(inst, methods=tuple(BOUNDS))
    for name, value in lbs.bounds.items():
        assert math.isfinite(value), name
        assert _le(value, opt), (name, value, opt)
    assert lbs.bounds["lp-paper"] <= lbs.bounds["lp-paper-cuts"] + 1e-6 * \
        max(1.0, opt)


@settings(max_examples=80)
@given(tiny_instances())
def test_chain_dp_is_exact_for_one_request(inst):
    """Tests that with a single request the chain-DP bound equals the
    optimum (proofs/lower_bounds.md §2: back-to-back placement of the DP's
    servers attains it), and is infinite iff the instance is infeasible."""
    one = inst.replace(clients=tuple(
        c.__class__(c.id, 1 if k == 0 else 0, c.rtt) for k, c in
        enumerate(inst.clients)))
    opt, _ = brute_force_optimum(one, allow_unused=True)
    bound = chain_dp_bound(one)
    if opt is None:
        assert math.isinf(bound)
    else:
        assert bound == pytest.approx(opt, rel=1e-9, abs=1e-9)


def _transport_per_request(inst: Instance) -> float:
    """The transport LP with one column block per *request* (no
    aggregation), built independently of bprr_opt.bounds.transport."""
    K = chain_capacity(inst)
    P = cache_capacity(inst)
    reqs = [c for c, cl in enumerate(inst.clients) for _ in range(cl.requests)]
    js = [j for j in range(inst.num_servers) if K[j] >= 1 and P[j] >= 1]
    if not js:
        return math.inf
    nr, ns = len(reqs), len(js)
    cost = [inst.servers[j].tau + inst.clients[c].rtt[j] / K[j]
            for c in reqs for j in js]
    A_eq = np.zeros((nr, nr * ns))
    A_ub = np.zeros((ns, nr * ns))
    for r, s in itertools.product(range(nr), range(ns)):
        A_eq[r, r * ns + s] = 1
        A_ub[s, r * ns + s] = 1
    bounds = [(0, K[j]) for _ in reqs for j in js]
    res = linprog(cost, A_ub=A_ub, b_ub=[P[j] for j in js], A_eq=A_eq,
                  b_eq=[inst.L] * nr, bounds=bounds, method="highs")
    if res.status == 2:
        return math.inf
    assert res.status == 0
    return res.fun / nr


@settings(max_examples=80)
@given(st.one_of(generated_instances(max_servers=5, max_requests=3, max_L=8),
                 hetero_instances(max_servers=5, max_requests=3, max_L=8)))
def test_transport_certificate_matches_per_request_lp(inst):
    """Tests that the dual-certified, client-aggregated transport bound
    equals the per-request transportation LP solved directly (so the
    certificate loses nothing and aggregation is exact)."""
    if inst.num_requests == 0:
        assert transport_bound(inst) == 0.0
        return
    expected = _transport_per_request(inst)
    got = transport_bound(inst)
    if math.isinf(expected):
        assert math.isinf(got)
    else:
        assert got == pytest.approx(expected, rel=1e-7, abs=1e-7)
        assert got <= expected + 1e-9 * max(1.0, expected)


def test_no_request_gives_zero_bounds():
    """Tests the |R| = 0 convention: every bound is 0.0, the evaluator's
    value of the empty solution."""
    inst = random_instance(3, 2, 0, L=4, seed=5)
    lbs = best_lower_bound(inst, methods=tuple(BOUNDS))
    assert all(v == 0.0 for v in lbs.bounds.values())
    assert evaluate(inst, Solution(Placement((0,) * 3, (0,) * 3), ())) \
        .avg_per_token_ms == 0.0


def test_memory_contention_is_seen_by_transport_only():
    """Tests an instance where both requests' cheapest chain is the same
    server but its memory holds only one: chain-DP stays at the
    uncontended value, transport (and OPT) is higher."""
    from bprr_opt.instance import Server

    # L = 2; s0 fits 2 blocks + 2 caches (one request), s1 fits 2 + 4
    servers = (Server("fast", 4.0, 1.0), Server("slow", 6.0, 10.0))
    inst = Instance(name="contention", L=2, s_m=1.0, s_c=1.0, l_max=1,
                    servers=servers, clients=(Client("c", 2, (1.0, 1.0)),))
    chain = chain_dp_bound(inst)
    trans = transport_bound(inst)
    opt, _ = brute_force_optimum(inst, allow_unused=True)
    assert chain == pytest.approx(3.0)  # 1 + 2 * 1 on 'fast'
    assert trans > chain + 1
    assert trans <= opt * (1 + REL)


def test_best_lower_bound_contract():
    """Tests that best is the maximum, best_method names it, bad method
    lists are rejected, and to_dict maps inf to null."""
    inst = random_instance(4, 2, 2, L=5, regime="medium", seed=7)
    lbs = best_lower_bound(inst, methods=("transport", "chain-dp"))
    assert lbs.best == max(lbs.bounds.values())
    assert lbs.bounds[lbs.best_method] == lbs.best
    assert list(lbs.bounds) == ["transport", "chain-dp"]
    with pytest.raises(ValueError, match="methods"):
        best_lower_bound(inst, methods=())
    with pytest.raises(ValueError, match="unknown bound 'x'"):
        best_lower_bound(inst, methods=("x",))
    doc = LowerBounds({"a": math.inf, "b": 1.0}).to_dict()
    assert doc == {"bounds": {"a": None, "b": 1.0},
                   "best_avg_per_token_ms": None, "proves_infeasible": True}


def test_bound_cli(tmp_path, capsys):
    """Tests `bprr bound --json` (format and values), -o, and bad input:
    one error line, exit code 2, no output file."""
    inst = random_instance(4, 2, 2, L=5, regime="medium", seed=3)
    path = tmp_path / "inst.json"
    path.write_text(inst.to_json())
    out = tmp_path / "bounds.json"
    assert main(["bound", str(path), "--json", "-o", str(out),
                 "--methods", "chain-dp", "transport"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(out.read_text())
    lbs = best_lower_bound(inst, methods=("chain-dp", "transport"))
    assert doc["bounds"] == dict(lbs.bounds)
    assert doc["best_avg_per_token_ms"] == lbs.best
    assert main(["bound", str(path)]) == 0
    text = capsys.readouterr().out
    assert "chain-dp" in text and "best" in text
    bad = tmp_path / "bad.json"
    doc = json.loads(inst.to_json())
    doc["servers"][1]["memory"] = -2
    bad.write_text(json.dumps(doc))
    out2 = tmp_path / "never.json"
    assert main(["bound", str(bad), "--json", "-o", str(out2)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: servers[1].memory: must be > 0, got -2"]
    assert not out2.exists()


def _small_lp():
    """min x0 + 2 x1 + 0.5 x2  s.t.  x0 + x1 >= 1,  x1 + x2 <= 1.5,
    x0 - x2 = 0.25,  0 <= x <= 1  (optimum 1.375 at x = (1, 0, 0.75))."""
    import highspy

    h = highspy.Highs()
    h.silent()
    inf = highspy.kHighsInf
    for cost in (1.0, 2.0, 0.5):
        h.addVar(0.0, 1.0)
        h.changeColCost(h.getNumCol() - 1, cost)
    h.addRow(1.0, inf, 2, np.array([0, 1], np.int32), np.array([1.0, 1.0]))
    h.addRow(-inf, 1.5, 2, np.array([1, 2], np.int32), np.array([1.0, 1.0]))
    h.addRow(0.25, 0.25, 2, np.array([0, 2], np.int32), np.array([1.0, -1.0]))
    h.run()
    return h


def test_lagrangian_certificate_is_tight_at_the_duals():
    """Tests the LP certificate of lp_relax on a small LP with a known
    optimum: at HiGHS's duals it equals the optimum."""
    from bprr_opt.bounds.lp_relax import _lagrangian_bound

    h = _small_lp()
    assert h.getInfo().objective_function_value == pytest.approx(1.375)
    y = np.asarray(h.getSolution().row_dual)
    assert _lagrangian_bound(h.getLp(), y) == pytest.approx(1.375, abs=1e-12)


@settings(max_examples=200)
@given(st.lists(st.floats(-10, 10), min_size=3, max_size=3))
def test_lagrangian_certificate_is_a_bound_for_any_duals(y):
    """Tests weak duality as implemented: for arbitrary row multipliers the
    certificate never exceeds the LP optimum."""
    from bprr_opt.bounds.lp_relax import _lagrangian_bound

    h = _small_lp()
    assert _lagrangian_bound(h.getLp(), np.array(y)) <= 1.375 + 1e-12

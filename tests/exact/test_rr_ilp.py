"""Tests of the RR-ILP and its shortest-path fast path (bprr_opt.exact.rr_ilp)."""

from __future__ import annotations

import pytest
from brute_force import brute_force_optimum, brute_force_routing
from exact_cases import odd_memory_instances
from hypothesis import event, given, settings
from hypothesis import strategies as st
from strategies import generated_instances, placements, routed_solutions

from bprr_opt.cli import main
from bprr_opt.errors import BprrError, SolutionError
from bprr_opt.evaluate import evaluate
from bprr_opt.exact.milp import solve_milp_paper
from bprr_opt.exact.rr_ilp import (
    memory_cannot_bind,
    route_optimally,
    solve_rr_ilp,
    solve_rr_ilp_method,
)
from bprr_opt.generators import random_instance
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.params import SolveParams
from bprr_opt.result import Status
from bprr_opt.solution import Placement, save_solution
from bprr_opt.solve import available_methods, solve


@st.composite
def placement_first(draw):
    """A placement with a chain, then memories cut around it.

    ``M_j = s_m m_j + s_c k_j + delta`` with ``k_j <= |R| m_j`` cache slots
    (binary fractions, ``delta in {0, +-s_c/16}``), so memory binds on
    exactly this placement and the routing has to share the servers.
    """
    n = draw(st.integers(1, 4))
    L = draw(st.integers(1, 5))
    reqs = [draw(st.integers(0, 3)) for _ in range(draw(st.integers(1, 2)))]
    R = sum(reqs)
    s_m = draw(st.sampled_from([0.5, 1.0]))
    s_c = draw(st.sampled_from([0.125, 0.25, 0.5]))
    taus = [draw(st.sampled_from([0.0, 1.0, 2.5, 10.0])) for _ in range(n)]
    rtt = st.integers(0, 60).map(float)
    clients = tuple(Client(f"c{c}", k, tuple(draw(rtt) for _ in range(n)))
                    for c, k in enumerate(reqs))
    roomy = tuple(Server(f"s{j}", 1e6, taus[j]) for j in range(n))
    inst = Instance(name="placement-first", L=L, s_m=s_m, s_c=s_c, l_max=1,
                    servers=roomy, clients=clients)
    pl = draw(routed_solutions(inst)).placement
    servers = []
    for j, m in enumerate(pl.num_blocks):
        top = max(1, R * m)
        k = draw(st.one_of(st.integers(0, top), st.integers(top // 2, top)))
        delta = draw(st.sampled_from([0.0, -s_c / 16, s_c / 16]))
        servers.append(Server(f"s{j}", max(s_c / 4, s_m * m + s_c * k + delta),
                              taus[j]))
    return inst.replace(servers=tuple(servers)), pl


@st.composite
def instance_and_placement(draw):
    if draw(st.integers(0, 3)):
        return draw(placement_first())
    inst = draw(st.one_of(
        generated_instances(max_servers=4, max_clients=2, max_requests=3,
                            max_L=5),
        odd_memory_instances()))
    return inst, draw(placements(inst, valid_only=True))


def _check(inst, pl, res, value):
    if value is None:
        assert res.status is Status.INFEASIBLE, res.message
        assert res.solution is None
        return
    assert res.status is Status.OPTIMAL, res.message
    assert res.solution.placement == pl
    assert evaluate(inst, res.solution).feasible
    assert res.value == pytest.approx(value, rel=1e-6, abs=1e-9)
    assert res.bound is None  # a routing optimum is no bound on BPRR


@settings(max_examples=200)
@given(instance_and_placement())
def test_rr_ilp_equals_brute_force_routing(case):
    """Tests that the RR-ILP and route_optimally find the cheapest feasible
    routing of a fixed placement (exhaustive enumeration), and report
    infeasible exactly when there is none."""
    inst, pl = case
    value, _ = brute_force_routing(inst, pl)
    fast = memory_cannot_bind(inst, pl)
    event(f"routable: {value is not None}, memory cannot bind: {fast}")
    _check(inst, pl, solve_rr_ilp(inst, pl), value)
    res = route_optimally(inst, pl)
    _check(inst, pl, res, value)
    assert res.stats["path"] == ("shortest-path" if fast else "ilp")


@settings(max_examples=25)
@given(generated_instances(max_servers=3, max_clients=2, max_requests=3,
                           max_L=4))
def test_rr_ilp_on_the_milp_placement(inst):
    """Tests that re-routing the MILP's optimal placement with the RR-ILP
    gives back the MILP's optimum."""
    milp = solve_milp_paper(inst, SolveParams(allow_unused=True))
    if milp.status is not Status.OPTIMAL:
        assert milp.status is Status.INFEASIBLE
        return
    res = solve_rr_ilp(inst, milp.solution.placement)
    assert res.status is Status.OPTIMAL
    assert res.value == pytest.approx(milp.value, rel=1e-6, abs=1e-9)


def test_memory_binding_routes_split():
    """Tests a placement where memory binds: one fast chain has room for
    one request only, so the optimal routing splits the requests."""
    inst = random_instance(3, 1, 2, 2, regime="loose", seed=0)
    fast_mem = inst.s_m * 2 + inst.s_c * 2 * 1.5  # one request on 2 blocks
    servers = (inst.servers[0].__class__("fast", fast_mem, 1.0),
               inst.servers[1].__class__("slow", 100.0, 50.0),
               inst.servers[2].__class__("idle", 100.0, 50.0))
    client = inst.clients[0].__class__("c0", 2, (1.0, 1.0, 500.0))
    inst = inst.replace(servers=servers, clients=(client,))
    pl = Placement((1, 1, 1), (2, 2, 1))
    assert not memory_cannot_bind(inst, pl)
    res = route_optimally(inst, pl)
    assert res.stats["path"] == "ilp" and res.status is Status.OPTIMAL
    chains = sorted((r.servers, r.count) for r in res.solution.routes)
    assert chains == [((0,), 1), ((1,), 1)]
    assert res.value == pytest.approx((3.0 + 101.0) / 2)
    assert res.value == pytest.approx(brute_force_routing(inst, pl)[0])


def test_warm_start_routes_and_method_entry():
    """Tests the rr-ilp method: placement taken from params.warm_start, its
    routes used as MIP start, a one-line error without a warm start, and a
    placement that does not fit the instance."""
    inst = random_instance(3, 2, 2, 3, regime="tight", seed=7)
    value, best = brute_force_optimum(inst, allow_unused=True)
    assert best is not None
    res = solve(inst, "rr-ilp", SolveParams(warm_start=best))
    assert res.method == "rr-ilp" and res.status is Status.OPTIMAL
    assert res.value == pytest.approx(value, rel=1e-9)
    res = solve_rr_ilp(inst, best.placement, SolveParams(warm_start=best))
    assert res.value == pytest.approx(value, rel=1e-9)
    with pytest.raises(BprrError, match="warm_start"):
        solve_rr_ilp_method(inst, SolveParams())
    with pytest.raises(SolutionError, match="placement"):
        solve_rr_ilp(inst, Placement((1, 1), (3, 3)))
    with pytest.raises(SolutionError, match="outside"):
        solve_rr_ilp(inst, Placement((1, 1, 3), (3, 3, 2)))


def test_no_requests_and_uncovered_blocks():
    """Tests |R| = 0 (optimal, no routes) and a placement with an uncovered
    block (infeasible, both paths)."""
    inst = random_instance(2, 1, 0, 3, regime="loose", seed=1)
    res = route_optimally(inst, Placement((1, 1), (3, 3)))
    assert res.status is Status.OPTIMAL and res.value == 0.0
    assert res.solution.routes == ()
    inst = random_instance(2, 1, 2, 3, regime="tight", seed=1)
    gap = Placement((1, 3), (1, 1))  # block 2 on no server
    for res in (solve_rr_ilp(inst, gap), route_optimally(inst, gap)):
        assert res.status is Status.INFEASIBLE and res.solution is None


def test_cli_rr_ilp(tmp_path, capsys):
    """Tests ``bprr solve --method rr-ilp --warm-start sol.json`` and its
    exit-2 one-line error without a warm start."""
    inst = random_instance(3, 1, 3, 3, regime="medium", seed=2)
    _, sol = brute_force_optimum(inst)
    path, spath = tmp_path / "inst.json", tmp_path / "sol.json"
    path.write_text(inst.to_json())
    save_solution(inst, sol, spath)
    code = main(["solve", str(path), "--method", "rr-ilp", "--warm-start",
                 str(spath), "--json"])
    out = capsys.readouterr().out
    assert code == 0 and '"method": "rr-ilp"' in out
    code = main(["solve", str(path), "--method", "rr-ilp"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: warm_start:")
    assert err.count("\n") == 1


@settings(max_examples=20)
@given(generated_instances(max_servers=6, max_clients=3, max_requests=4,
                           max_L=8))
def test_rr_ilp_on_cg_bprr_placement(inst):
    """Tests the rr-ilp method with a method name as warm start: re-routing
    CG-BPRR's placement cannot beat CG-BPRR's own routing, because its Step 1
    keeps memory from binding (Lemma 3.4), so both values agree."""
    if "cg-bprr" not in available_methods():
        pytest.skip("cg-bprr is not part of this build")
    cg = solve(inst, "cg-bprr")
    if not cg.is_feasible():
        with pytest.raises(BprrError, match="no placement"):
            solve(inst, "rr-ilp", SolveParams(warm_start="cg-bprr"))
        return
    res = solve(inst, "rr-ilp", SolveParams(warm_start="cg-bprr"))
    assert res.status is Status.OPTIMAL
    assert res.solution.placement == cg.solution.placement
    assert res.value == pytest.approx(cg.value, rel=1e-9, abs=1e-9)
    assert "warm start: cg-bprr" in res.message

"""Tests of the paper's MILP (bprr_opt.exact.milp): brute-force optimum,
NP-hardness gadget, model <-> evaluator equivalence, limits, warm starts."""

from __future__ import annotations

import json
import math

import pytest
from brute_force import brute_force_optimum
from oracles import point_violations, subset_sum
from exact_cases import odd_memory_instances, tiny_instances
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from strategies import solved_cases

from bprr_opt.backends import available_solvers
from bprr_opt.cli import main
from bprr_opt.errors import SolutionError, SolverUnavailableError
from bprr_opt.evaluate import evaluate
from bprr_opt.exact.milp import (
    build_paper_model,
    set_paper_warm_start,
    solve_milp_paper,
)
from bprr_opt.generators import clustered_instance, partition_instance, random_instance
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.params import SolveParams
from bprr_opt.result import Status
from bprr_opt.solve import solve
from bprr_opt.solution import Placement, Route, Solution


def _assert_matches_oracle(inst: Instance, allow_unused: bool) -> None:
    res = solve_milp_paper(inst, SolveParams(allow_unused=allow_unused))
    value, _ = brute_force_optimum(inst, allow_unused=allow_unused)
    event("infeasible" if value is None else "feasible")
    if value is None:
        assert res.status is Status.INFEASIBLE, res.message
        assert res.solution is None
        return
    assert res.status is Status.OPTIMAL, res.message
    ev = evaluate(inst, res.solution, allow_unused=allow_unused)
    assert ev.feasible
    assert res.value == pytest.approx(value, rel=1e-6, abs=1e-9)
    assert res.bound is not None
    assert res.bound <= res.value + 1e-6 * max(1.0, res.value)


@settings(max_examples=120)
@given(tiny_instances())
@example(random_instance(2, 2, 3, 4, regime="tight", seed=0))
@example(random_instance(2, 2, 3, 3, regime="medium", seed=5))
@example(random_instance(3, 1, 2, 4, regime="tight", seed=11))
def test_milp_equals_brute_force(inst):
    """Tests that the MILP optimum equals the exhaustive optimum on tiny
    generated instances, and that the MILP is infeasible exactly when the
    enumeration finds no feasible solution."""
    _assert_matches_oracle(inst, allow_unused=False)


@settings(max_examples=100)
@given(odd_memory_instances(), st.booleans())
def test_milp_equals_brute_force_binding_memory(inst, allow_unused):
    """Tests the same on memories that bind exactly or miss by 1/16 of a
    cache, including servers too small for one block, with and without the
    unused-server option."""
    _assert_matches_oracle(inst, allow_unused=allow_unused)


@st.composite
def partition_weights(draw) -> list[int]:
    """1-4 weights, sum <= 24; half of them built around a known half."""
    if draw(st.booleans()):
        half = draw(st.lists(st.integers(1, 12), min_size=1, max_size=2)
                    .filter(lambda w: sum(w) <= 12))
        W = sum(half)
        cut = draw(st.integers(1, W))
        other = [cut, W - cut] if cut < W else [W]
        ws = half + other
        return draw(st.permutations(ws))
    ws = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4)
              .filter(lambda w: sum(w) <= 23))
    if sum(ws) % 2:
        ws[-1] += 1
    return ws


@settings(max_examples=25)
@given(partition_weights())
@example([1, 1])
@example([2, 4])
@example([3, 3, 2, 2])
@example([7, 9, 1, 1])
@example([5, 7])
@example([12, 12])
def test_partition_gadget(weights):
    """Tests the PARTITION reduction: the MILP optimum is exactly 2W when a
    subset-sum DP finds a half, and at least 2W + 1 otherwise."""
    W = sum(weights) // 2
    res = solve_milp_paper(partition_instance(weights))
    assert res.status is Status.OPTIMAL, res.message
    yes = subset_sum(weights, W)
    event(f"partition exists: {yes}")
    if yes:
        assert res.value == pytest.approx(2 * W, abs=1e-9)
    else:
        assert res.value >= 2 * W + 1 - 1e-9


@settings(max_examples=200)
@given(solved_cases())
def test_model_feasible_set_is_the_evaluators(case):
    """Tests that a solution is a point of the MILP (every row and bound
    holds) exactly when the evaluator accepts it, and that objective (13a)
    at that point equals the evaluator's total_ms."""
    import pyomo.environ as pyo

    inst, sol, allow_unused = case
    ev = evaluate(inst, sol, allow_unused=allow_unused)
    event(f"evaluator feasible: {ev.feasible}")
    model = build_paper_model(inst, allow_unused=allow_unused)
    set_paper_warm_start(inst, model, sol)
    bad = point_violations(model)
    assert (not bad) == ev.feasible, (bad[:3], ev.violations[:3])
    if ev.feasible:
        assert pyo.value(model.obj_13a) == pytest.approx(ev.total_ms,
                                                         rel=1e-9, abs=1e-9)


def test_model_components_follow_the_paper():
    """Tests the component names and the size formula of the model."""
    inst = random_instance(3, 2, 2, 4, regime="medium", seed=3)
    model = build_paper_model(inst)
    names = {c.local_name for c in model.component_objects()}
    expected = {"V_s", "R", "N", "E", "RE", "f", "a", "m", "alpha", "beta",
                "gamma", "delta", "obj_13a", "memory_13b", "flow_13c",
                "range_13d", "left_13e", "right_13f"}
    expected |= {f"mc_{x}_{k}" for x in ("alpha", "beta", "gamma", "delta")
                 for k in ("f", "y", "lo")}
    assert expected <= names
    n, R = inst.num_servers, inst.num_requests
    E = n * (n - 1) + 2 * n
    assert len(model.E) == E
    assert model.nvariables() == 5 * R * E + 2 * n
    assert model.nconstraints() == 14 * R * E + R * (n + 2) + 2 * n


def test_no_requests_and_too_small_servers():
    """Tests |R| = 0 (value 0, optimal) and M_j < s_m: infeasible for the
    paper's m_j >= 1, solvable with the unused-server option."""
    inst = random_instance(2, 1, 0, 3, regime="loose", seed=2)
    res = solve_milp_paper(inst)
    assert res.status is Status.OPTIMAL and res.value == 0.0
    small = Server("tiny", 0.5 * inst.s_m, 1.0)
    big = inst.replace(
        servers=inst.servers + (small,),
        clients=(Client("c0", 2, inst.clients[0].rtt + (1.0,)),))
    res = solve_milp_paper(big)
    assert res.status is Status.INFEASIBLE and res.solution is None
    res = solve_milp_paper(big, SolveParams(allow_unused=True))
    assert res.status is Status.OPTIMAL
    assert res.solution.placement.num_blocks[2] == 0
    assert res.value == pytest.approx(
        brute_force_optimum(big, allow_unused=True)[0], rel=1e-9)


def _clustered_warm_start() -> tuple[Instance, Solution]:
    """Two A100s chained (blocks 1..59 and 12..70), MIGs idle with 1 block."""
    inst = clustered_instance()
    n = inst.num_servers
    a = [1] * (n - 2) + [1, 12]
    m = [1] * (n - 2) + [59, 59]
    sol = Solution(Placement(tuple(a), tuple(m)), (Route(0, (n - 2, n - 1), 3),))
    assert evaluate(inst, sol, allow_unused=False).feasible
    return inst, sol


def test_time_limit_is_never_optimal():
    """Tests that a run stopped by its time limit on the clustered scenario
    reports feasible or no_solution with the solver's bound, not optimal."""
    inst = clustered_instance()
    res = solve_milp_paper(inst, SolveParams(time_limit=1.5, threads=1))
    assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    assert res.stats["termination"] == "time_limit"
    assert res.bound is not None and math.isfinite(res.bound)
    if res.value is not None:
        assert res.bound <= res.value


def test_warm_start_is_never_worse():
    """Tests that a run warm-started from a feasible solution returns a
    solution at least as good as it, even when stopped by a time limit."""
    inst, warm = _clustered_warm_start()
    start = evaluate(inst, warm).avg_per_token_ms
    res = solve_milp_paper(inst, SolveParams(time_limit=2.0, threads=1,
                                             warm_start=warm))
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert res.value <= start + 1e-9 * start
    assert res.stats["warm_start_avg_per_token_ms"] == pytest.approx(start)


def test_warm_start_at_optimum_and_padding():
    """Tests that the brute-force optimum as warm start gives the optimum,
    that idle servers of a warm start are padded with one block when the
    paper's m_j >= 1 holds, and that an infeasible warm start is refused."""
    inst = random_instance(3, 1, 2, 3, regime="loose", seed=4)
    value, best = brute_force_optimum(inst, allow_unused=True)
    res = solve_milp_paper(inst, SolveParams(warm_start=best))
    assert res.status is Status.OPTIMAL
    assert res.value == pytest.approx(value, rel=1e-9)
    pl = best.placement
    used = {j for r in best.routes for j in r.servers}
    idle = [j for j in range(inst.num_servers) if j not in used]
    assert idle, "the loose optimum should leave a server off the chain"
    m = list(pl.num_blocks)
    a = list(pl.first_block)
    for j in idle:
        a[j], m[j] = 0, 0
    sparse = Solution(Placement(tuple(a), tuple(m)), best.routes)
    res = solve_milp_paper(inst, SolveParams(warm_start=sparse))
    assert res.status is Status.OPTIMAL
    assert "one block" in res.message
    bad = Solution(pl, (Route(0, best.routes[0].servers, 1),))  # demand short
    with pytest.raises(SolutionError, match="warm_start"):
        solve_milp_paper(inst, SolveParams(warm_start=bad))


TINY = [random_instance(2, 1, 2, 3, regime="tight", seed=1),
        random_instance(3, 1, 2, 3, regime="medium", seed=2),
        random_instance(2, 2, 2, 2, regime="loose", seed=3),
        random_instance(3, 2, 1, 4, regime="tight", seed=4)]


@pytest.mark.parametrize("inst", TINY, ids=lambda i: i.name)
def test_highs_and_gurobi_agree(inst):
    """Tests that Gurobi (when installed and licensed for the model size)
    reaches the same status and optimum as HiGHS."""
    if "gurobi" not in available_solvers():
        pytest.skip("gurobipy is not installed")
    ref = solve_milp_paper(inst, SolveParams(solver="highs"))
    try:
        res = solve_milp_paper(inst, SolveParams(solver="gurobi"))
    except SolverUnavailableError as exc:
        pytest.skip(f"gurobi licence refuses the model: {exc}")
    assert res.solver == "gurobi"
    assert res.status is ref.status
    if ref.value is not None:
        assert res.value == pytest.approx(ref.value, rel=1e-6)


def test_cli_solve_milp_paper(tmp_path, capsys):
    """Tests ``bprr solve --method milp-paper --json`` end to end, and the
    one-line exit-2 error for a solver that is not installed."""
    inst = random_instance(2, 1, 2, 3, regime="medium", seed=6)
    path = tmp_path / "inst.json"
    path.write_text(inst.to_json())
    out = tmp_path / "res.json"
    code = main(["solve", str(path), "--method", "milp-paper", "--solver",
                 "highs", "--time-limit", "60", "--json", "-o", str(out)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(out.read_text())
    assert doc["format"] == "bprr-result/1" and doc["status"] == "optimal"
    assert doc["avg_per_token_ms"] == pytest.approx(
        brute_force_optimum(inst)[0], rel=1e-6)
    assert doc["bound_avg_per_token_ms"] <= doc["avg_per_token_ms"] * (1 + 1e-6)
    bad_out = tmp_path / "never.json"
    code = main(["solve", str(path), "--method", "milp-paper", "--solver",
                 "no-such-solver", "-o", str(bad_out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: solver:") and err.count("\n") == 1
    assert not bad_out.exists()


def test_warm_start_from_a_method():
    """Tests a method name as warm start: its solution is computed first,
    used as MIP start (noted in the message), and the optimum is reached."""
    inst = random_instance(2, 1, 2, 3, regime="medium", seed=9)
    value, _ = brute_force_optimum(inst)
    res = solve(inst, "milp-paper", SolveParams(warm_start="cg-bprr"))
    assert res.status is Status.OPTIMAL
    assert res.value == pytest.approx(value, rel=1e-6)
    assert "warm start: cg-bprr" in res.message

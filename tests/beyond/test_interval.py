"""Tests of the interval-flow MILP (bprr_opt.exact.interval): the same optimum
as the brute force and as the paper's MILP, the gadget, the feasible set,
warm starts and limits."""

from __future__ import annotations

import math

import pytest
from brute_force import brute_force_optimum
from oracles import point_violations, subset_sum
from exact_cases import odd_memory_instances
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from strategies import generated_instances, solved_cases

from bprr_opt.errors import SolutionError
from bprr_opt.evaluate import evaluate
from bprr_opt.exact.interval import (
    build_interval_model,
    set_interval_warm_start,
    solve_milp_interval,
)
from bprr_opt.exact.milp import solve_milp_paper
from bprr_opt.generators import (
    MEMORY_REGIMES,
    clustered_instance,
    partition_instance,
    random_instance,
)
from bprr_opt.instance import Client, Instance
from bprr_opt.params import SolveParams
from bprr_opt.result import Status
from bprr_opt.solve import solve


def _check(res, value, allow_unused):
    event("infeasible" if value is None else "feasible")
    if value is None:
        assert res.status is Status.INFEASIBLE, res.message
        assert res.solution is None
        return
    assert res.status is Status.OPTIMAL, res.message
    assert evaluate(res.instance, res.solution, allow_unused=allow_unused).feasible
    assert res.value == pytest.approx(value, rel=1e-6, abs=1e-9)
    assert res.bound <= res.value + 1e-6 * max(1.0, res.value)


@st.composite
def oracle_instances(draw) -> Instance:
    """Brute-force range: L <= 4, <= 3 servers, <= 2 clients, <= 3 requests
    each (the interval model, unlike the paper's, takes the full range)."""
    n = draw(st.integers(1, 3))
    C = draw(st.integers(1, 2))
    reqs = [draw(st.integers(0, 3)) for _ in range(C)]
    if n == 3 and sum(reqs) > 4:  # keeps the brute force under a second
        reqs = [min(r, 2) for r in reqs]
    inst = random_instance(n, C, max(reqs), draw(st.integers(1, 4)),
                           regime=draw(st.sampled_from(MEMORY_REGIMES)),
                           seed=draw(st.integers(0, 2**31 - 1)))
    return inst.replace(clients=tuple(Client(c.id, r, c.rtt)
                                      for c, r in zip(inst.clients, reqs)))


@settings(max_examples=80)
@given(oracle_instances(), st.booleans())
@example(random_instance(2, 2, 3, 4, regime="tight", seed=0), False)
@example(random_instance(3, 1, 3, 4, regime="tight", seed=11), True)
def test_interval_equals_brute_force(inst, allow_unused):
    """Tests that the interval MILP's optimum equals the exhaustive optimum
    and that it is infeasible exactly when the enumeration finds nothing."""
    res = solve_milp_interval(inst, SolveParams(allow_unused=allow_unused))
    value, _ = brute_force_optimum(inst, allow_unused=allow_unused)
    _check(res, value, allow_unused)


@settings(max_examples=60)
@given(odd_memory_instances(), st.booleans())
def test_interval_equals_brute_force_binding_memory(inst, allow_unused):
    """Tests the same on memories that bind exactly or miss by 1/16 of a
    cache, including servers smaller than one block."""
    res = solve_milp_interval(inst, SolveParams(allow_unused=allow_unused))
    value, _ = brute_force_optimum(inst, allow_unused=allow_unused)
    _check(res, value, allow_unused)


@settings(max_examples=25)
@given(generated_instances(max_servers=3, max_clients=2, max_requests=2,
                           max_L=7), st.booleans())
def test_interval_equals_paper_milp(inst, allow_unused):
    """Tests that both formulations reach the same status and optimum on
    instances beyond the brute force's reach (L up to 7)."""
    p = SolveParams(allow_unused=allow_unused, time_limit=60)
    paper = solve_milp_paper(inst, p)
    res = solve_milp_interval(inst, p)
    assert paper.status in (Status.OPTIMAL, Status.INFEASIBLE), paper.message
    assert res.status is paper.status, (res.message, paper.message)
    if paper.status is Status.OPTIMAL:
        assert res.value == pytest.approx(paper.value, rel=1e-6, abs=1e-9)


@settings(max_examples=40)
@given(st.lists(st.integers(1, 15), min_size=1, max_size=6)
       .filter(lambda w: sum(w) % 2 == 0 and sum(w) <= 40))
@example([3, 1, 1, 2, 2, 1])
@example([5, 7])
def test_partition_gadget(weights):
    """Tests the PARTITION decision with the interval MILP on larger lists
    than the paper's model can take: optimum 2W iff a subset sums to W."""
    W = sum(weights) // 2
    res = solve_milp_interval(partition_instance(weights))
    assert res.status is Status.OPTIMAL, res.message
    if subset_sum(weights, W):
        assert res.value == pytest.approx(2 * W, abs=1e-9)
    else:
        assert res.value >= 2 * W + 1 - 1e-9


@settings(max_examples=150)
@given(solved_cases(max_servers=4, max_L=6))
def test_every_feasible_solution_is_a_model_point(case):
    """Tests the direction of the equivalence the optimum relies on: every
    solution the evaluator accepts (with idle servers able to hold a block
    when m_j >= 1 is required) maps to a point satisfying every row, whose
    objective equals the evaluator's total_ms; infeasible ones are refused."""
    import pyomo.environ as pyo

    inst, sol, allow_unused = case
    ev = evaluate(inst, sol)
    model = build_interval_model(inst, allow_unused=allow_unused)
    if not ev.feasible:
        with pytest.raises(SolutionError, match="warm_start"):
            set_interval_warm_start(inst, model, sol)
        return
    try:
        set_interval_warm_start(inst, model, sol)
    except SolutionError as exc:
        assert not allow_unused and "M_j < s_m" in str(exc)
        return
    assert point_violations(model) == []
    assert pyo.value(model.obj) == pytest.approx(ev.total_ms, rel=1e-9,
                                                 abs=1e-9)


def test_warm_start_from_cg_bprr_is_never_worse():
    """Tests a run warm-started from CG-BPRR under a short limit: never
    worse than CG-BPRR, and the warm start is recorded."""
    inst = clustered_instance(1, 6, seed=3)
    cg = evaluate(inst, solve(inst, "cg-bprr").solution).avg_per_token_ms
    res = solve(inst, "milp-interval", SolveParams(warm_start="cg-bprr",
                                                   time_limit=3.0, threads=1))
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert res.value <= cg * (1 + 1e-9)
    assert res.stats["warm_start_avg_per_token_ms"] == pytest.approx(cg)
    assert "warm start: cg-bprr" in res.message


def test_clustered_case_is_proven_optimal():
    """Tests that the authors' clustered 9-server x 3-request case (the one
    their Gurobi run left at a 38.9 % gap) is solved to proven optimality,
    at a value no worse than CG-BPRR's."""
    inst = clustered_instance()
    res = solve_milp_interval(inst, SolveParams(time_limit=300))
    assert res.status is Status.OPTIMAL, res.message
    assert res.gap == 0.0
    cg = solve(inst, "cg-bprr").solution
    assert res.value <= evaluate(inst, cg).avg_per_token_ms


def test_time_limit_is_never_optimal():
    """Tests that a run stopped by its limit is feasible or no_solution
    (a tight-memory instance HiGHS cannot settle in a second)."""
    inst = random_instance(15, 2, 5, 30, regime="tight", seed=3)
    res = solve_milp_interval(inst, SolveParams(time_limit=1.0, threads=1))
    assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION), res.message
    assert res.stats["termination"] == "time_limit"
    if res.bound is not None and res.value is not None:
        assert res.bound <= res.value * (1 + 1e-9)
    assert res.bound is None or math.isfinite(res.bound)


def test_interval_lp_closes_the_clustered_gap():
    """Tests the LP relaxation of the interval model (``lp-interval``) on
    the authors' clustered case: it is a valid bound (below the proven
    optimum) and it is tight there, while the paper's LP bound is 0."""
    from bprr_opt.bounds import best_lower_bound

    inst = clustered_instance()
    opt = solve_milp_interval(inst)
    lbs = best_lower_bound(inst, methods=("lp-interval",))
    assert lbs.best <= opt.value * (1 + 1e-9)
    assert lbs.best == pytest.approx(opt.value, rel=1e-6)

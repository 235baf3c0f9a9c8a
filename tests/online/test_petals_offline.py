"""Tests of offline PETALS (spec §8.6) and its RR-ILP re-routing (§9)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import generated_instances

from bprr_opt import SolveParams, evaluate, solve
from bprr_opt.generators import clustered_instance
from bprr_opt.heuristics.petals_offline import petals_offline
from bprr_opt.result import Status


def test_default_instance_block_counts_and_determinism():
    """Tests offline PETALS on the authors' clustered MILP case: block counts
    without MIG cap (A100 79.138 GB -> 49, MIG 9.5 GB -> 4), throughputs
    770.96 / 110.137, same seed same result, status = evaluator verdict."""
    inst = clustered_instance()
    a = petals_offline(inst, seed=3)
    assert a.num_blocks == (4,) * 7 + (49, 49)
    assert [round(t, 3) for t in a.throughput] == [110.137] * 7 + [770.96] * 2
    assert a == petals_offline(inst, seed=3)
    assert sorted(a.join_order) == list(range(9))
    res = solve(inst, "petals-offline", SolveParams(seed=3))
    assert res.status == Status.FEASIBLE
    assert res.evaluation.feasible


def test_over_commit_is_reported_not_repaired():
    """Tests that PETALS' routing, which never checks memory, is reported
    infeasible by the evaluator when it over-commits (60 requests on the
    clustered case: every chain needs both A100s, their session counters
    hit 0 together and go negative, so all 60 take one chain), and that
    petals-rr re-routes the same placement within memory."""
    inst = clustered_instance(requests=60)
    out = petals_offline(inst, seed=1)
    assert out.penalised == 2
    res = solve(inst, "petals-offline", SolveParams(seed=1))
    assert res.status == Status.INFEASIBLE
    assert res.solution is not None
    assert any(v.kind == "memory" for v in res.evaluation.violations)
    assert "over-commit" in res.message
    rr = solve(inst, "petals-offline-rr", SolveParams(seed=1))
    assert rr.status == Status.FEASIBLE  # optimal routing, not a BPRR optimum
    assert rr.stats["rr_status"] == "optimal"
    assert rr.solution.placement == res.solution.placement
    assert rr.value >= res.value  # the over-committed routing is cheaper


@settings(max_examples=30)
@given(inst=generated_instances(max_servers=5, max_clients=2,
                                max_requests=4, max_L=6),
       seed=st.integers(0, 1000))
def test_status_is_the_evaluators_verdict(inst, seed):
    """Tests on random instances that solve_petals never claims optimality,
    reports feasible exactly when the evaluator accepts its routes, and that
    its routes follow the block rule (the evaluator finds no route
    violation)."""
    inst = inst.replace(extra={"d_model": 64})  # PETALS' memory rule, scaled
    res = solve(inst, "petals-offline", SolveParams(seed=seed))
    assert res.status in (Status.FEASIBLE, Status.INFEASIBLE)
    if res.solution is not None:
        ev = evaluate(inst, res.solution)
        assert (res.status == Status.FEASIBLE) == ev.feasible
        assert not any(v.kind == "route" for v in ev.violations)


@settings(max_examples=15)
@given(inst=generated_instances(max_servers=4, max_clients=2,
                                max_requests=3, max_L=5),
       seed=st.integers(0, 1000))
def test_rr_reroute_never_worse(inst, seed):
    """Tests that the RR-ILP re-routing of PETALS' placement is never worse
    than PETALS' own routing when the latter is feasible."""
    inst = inst.replace(extra={"d_model": 64})
    p = solve(inst, "petals-offline", SolveParams(seed=seed))
    rr = solve(inst, "petals-offline-rr", SolveParams(seed=seed))
    assert rr.status != Status.OPTIMAL
    if p.is_feasible():
        assert rr.is_feasible()
        assert rr.value <= p.value * (1 + 1e-9) + 1e-9

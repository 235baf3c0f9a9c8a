"""Tests of CG-BPRR + local search (bprr_opt.heuristics.local_search):
feasibility under the evaluator, never worse than CG-BPRR, determinism,
certified bounds, and the brute-force optimum as a floor."""

from __future__ import annotations

import json

import pytest
from brute_force import brute_force_optimum
from exact_cases import tiny_instances
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from bprr_opt.bounds import best_lower_bound
from bprr_opt.cli import main
from bprr_opt.errors import InfeasibleError
from bprr_opt.evaluate import evaluate
from bprr_opt.generators import MEMORY_REGIMES, clustered_instance, random_instance
from bprr_opt.heuristics.cg_bprr import cg_bprr
from bprr_opt.heuristics.local_search import (
    SearchStats,
    design_loads,
    local_search,
    solve_cg_bprr_ls,
)
from bprr_opt.instance import Client, save_instance
from bprr_opt.generators import worst_case_instance
from bprr_opt.params import SolveParams
from bprr_opt.result import Status
from bprr_opt.solution import Placement, Route, Solution
from bprr_opt.solve import solve

# generous: tiny instances end at a local optimum in milliseconds, so the
# limit never decides the result (the determinism test relies on it)
LIMIT = 60.0


@st.composite
def small_instances(draw):
    """The random generator in its three regimes, up to 6 servers, 2
    clients, 3 requests each and L = 8."""
    inst = random_instance(
        draw(st.integers(1, 6)), draw(st.integers(1, 2)),
        draw(st.integers(0, 3)), draw(st.integers(1, 8)),
        regime=draw(st.sampled_from(MEMORY_REGIMES)),
        seed=draw(st.integers(0, 2**31 - 1)))
    return inst


def _tol(x):
    return 1e-9 * max(1.0, abs(x))


@settings(max_examples=40)
@given(small_instances(), st.integers(0, 3), st.booleans())
@example(random_instance(6, 2, 3, 8, regime="medium", seed=1), 0, True)
@example(random_instance(5, 1, 3, 8, regime="tight", seed=7), 1, False)
def test_ls_feasible_never_worse_than_cg_bprr(inst, seed, allow_unused):
    """Tests that the result is feasible by the evaluator, never worse than
    CG-BPRR when CG-BPRR succeeds, that its bound is a lower bound on it,
    and that 'optimal' is claimed only when that bound meets the value."""
    params = SolveParams(time_limit=LIMIT, seed=seed, allow_unused=allow_unused)
    res = solve_cg_bprr_ls(inst, params)
    cg = solve(inst, "cg-bprr")
    event(f"status {res.status.value}")
    if res.solution is None:
        assert res.status is Status.INFEASIBLE
        # CG-BPRR at R = |R| is one of the starts: it must have failed too
        assert not cg.is_feasible()
        return
    ev = evaluate(inst, res.solution, allow_unused=allow_unused)
    assert ev.feasible, ev.summary()
    assert res.value == ev.avg_per_token_ms
    assert res.bound == best_lower_bound(inst).best
    assert res.bound <= res.value + 1e-6 * max(1.0, res.value)
    if cg.is_feasible():
        assert res.value <= cg.value + _tol(cg.value)
        assert res.stats["cg_bprr_value"] == pytest.approx(cg.value, rel=1e-12)
        event("improved" if res.value < cg.value - _tol(cg.value)
              else "equal to CG-BPRR")
    if res.status is Status.OPTIMAL:
        assert res.bound >= res.value - 1e-9 * max(1.0, res.value)
    else:
        assert res.status is Status.FEASIBLE
        assert res.bound < res.value - 1e-9 * max(1.0, res.value)


@settings(max_examples=25)
@given(small_instances(), st.integers(0, 5))
def test_ls_deterministic_for_a_seed(inst, seed):
    """Tests that two runs with the same seed return the same solution and
    the same counters (the search ends at a local optimum or the bound)."""
    params = SolveParams(time_limit=LIMIT, seed=seed, allow_unused=True)
    a = solve_cg_bprr_ls(inst, params)
    b = solve_cg_bprr_ls(inst, params)
    assert a.solution == b.solution
    assert a.status is b.status
    for key in ("moves", "scans", "candidates", "ilp_calls", "stopped",
                "starts"):
        assert a.stats[key] == b.stats[key], key
    assert a.stats["stopped"] in ("local_optimum", "lower_bound", "no_start")


@settings(max_examples=60)
@given(tiny_instances())
@example(random_instance(2, 2, 3, 4, regime="medium", seed=1))
def test_ls_never_below_brute_force_optimum(inst):
    """Tests that the local search's value is at least the exhaustive
    optimum (unused servers allowed), and that it is infeasible only when
    CG-BPRR fails for every design load (a heuristic may miss a solution,
    it must never invent one)."""
    res = solve_cg_bprr_ls(inst, SolveParams(time_limit=LIMIT,
                                             allow_unused=True))
    value, _ = brute_force_optimum(inst, allow_unused=True)
    if value is None:
        assert res.solution is None
        event("infeasible instance")
        return
    if res.solution is None:
        event("LS found no solution")
        assert not any(cg_bprr(inst, r).success
                       and evaluate(inst, cg_bprr(inst, r).solution).feasible
                       for r in design_loads(inst.num_requests))
        return
    assert res.value >= value - 1e-9 * max(1.0, value)
    event("LS optimal" if res.value <= value + 1e-9 * max(1.0, value)
          else "LS above optimum")


@settings(max_examples=30)
@given(small_instances(), st.integers(0, 3))
def test_local_search_from_any_feasible_start(inst, seed):
    """Tests the pure function: from CG-BPRR's solution with a smaller
    design load (or R = |R|) it returns a feasible solution that is never
    worse than the start, and reports its counters."""
    out = cg_bprr(inst, max(1, inst.num_requests // 2))
    if out.solution is None or not evaluate(inst, out.solution).feasible:
        event("start infeasible")
        return
    start_value = evaluate(inst, out.solution).avg_per_token_ms
    stats = SearchStats()
    sol = local_search(inst, out.solution, time_limit=LIMIT, seed=seed,
                       stats=stats)
    ev = evaluate(inst, sol)
    assert ev.feasible
    assert ev.avg_per_token_ms <= start_value + _tol(start_value)
    assert stats.start_value == start_value
    assert stats.value == ev.avg_per_token_ms
    assert stats.stopped == "local_optimum"
    if sum(stats.moves.values()) == 0:
        assert sol == out.solution


def test_local_search_rejects_infeasible_start():
    """Tests that an infeasible start raises InfeasibleError naming it."""
    inst = random_instance(3, 1, 2, 4, regime="loose", seed=0)
    bad = Solution(Placement((1, 0, 0), (2, 0, 0)),
                   (Route(0, (0,), 2),))
    with pytest.raises(InfeasibleError, match="start: not a feasible"):
        local_search(inst, bad)
    with pytest.raises(ValueError, match="time_limit"):
        local_search(inst, bad, time_limit=0)


@pytest.mark.parametrize("L", [3, 4])
def test_ls_solves_the_worst_case_family(L):
    """Tests that on the paper's worst case of CG-BPRR (ratio -> L) the
    local search reaches the optimum t + L tau and proves it with the
    chain-DP bound, where CG-BPRR pays L (t + tau)."""
    inst = worst_case_instance(L)
    res = solve_cg_bprr_ls(inst, SolveParams(time_limit=LIMIT,
                                             allow_unused=True))
    assert res.stats["cg_bprr_value"] == pytest.approx(L * 11.0)
    assert res.value == pytest.approx(10.0 + L)
    assert res.status is Status.OPTIMAL
    assert res.gap == 0.0


def test_ls_proves_the_clustered_case_optimal():
    """Tests that on the authors' clustered 9 x 3 case the local search
    improves CG-BPRR (524.03) to 521.0786, which the chain-DP bound proves
    optimal (the value the interval MILP finds)."""
    inst = clustered_instance()
    res = solve_cg_bprr_ls(inst, SolveParams(time_limit=LIMIT))
    assert res.stats["cg_bprr_value"] == pytest.approx(524.0291714, rel=1e-9)
    assert res.value == pytest.approx(521.0785714, rel=1e-9)
    assert res.status is Status.OPTIMAL
    assert evaluate(inst, res.solution, allow_unused=False).feasible


@settings(max_examples=20)
@given(small_instances())
def test_ls_paper_convention_uses_every_server(inst):
    """Tests that with allow_unused=False every server hosts a block (the
    paper's m_j >= 1) and the result is feasible under that rule."""
    res = solve_cg_bprr_ls(inst, SolveParams(time_limit=LIMIT))
    if res.solution is None:
        return
    assert min(res.solution.placement.num_blocks) >= 1
    assert evaluate(inst, res.solution, allow_unused=False).feasible


def test_design_loads():
    """Tests the design loads the starts use: |R|, |R|/2, ... 1."""
    assert design_loads(0) == [1]
    assert design_loads(1) == [1]
    assert design_loads(9) == [9, 5, 3, 2, 1]
    assert design_loads(16) == [16, 8, 4, 2, 1]


def test_ls_warm_start_is_a_start():
    """Tests that a given warm start that is better than every CG-BPRR
    start is kept (the result is never worse than it)."""
    inst = worst_case_instance(3)
    n = inst.num_servers
    best = Solution(Placement((1,) * n, (3,) * n),
                    tuple(Route(0, (j,), 1) for j in range(n)))
    res = solve_cg_bprr_ls(inst, SolveParams(time_limit=LIMIT, r_design=9,
                                             warm_start=best,
                                             allow_unused=True))
    assert res.value == pytest.approx(13.0)
    assert any(k.startswith("warm start") for k in res.stats["starts"])


def test_cli_cg_bprr_ls_and_warm_start_by_name(tmp_path, capsys):
    """Tests `bprr solve --method cg-bprr-ls --json` and that
    `--warm-start cg-bprr` (a method name) is accepted by the MILP."""
    inst = random_instance(3, 1, 2, 4, regime="medium", seed=3)
    path = tmp_path / "i.json"
    save_instance(inst, path)
    assert main(["solve", str(path), "--method", "cg-bprr-ls", "--json",
                 "--time-limit", "30"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "cg-bprr-ls" and doc["feasible"]
    assert main(["solve", str(path), "--method", "milp-interval",
                 "--warm-start", "cg-bprr", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "optimal"
    assert "warm start: cg-bprr" in doc["message"]


def test_ls_no_request():
    """Tests an instance without requests: the empty routing, value 0."""
    inst = random_instance(3, 1, 0, 4, regime="medium", seed=0)
    inst = inst.replace(clients=(Client("c0", 0, inst.clients[0].rtt),))
    res = solve_cg_bprr_ls(inst, SolveParams(allow_unused=True))
    assert res.value == 0.0 and res.is_feasible()

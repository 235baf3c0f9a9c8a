"""Tests of CG-BPRR (Algorithm 1): compiled vs reference, feasibility, the
tiling lemma and Theorem 3.5 (proofs/theorem35.md), infeasibility reasons."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cg_cases import boundary_instances, cg_instances
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bprr_opt.bounds import best_lower_bound
from bprr_opt.evaluate import evaluate
from bprr_opt.generators import clustered_instance, random_instance
from bprr_opt.heuristics import _cg_bprr_kernels as jit
from bprr_opt.heuristics.cg_bprr import (
    cg_bprr,
    max_design_load,
    max_provisionable_r,
    solve_cg_bprr,
)
from bprr_opt.heuristics.theorem35 import theorem35_bound
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.params import SolveParams
from bprr_opt.result import Status

REL = 1e-9  # float rounding between (17) as computed and the evaluator


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    jit.warm_up()  # compile (or load) the kernels once, not per example


def _cap_boundary_instance() -> Instance:
    """One server with ``M = 3 (s_m + s_c) (1 - 1.6e-10)``, ``R = 1``.

    Step 1 gives ``m = 3`` (``3 - 4.8e-10 + EPS`` floors to 3) and the
    evaluator accepts 3 blocks + 3 caches (over by ``4.8e-10`` GB, inside
    its ``1e-9 M`` slack), but the plain session floor
    ``floor((M - 3 s_m) / (3 s_c) + EPS)`` is ``floor(1 - 1.6e-7)`` = 0.
    Without the ``cap_j >= R`` invariant CG-BPRR reported it infeasible.
    """
    s_m, s_c, L = 1.0, 0.001, 3
    mem = 3 * (s_m + s_c) * (1 - 1.6e-10)
    return Instance(name="cap-boundary", L=L, s_m=s_m, s_c=s_c, l_max=1,
                    servers=(Server("s0", mem, 2.0),),
                    clients=(Client("c0", 1, (10.0,)),))


@st.composite
def runs(draw, max_servers: int = 8, max_L: int = 12):
    """An instance, a design load and optional per-server block caps."""
    inst = draw(cg_instances(max_servers=max_servers, max_L=max_L))
    R = draw(st.one_of(st.none(), st.integers(1, inst.num_requests + 3)))
    caps = draw(st.one_of(st.none(), st.lists(
        st.integers(0, inst.L), min_size=inst.num_servers,
        max_size=inst.num_servers)))
    return inst, R, caps


@settings(max_examples=400)
@given(runs())
@example((_cap_boundary_instance(), None, None))
def test_numba_and_reference_agree_exactly(case):
    """Tests that the compiled kernels and the plain-Python reference return
    the same output -- placements, routes, counts, capacities, t~ (bit for
    bit), order, K and the failure reason -- on every instance."""
    inst, R, caps = case
    a = cg_bprr(inst, R, max_blocks=caps, engine="numba")
    b = cg_bprr(inst, R, max_blocks=caps, engine="reference")
    assert a == b


@settings(max_examples=300)
@given(cg_instances())
@example(_cap_boundary_instance())
def test_success_is_feasible_and_tiles_from_the_left(inst):
    """Tests the tiling lemma (proofs/theorem35.md, Lemma 2) and its
    consequences: CG-BPRR succeeds iff its Step 1 counts sum to at least
    L; then the first K visited servers are placed back to back from block
    1, the K-th one ending at block L; and every successful output is
    accepted by the evaluator with R_design = |R|."""
    out = cg_bprr(inst)
    R = out.r_design
    m = out.num_blocks
    assert out.success == (sum(m) >= inst.L)
    used = [j for j in range(inst.num_servers) if m[j] >= 1]
    assert all(out.capacity[j] >= R for j in used)  # Step 1 invariant
    if not out.success:
        assert out.solution is None and out.under_served and out.reason
        return
    assert out.under_served == () and out.reason == ""
    a = out.solution.placement.first_block
    start = 1
    for q in range(out.K - 1):
        j = out.order[q]
        assert a[j] == start
        start += m[j]
    last = out.order[out.K - 1]
    assert start <= inst.L < start + m[last]
    assert a[last] == inst.L - m[last] + 1
    ev = evaluate(inst, out.solution)
    assert ev.feasible, ev.summary()


@settings(max_examples=300)
@given(runs())
@example((_cap_boundary_instance(), None, None))
def test_theorem_3_5(case):
    """Tests Theorem 3.5 (eq. 17) for this implementation's tie-breaking:
    whenever CG-BPRR returns routes, their average per-token time (priced
    by the evaluator) is at most the bound computed from its block counts
    -- for any design load and any block caps."""
    inst, R, caps = case
    out = cg_bprr(inst, R, max_blocks=caps)
    if not out.success:
        return
    bound = theorem35_bound(out.num_blocks, out.t_tilde,
                            [s.tau for s in inst.servers], inst.L)
    value = evaluate(inst, out.solution).avg_per_token_ms
    assert value <= bound * (1 + REL) + REL


@settings(max_examples=150)
@given(cg_instances())
def test_lower_bounds_below_cg_bprr_below_theorem_3_5(inst):
    """Tests LB <= CG-BPRR <= Theorem 3.5 on instances of any size the
    strategies draw (chain-DP and transport bounds), and that an infinite
    lower bound (no solution exists) comes with a CG-BPRR failure."""
    lbs = best_lower_bound(inst, methods=("chain-dp", "transport"))
    out = cg_bprr(inst)
    if lbs.proves_infeasible:
        assert not out.success
        return
    if not out.success:
        return
    value = evaluate(inst, out.solution).avg_per_token_ms
    bound = theorem35_bound(out.num_blocks, out.t_tilde,
                            [s.tau for s in inst.servers], inst.L)
    assert lbs.best <= value * (1 + REL) + REL
    assert value <= bound * (1 + REL) + REL


@settings(max_examples=100)
@given(cg_instances(max_servers=6, max_L=10))
def test_max_design_load_is_the_exact_threshold(inst):
    """Tests that max_design_load is the largest R_design for which CG-BPRR
    succeeds (R* succeeds, R* + 1 fails), and that the spec's closed form
    max_provisionable_r never exceeds it."""
    best = max_design_load(inst)
    if best >= 1:
        assert cg_bprr(inst, best).success
        assert max_provisionable_r(inst) <= best
    else:
        assert max_provisionable_r(inst) < 1
    assert not cg_bprr(inst, best + 1).success


def test_cap_boundary_regression():
    """Tests the tolerance regression (see _cap_boundary_instance): CG-BPRR
    succeeds and the evaluator accepts its solution."""
    inst = _cap_boundary_instance()
    arr = inst.to_arrays()
    m = np.array([3], np.int64)
    plain, _ = jit.cap_and_speed(m, arr.memory, arr.tau, arr.rtt[0],
                                 arr.s_m, arr.s_c)
    assert plain[0] == 0  # the hazard: the plain session floor gives R - 1
    out = cg_bprr(inst)
    assert out.num_blocks == (3,)
    assert out.capacity == (1,)
    assert out.success
    assert evaluate(inst, out.solution).feasible


def test_infeasible_reason_names_blocks_and_design_load():
    """Tests that a failure names the under-served blocks and the largest
    design load for which CG-BPRR succeeds, and that both are right."""
    # M_j = 4.5: 3 blocks per server at R = 1 (6 >= L = 5), 2 at R = 2
    # (4 < 5), 1 at R = 5
    s_m, s_c = 1.0, 0.5
    servers = (Server("s0", 3 * (s_m + s_c), 1.0),
               Server("s1", 3 * (s_m + s_c), 2.0))
    inst = Instance(name="tight", L=5, s_m=s_m, s_c=s_c, l_max=1,
                    servers=servers, clients=(Client("c0", 5, (1.0, 1.0)),))
    out = cg_bprr(inst)
    assert not out.success
    assert out.num_blocks == (1, 1)
    assert out.under_served == (3, 4, 5)
    assert "blocks 3-5" in out.reason
    best = max_design_load(inst)
    assert best == 1
    assert f"R_design <= {best}" in out.reason
    res = solve_cg_bprr(inst, SolveParams())
    assert res.status is Status.INFEASIBLE
    assert res.solution is None
    assert "blocks 3-5" in res.message


def test_bad_arguments():
    """Tests one-line errors naming the argument."""
    inst = random_instance(3, 1, 2, L=4, seed=1)
    with pytest.raises(ValueError, match="r_design"):
        cg_bprr(inst, 0)
    with pytest.raises(ValueError, match="implementation"):
        cg_bprr(inst, implementation="fortran")
    with pytest.raises(ValueError, match="max_blocks"):
        cg_bprr(inst, max_blocks=[1, 2])
    with pytest.raises(ValueError, match="max_blocks"):
        cg_bprr(inst, max_blocks=[1, -1, 2])


def test_solve_result_carries_certified_gap():
    """Tests that solve_cg_bprr's Result is 'feasible' (never 'optimal'),
    carries the best default lower bound and the gap (value - bound) /
    value, and records the Theorem 3.5 bound and every lower bound."""
    inst = clustered_instance()
    res = solve_cg_bprr(inst, SolveParams())
    assert res.status is Status.FEASIBLE
    lbs = best_lower_bound(inst)
    assert res.bound == lbs.best
    assert 0 < res.bound <= res.value
    assert res.gap == pytest.approx((res.value - res.bound) / res.value)
    assert res.stats["lower_bounds"] == dict(lbs.bounds)
    assert res.value <= res.stats["thm35_bound_avg_per_token_ms"] * (1 + REL)
    doc = res.to_dict()
    assert doc["bound_avg_per_token_ms"] == res.bound
    assert doc["gap"] == res.gap


def test_r_design_below_requests_is_reported():
    """Tests that a design load below |R| is flagged in the message and that
    the evaluator, not CG-BPRR, decides feasibility."""
    inst = random_instance(4, 2, 3, L=6, regime="tight", seed=2)
    res = solve_cg_bprr(inst, SolveParams(r_design=1))
    out = cg_bprr(inst, 1)
    if out.success:
        assert "R_design = 1 < |R|" in res.message
        assert res.is_feasible() == evaluate(inst, out.solution).feasible


def test_gts_ce_scale_runs():
    """Tests a GTS-CE-sized run (60 servers, L = 70, 100 requests): success,
    evaluator-feasible, and LB <= value <= Theorem 3.5."""
    inst = clustered_instance(n_clients=10, requests=10, n_mig=50, n_a100=10)
    res = solve_cg_bprr(inst, SolveParams())
    assert res.is_feasible()
    assert res.bound <= res.value <= \
        res.stats["thm35_bound_avg_per_token_ms"] * (1 + REL)
    assert np.isfinite(res.gap) and not math.isnan(res.gap)


@settings(max_examples=60)
@given(boundary_instances())
def test_boundary_memories_never_break_the_evaluator(inst):
    """Tests that at memory figures within 3e-10 of m (s_m + s_c R) CG-BPRR
    and the evaluator agree: success implies an accepted solution."""
    out = cg_bprr(inst)
    if out.success:
        assert evaluate(inst, out.solution).feasible


def test_solve_cli_with_r_design(tmp_path, capsys):
    """Tests `bprr solve instance.json --method cg-bprr --r-design N --json`:
    the design load reaches CG-BPRR, the document carries the bound and the
    gap, and a design load no server can hold exits 1 with status
    'infeasible' and the reason."""
    import json

    from bprr_opt.cli import main

    inst = random_instance(5, 2, 2, L=6, regime="medium", seed=4)
    path = tmp_path / "inst.json"
    path.write_text(inst.to_json())
    assert main(["solve", str(path), "--method", "cg-bprr", "--r-design",
                 "6", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stats"]["r_design"] == 6
    assert doc["status"] == "feasible"
    assert 0 < doc["bound_avg_per_token_ms"] <= doc["avg_per_token_ms"]
    assert doc["gap"] == pytest.approx(
        1 - doc["bound_avg_per_token_ms"] / doc["avg_per_token_ms"])
    huge = max_design_load(inst) + 1
    assert main(["solve", str(path), "--method", "cg-bprr", "--r-design",
                 str(huge), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "infeasible"
    assert f"R_design <= {huge - 1}" in doc["message"]

"""Orderings against exact optima: LB <= MILP <= CG-BPRR <= Theorem 3.5,
Lemma 3.4, and the paper's worst-case family (unbounded ratio)."""

from __future__ import annotations

import pytest
from brute_force import brute_force_routing
from hypothesis import given, settings
from hypothesis import strategies as st

from bprr_opt.bounds import BOUNDS, best_lower_bound, chain_dp_bound
from bprr_opt.heuristics.theorem35 import theorem35_bound as thm35
from bprr_opt.evaluate import evaluate
from bprr_opt.exact.milp import solve_milp_paper
from bprr_opt.exact.rr_ilp import solve_rr_ilp
from bprr_opt.generators import MEMORY_REGIMES, random_instance
from bprr_opt.heuristics import _cg_bprr_kernels as jit
from bprr_opt.heuristics.cg_bprr import cg_bprr
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.params import SolveParams
from bprr_opt.result import Status
from bprr_opt.solution import Placement, Route, Solution

REL = 1e-9


def _le(x: float, y: float) -> bool:
    return x <= y * (1 + REL) + REL


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    jit.warm_up()


@st.composite
def milp_sized(draw) -> Instance:
    """L <= 5, <= 3 servers, <= 2 clients, <= 3 requests, all regimes."""
    C = draw(st.integers(1, 2))
    return random_instance(
        draw(st.integers(2, 3)), C, (1, 3 // C), draw(st.integers(2, 5)),
        regime=draw(st.sampled_from(MEMORY_REGIMES)),
        tau=draw(st.sampled_from([(1.0, 20.0), (0.5, 2.0), (10.0, 40.0)])),
        seed=draw(st.integers(0, 2**32 - 1)))


def _thm35(inst: Instance, out) -> float:
    return thm35(out.num_blocks, out.t_tilde, [s.tau for s in inst.servers],
                 inst.L)


@settings(max_examples=20)
@given(milp_sized())
def test_lb_below_milp_below_cg_below_theorem_3_5(inst):
    """Tests best_lower_bound (all bounds) <= MILP optimum <= CG-BPRR value
    <= Theorem 3.5 on MILP-sized instances (paper MILP (13) solved to
    proven optimality by HiGHS, unused servers allowed), and that CG-BPRR
    only succeeds on instances the MILP finds feasible."""
    milp = solve_milp_paper(inst, SolveParams(allow_unused=True))
    assert milp.status in (Status.OPTIMAL, Status.INFEASIBLE)
    out = cg_bprr(inst)
    if milp.status is Status.INFEASIBLE:
        assert not out.success
        return
    lbs = best_lower_bound(inst, methods=tuple(BOUNDS))
    assert _le(lbs.best, milp.value), lbs.bounds
    if out.success:
        value = evaluate(inst, out.solution).avg_per_token_ms
        assert _le(milp.value, value)
        assert _le(value, _thm35(inst, out))


@st.composite
def tiny_for_routing(draw) -> Instance:
    C = draw(st.integers(1, 2))
    return random_instance(
        draw(st.integers(2, 3)), C, (1, 2), draw(st.integers(2, 4)),
        regime=draw(st.sampled_from(MEMORY_REGIMES)),
        seed=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=60)
@given(tiny_for_routing())
def test_lemma_3_4_shortest_paths_are_optimal_routing(inst):
    """Tests Lemma 3.4: on CG-BPRR's placement (R_design = |R|), routing
    every request on its client's shortest chain is an optimal routing --
    its value equals the exhaustive optimum over all routings of that
    placement (tests/brute_force.py, memory enforced)."""
    out = cg_bprr(inst)
    if not out.success:
        return
    value = evaluate(inst, out.solution).avg_per_token_ms
    best, _ = brute_force_routing(inst, out.solution.placement)
    assert best is not None
    assert value == pytest.approx(best, rel=1e-9, abs=1e-9)


@st.composite
def rr_sized(draw) -> Instance:
    """Beyond enumeration: up to 7 servers, 3 clients, 12 requests, L = 10."""
    return random_instance(
        draw(st.integers(2, 7)), draw(st.integers(1, 3)), (0, 4),
        draw(st.integers(2, 10)),
        regime=draw(st.sampled_from(MEMORY_REGIMES)),
        seed=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=15)
@given(rr_sized())
def test_lemma_3_4_against_the_rr_ilp(inst):
    """Tests Lemma 3.4 on larger placements: the RR-ILP (19) of CG-BPRR's
    placement, solved to proven optimality with HiGHS, has the value of
    CG-BPRR's shortest-chain routing."""
    out = cg_bprr(inst)
    if not out.success or inst.num_requests == 0:
        return
    value = evaluate(inst, out.solution).avg_per_token_ms
    rr = solve_rr_ilp(inst, out.solution.placement)
    assert rr.status is Status.OPTIMAL
    assert rr.value == pytest.approx(value, rel=1e-9, abs=1e-9)


# -- the paper's worst-case family (bprr-model.md §3) ------------------------

def worst_case_instance(L: int, t: float = 10.0, tau: float = 1.0) -> Instance:
    """``L^2`` identical servers, ``M = (L + 1) s_m``, ``L^2`` requests and
    ``s_c`` in the middle of ``((L - 1) s_m / (2 L^2), s_m / L]``."""
    s_m = 1.0
    s_c = ((L - 1) / (2 * L * L) + 1 / L) / 2 * s_m
    n = L * L
    servers = tuple(Server(f"s{j}", (L + 1) * s_m, tau) for j in range(n))
    return Instance(name=f"worst-L{L}", L=L, s_m=s_m, s_c=s_c, l_max=1,
                    servers=servers, clients=(Client("c", n, (t,) * n),))


def whole_model_solution(inst: Instance) -> Solution:
    """Every server hosts blocks 1..L and serves one request alone."""
    n = inst.num_servers
    return Solution(Placement((1,) * n, (inst.L,) * n),
                    tuple(Route(0, (j,), 1) for j in range(n)))


@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_worst_case_family_ratio(L):
    """Tests the unbounded-ratio family: CG-BPRR gives every server one
    block and pays exactly L (t + tau) per token (= its Theorem 3.5
    bound), while the whole-model placement is feasible at t + L tau,
    which the chain-DP lower bound proves optimal; the ratio
    L (t + tau) / (t + L tau) tends to L as t / tau grows."""
    t, tau = 10.0, 1.0
    inst = worst_case_instance(L, t, tau)
    out = cg_bprr(inst)
    assert out.num_blocks == (1,) * (L * L)
    assert out.success
    cg = evaluate(inst, out.solution).avg_per_token_ms
    assert cg == pytest.approx(L * (t + tau), rel=1e-12)
    assert _thm35(inst, out) == pytest.approx(L * (t + tau), rel=1e-12)
    ev = evaluate(inst, whole_model_solution(inst))
    assert ev.feasible, ev.summary()
    assert ev.avg_per_token_ms == pytest.approx(t + L * tau, rel=1e-12)
    assert chain_dp_bound(inst) == pytest.approx(t + L * tau, rel=1e-12)
    assert cg / ev.avg_per_token_ms == pytest.approx(
        L * (t + tau) / (t + L * tau), rel=1e-12)
    far = worst_case_instance(L, t=1e6, tau=1.0)
    out_far = cg_bprr(far)
    ratio = evaluate(far, out_far.solution).avg_per_token_ms / \
        chain_dp_bound(far)
    assert L * 0.999 < ratio <= L


def test_worst_case_family_milp_optimum():
    """Tests, for L = 2, that the paper MILP's proven optimum of the family
    is t + L tau (so the whole-model placement is optimal) and that
    CG-BPRR is L (t + tau) / (t + L tau) = 11/6 times worse."""
    L, t, tau = 2, 10.0, 1.0
    inst = worst_case_instance(L, t, tau)
    milp = solve_milp_paper(inst, SolveParams(allow_unused=True))
    assert milp.status is Status.OPTIMAL
    assert milp.value == pytest.approx(t + L * tau, rel=1e-9)
    out = cg_bprr(inst)
    cg = evaluate(inst, out.solution).avg_per_token_ms
    assert cg / milp.value == pytest.approx(22 / 12, rel=1e-9)

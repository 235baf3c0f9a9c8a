"""Tests of the bounds on the PARTITION gadget (proofs/np_hardness.md)."""

from __future__ import annotations

import pytest
from brute_force import brute_force_optimum
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bprr_opt.bounds import chain_dp_bound, transport_bound
from bprr_opt.evaluate import evaluate
from bprr_opt.generators import partition_instance
from bprr_opt.heuristics import _cg_bprr_kernels as jit
from bprr_opt.heuristics.cg_bprr import cg_bprr
from bprr_opt.solution import Placement, Route, Solution


def subset_with_sum(weights: list[int], target: int) -> list[int] | None:
    """Indices of a subset summing to ``target`` (plain subset-sum DP)."""
    reach = {0: []}
    for i, w in enumerate(weights):
        for s, idx in list(reach.items()):
            if s + w <= target and s + w not in reach:
                reach[s + w] = idx + [i]
    return reach.get(target)


weight_lists = st.lists(st.integers(1, 9), min_size=1, max_size=7).filter(
    lambda ws: sum(ws) % 2 == 0 and sum(ws) <= 30)


@settings(max_examples=150)
@given(weight_lists)
@example([3, 1, 1, 2, 2, 1])  # partition exists
@example([2, 4])  # W = 3, no partition
@example([1, 1, 1, 3])  # W = 3: {3} or {1, 1, 1}
@example([5, 1])  # W = 3, a weight above W
def test_gadget_bounds_decide_partition(weights):
    """Tests the reduction's predictions on the bounds: the chain-DP bound
    is exactly 2W when a subset sums to W -- and then the back-to-back
    placement of that subset is a feasible solution of value 2W, so OPT =
    2W -- and at least 2W + 1 otherwise; the transport bound is at most
    OPT (= the chain-DP bound with one request) and exactly 2W when no
    weight exceeds W (every block costs tau + w_j / K_j = 2), so it cannot
    tell partition from no partition; CG-BPRR never beats the chain-DP
    bound."""
    inst = partition_instance(weights)
    W = sum(weights) // 2
    subset = subset_with_sum(weights, W)
    lb = chain_dp_bound(inst)
    if subset is not None:
        assert lb == 2 * W
        n = len(weights)
        a, m, start = [0] * n, [0] * n, 1
        for j in subset:
            a[j], m[j] = start, weights[j]
            start += weights[j]
        sol = Solution(Placement(tuple(a), tuple(m)),
                       (Route(0, tuple(subset), 1),))
        ev = evaluate(inst, sol)
        assert ev.feasible and ev.avg_per_token_ms == 2 * W
    else:
        assert lb >= 2 * W + 1
    tb = transport_bound(inst)
    assert tb <= lb * (1 + 1e-12)
    if max(weights) <= W:
        assert tb == pytest.approx(2 * W, rel=1e-12)
    jit.warm_up()
    out = cg_bprr(inst)
    if out.success:
        assert evaluate(inst, out.solution).avg_per_token_ms >= lb - 1e-9


@pytest.mark.parametrize("weights", [[1, 1, 2], [1, 3], [2, 2, 4], [1, 1, 1, 1],
                                     [3, 3, 2], [4, 2]])
def test_gadget_optimum_by_enumeration(weights):
    """Tests, by exhaustive enumeration (L = W <= 4), that the gadget's
    optimum is 2W iff a partition exists, >= 2W + 1 otherwise, and equals
    the chain-DP bound."""
    inst = partition_instance(weights)
    W = sum(weights) // 2
    opt, _ = brute_force_optimum(inst, allow_unused=True)
    assert opt == chain_dp_bound(inst)
    if subset_with_sum(weights, W) is not None:
        assert opt == 2 * W
    else:
        assert opt >= 2 * W + 1

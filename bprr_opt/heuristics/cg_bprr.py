"""CG-BPRR: conservative greedy block placement and request routing.

Algorithm 1 of [1]_ in three steps (``shared/spec/bprr-model.md`` §3):

1. conservative block counts ``m_j = min(floor(M_j / (s_m + s_c R)), L)``,
   so every server keeps room for the caches of ``R = R_design`` sessions on
   all of its blocks;
2. greedy placement: servers in increasing amortised per-block time
   ``t~_j = (max_c t_cj + tau_j m_j) / m_j``; Phase 1 covers under-served
   blocks (window with the largest amortised need ``sum T_b``), Phase 2 adds
   redundancy with the PETALS rule (lexicographically smallest sorted
   capacities);
3. every request of a client on the client's shortest feasible chain.

The hot loops run in Numba (:mod:`._cg_bprr_kernels`, one fused call); a
plain-Python reference of the same algorithm (:mod:`._cg_bprr_reference`)
gives identical output and is selectable with ``engine="reference"``.

What this implementation guarantees (``proofs/theorem35.md``): Phase 1 places
the first servers back to back from block 1, so CG-BPRR succeeds iff the
Step 1 counts sum to at least ``L`` (:func:`max_design_load` finds the largest
design load that does), and its value satisfies Theorem 3.5 (17).

References
----------
.. [1] Sun, He, Ji, Parag (2025). Optimizing Resource Allocation for
       Geographically-Distributed Inference by Large Language Models.
       arXiv:2512.21884, Algorithm 1, Lemma 3.4, Theorem 3.5.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..bounds import best_lower_bound
from ..instance import Instance
from ..numerics import floor_div
from ..params import Engine, SolveParams
from ..result import Result, build_result
from ..solution import Placement, Route, Solution, with_idle_blocks
from . import _cg_bprr_kernels as _jit
from . import _cg_bprr_reference as _ref
from .theorem35 import theorem35_bound

__all__ = ["CGBPRROutput", "GreedyPlacement", "cg_bprr", "greedy_placement",
           "max_design_load", "max_provisionable_r", "solve_cg_bprr"]

@dataclass(frozen=True)
class CGBPRROutput:
    """Everything CG-BPRR computed, before the evaluator's verdict.

    Attributes
    ----------
    success
        Steps 1-2 served every block ``R_design`` times and every client with
        requests has a chain.
    solution
        Placement and routes (``None`` unless ``success``).
    placement
        The placement, also when routing was impossible (``None`` if Step 2
        failed).
    r_design
        Design load ``R`` used.
    num_blocks, capacity, t_tilde
        Step 1 counts ``m_j``, session capacities ``cap_j`` and amortised
        per-block times ``t~_j`` (0 for unused servers).
    order
        Servers in the order Step 2 visited them (increasing ``t~_j``).
    K
        Servers visited when every block first had ``C_b >= R`` (-1: never).
    under_served
        1-based blocks with ``C_b < R`` after Step 2 (empty on success).
    reason
        Why it failed, one line ("" on success).
    """

    success: bool
    solution: Solution | None
    placement: Placement | None
    r_design: int
    num_blocks: tuple[int, ...]
    capacity: tuple[int, ...]
    t_tilde: tuple[float, ...]
    order: tuple[int, ...]
    K: int
    under_served: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class GreedyPlacement:
    """Steps 1-2 of CG-BPRR (no routing), as the online CG-BP uses them.

    ``num_blocks``, ``capacity``, ``t_tilde``: Step 1 counts ``m_j``,
    session capacities and amortised per-block times; ``first_block``:
    Step 2's ``a_j`` (0 for unused servers); ``order``: the visiting order;
    ``K``: servers visited when every block first had ``C_b >= R`` (-1:
    never; 0 when ``R = 0``); ``provisioned``: the final ``C_b`` per block.
    """

    num_blocks: np.ndarray
    capacity: np.ndarray
    t_tilde: np.ndarray
    first_block: np.ndarray
    order: np.ndarray
    K: int
    provisioned: np.ndarray


def greedy_placement(instance: Instance, r_design: int, *,
                     max_blocks: Sequence[int] | None = None
                     ) -> GreedyPlacement:
    """Run CG-BPRR's Steps 1-2 (block counts, greedy placement) only.

    Parameters
    ----------
    instance
        The problem data (its request counts are not used).
    r_design
        Design load ``R >= 0`` (0 leaves every block in Phase 2).
    max_blocks
        Per-server cap on ``m_j``, as in :func:`cg_bprr`.  Default none.

    Returns
    -------
    GreedyPlacement
        The compiled kernel's Step 1-2 output, coverage not checked.

    Notes
    -----
    The same fused kernel as :func:`cg_bprr` (routing skipped).
    ``O(|V_s| L^2)``.
    """
    R = int(r_design)
    if R < 0:
        raise ValueError(f"r_design: must be >= 0, got {r_design!r}")
    arr = instance.to_arrays()
    caps = _block_caps(instance, max_blocks)
    m, cap, tt, a, order, K, C, _, _ = _jit.run_cg_bprr(
        arr.memory, arr.tau, arr.rtt,
        np.zeros(instance.num_clients, np.int64), arr.s_m, arr.s_c, R,
        instance.L, caps)
    return GreedyPlacement(m, cap, tt, a, order, int(K), C)


def max_provisionable_r(instance: Instance) -> int:
    """Largest design load the block counts surely cover (spec §3).

    ``floor((sum_j M_j - s_m (L + |V_s|)) / (s_c (L + |V_s|)))``: for any
    ``R`` up to it, ``sum_j floor(M_j / (s_m + s_c R)) >= L``.  May be
    negative when even ``R = 0`` is not covered by this sufficient condition.
    """
    n, L = instance.num_servers, instance.L
    total = sum(s.memory for s in instance.servers)
    return math.floor((total - instance.s_m * (L + n))
                      / (instance.s_c * (L + n)))


def _block_caps(instance: Instance,
                max_blocks: Sequence[int] | None) -> np.ndarray:
    n, L = instance.num_servers, instance.L
    if max_blocks is None:
        return np.full(n, L, np.int64)
    caps = np.asarray(max_blocks)
    if caps.shape != (n,):
        raise ValueError(f"max_blocks: expected {n} values, got {caps.size}")
    if caps.dtype.kind not in "iu" or (caps < 0).any():
        raise ValueError(f"max_blocks: must be integers >= 0, got "
                         f"{caps.tolist()!r}")
    return caps.astype(np.int64)


def max_design_load(instance: Instance, *,
                    max_blocks: Sequence[int] | None = None) -> int:
    """Largest ``R_design`` for which CG-BPRR succeeds (0 if none).

    CG-BPRR with design load ``R`` succeeds iff its Step 1 counts satisfy
    ``sum_j m_j(R) >= L`` (Phase 1 tiles ``1..L`` from the left,
    ``proofs/theorem35.md`` Lemma 2); ``m_j(R)`` does not grow with ``R``, so
    a bisection over ``R`` finds the exact threshold.  The spec's closed form
    :func:`max_provisionable_r` is a sufficient condition, never larger.

    Parameters
    ----------
    instance
        The problem data.
    max_blocks
        Per-server cap on ``m_j`` as in :func:`cg_bprr`.  Default none.

    Returns
    -------
    R : int
        ``max {R >= 1 : sum_j min(floor(M_j / (s_m + s_c R)), L, cap_j) >= L}``,
        or 0 when even ``R = 1`` fails.

    Notes
    -----
    ``O(|V_s| log(max_j M_j / s_c))``.
    """
    caps = _block_caps(instance, max_blocks)
    mem = [s.memory for s in instance.servers]
    s_m, s_c, L = instance.s_m, instance.s_c, instance.L

    def covers(R: int) -> bool:
        return sum(_ref.block_counts(mem, s_m, s_c, R, L, caps.tolist())) >= L

    if not covers(1):
        return 0
    lo, hi = 1, max(2, floor_div(max(mem), s_c) + 2)  # covers(hi) is false
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if covers(mid):
            lo = mid
        else:
            hi = mid
    return lo


def cg_bprr(instance: Instance, r_design: int | None = None, *,
            max_blocks: Sequence[int] | None = None,
            engine: Engine | str = Engine.NUMBA,
            implementation: str | None = None) -> CGBPRROutput:
    """Run CG-BPRR on ``instance``.

    Parameters
    ----------
    instance
        The problem data.
    r_design
        Concurrent requests to provision for; default ``max(|R|, 1)``.
    max_blocks
        Optional per-server cap on ``m_j`` (the online scenarios cap MIG
        slices at 4 blocks).  Default none.
    engine
        ``"numba"`` (compiled kernels) or ``"reference"`` (plain Python);
        identical output.  Default ``"numba"``.
    implementation
        Deprecated name of ``engine``.

    Returns
    -------
    CGBPRROutput
        The placement, routes and the quantities of Theorem 3.5.

    See Also
    --------
    solve_cg_bprr : the same, evaluated and certified by lower bounds.
    bprr_opt.heuristics.theorem35.theorem35_bound : the right-hand side
        of (17).

    Notes
    -----
    Success iff ``sum_j m_j >= L``.  Then, with ``o`` the visiting order
    (increasing ``t~_j``, index on ties) and ``K`` the first prefix of ``o``
    holding ``L`` blocks, the average per-token time satisfies Theorem 3.5,

        T_CG <= sum_{i <= K} t~_{o(i)} m_{o(i)}
                - tau_{o(K)} (sum_{i <= K} m_{o(i)} - L),

    for any ``r_design`` and caps: the first ``K`` servers are placed back to
    back and form a chain (``proofs/theorem35.md``).  The ratio to the
    optimum is unbounded (worst case ``L (t + tau) / (t + L tau)``).  With
    ``r_design >= |R|`` memory cannot bind on the routes, so the per-client
    shortest chains are an optimal routing of the placement (Lemma 3.4);
    with a smaller ``r_design`` they may break memory and the evaluator
    says so.  Time ``O(|V_s| L^2 + |V_c| (|V_s| log |V_s| + sum_j m_j))``.

    Examples
    --------
    >>> from bprr_opt.generators import clustered_instance
    >>> out = cg_bprr(clustered_instance())
    >>> out.success, out.K, sum(out.num_blocks) >= 70
    (True, 2, True)

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, Algorithm 1, Theorem 3.5.
    """
    name = "engine"
    if implementation is not None:
        warnings.warn("cg_bprr: 'implementation' is deprecated, use 'engine'",
                      DeprecationWarning, stacklevel=2)
        engine, name = implementation, "implementation"
    if engine not in tuple(Engine):
        raise ValueError(f"{name}: must be one of {', '.join(Engine)}, got "
                         f"{engine!r}")
    R = max(instance.num_requests, 1) if r_design is None else int(r_design)
    if R < 1:
        raise ValueError(f"r_design: must be >= 1, got {r_design!r}")
    arr = instance.to_arrays()
    L = instance.L
    caps = _block_caps(instance, max_blocks)

    if engine == Engine.NUMBA:
        m_, cap_, tt_, a_, order_, K, C_, pred, last = _jit.run_cg_bprr(
            arr.memory, arr.tau, arr.rtt, arr.requests, arr.s_m, arr.s_c, R,
            L, caps)
        m, a, C = m_.tolist(), a_.tolist(), C_.tolist()
        cap, tt, order = cap_.tolist(), tt_.tolist(), order_.tolist()
    else:
        mem = arr.memory.tolist()
        t_star = arr.rtt.max(axis=0).tolist()  # farthest client per server
        m = _ref.block_counts(mem, arr.s_m, arr.s_c, R, L, caps.tolist())
        cap, tt = _ref.cap_and_speed(m, mem, arr.tau.tolist(), t_star,
                                     arr.s_m, arr.s_c, R)
        a, order, K, C = _ref.greedy_placement(m, tt, cap, L, R)

    common = dict(r_design=R, num_blocks=tuple(m), capacity=tuple(cap),
                  t_tilde=tuple(tt), order=tuple(order), K=int(K))
    under = tuple(b + 1 for b in range(L) if C[b] < R)
    if under:
        best = max_design_load(instance, max_blocks=max_blocks)
        reason = (f"blocks {_ranges(under)} are provisioned for fewer than "
                  f"R_design = {R} sessions (the block counts "
                  f"min(floor(M_j / (s_m + s_c R_design)), L) sum to "
                  f"{sum(m)}, L = {L} needed); CG-BPRR succeeds for R_design "
                  f"<= {best}" + ("" if best else " (none)")
                  + f"; the spec's sufficient bound gives R_design <= "
                  f"{max_provisionable_r(instance)}")
        return CGBPRROutput(False, None, None, under_served=under,
                            reason=reason, **common)
    # unused servers already have a_j = 0 (Placement's convention)
    placement = Placement(tuple(a), tuple(m))

    if engine == Engine.NUMBA:
        chains = [_walk(pred[c], int(last[c])) for c in range(len(last))]
    else:
        chains = _ref.route_clients(a, m, arr.tau.tolist(), arr.rtt.tolist(),
                                    arr.requests.tolist(), L)
    missing = [instance.clients[c].id for c, ch in enumerate(chains)
               if ch is None]
    if missing:  # cannot happen when Step 2 succeeds (proofs/theorem35.md)
        return CGBPRROutput(False, None, placement, under_served=(),
                            reason=f"no feasible chain for clients {missing}",
                            **common)
    routes = tuple(Route(c, ch, instance.clients[c].requests)
                   for c, ch in enumerate(chains) if ch)
    return CGBPRROutput(True, Solution(placement, routes), placement,
                        under_served=(), reason="", **common)


def _walk(pred: np.ndarray, last: int) -> tuple[int, ...] | None:
    if last == -1:
        return ()
    if last < 0:
        return None
    chain = [last]
    while pred[chain[-1]] != -1:
        chain.append(int(pred[chain[-1]]))
    chain.reverse()
    return tuple(chain)


def _ranges(blocks: Sequence[int]) -> str:
    """``(1, 2, 3, 7)`` -> ``"1-3, 7"``."""
    parts = []
    start = prev = blocks[0]
    for b in blocks[1:]:
        if b != prev + 1:
            parts.append(f"{start}-{prev}" if prev > start else str(start))
            start = b
        prev = b
    parts.append(f"{start}-{prev}" if prev > start else str(start))
    return ", ".join(parts)


def solve_cg_bprr(instance: Instance, params: SolveParams) -> Result:
    """``solve(instance, "cg-bprr", params)``: run CG-BPRR and certify it.

    Parameters
    ----------
    instance
        The problem data.
    params
        ``params.r_design`` is the design load (default ``|R|``);
        ``params.allow_unused`` (default False, the paper's ``m_j >= 1``):
        without it every server CG-BPRR leaves empty gets one idle block
        (no route uses it, the value is unchanged), and a server that cannot
        hold one block makes the solution infeasible.  The other fields do
        not apply.

    Returns
    -------
    Result
        Status ``feasible`` (never ``optimal``: CG-BPRR proves nothing) when
        the evaluator accepts the solution, ``infeasible`` otherwise (with
        the reason).  ``bound`` is :func:`~bprr_opt.bounds.best_lower_bound`
        with its default bounds (chain-DP and transport always, the paper LP
        only on small models), so ``gap`` is a certified optimality gap.
        ``stats`` carry every bound, the Theorem 3.5 upper bound (17) on
        CG-BPRR's own value, ``K`` and the bound run time; ``runtime_s``
        times CG-BPRR alone (JIT compilation excluded).

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, Algorithm 1, Theorem 3.5.
    """
    _jit.warm_up()  # runtime below excludes JIT compilation
    t0 = time.perf_counter()
    out = cg_bprr(instance, params.r_design)
    runtime = time.perf_counter() - t0
    t1 = time.perf_counter()
    lbs = best_lower_bound(instance)
    bound_time = time.perf_counter() - t1
    thm = theorem35_bound(out.num_blocks, out.t_tilde,
                          [s.tau for s in instance.servers], instance.L)
    stats = {"r_design": out.r_design, "K": out.K,
             "thm35_bound_avg_per_token_ms": thm,
             "lower_bounds": dict(lbs.bounds),
             "best_bound_method": lbs.best_method,
             "bound_runtime_s": bound_time}
    message = out.reason
    if out.success and out.r_design < instance.num_requests:
        message = (f"R_design = {out.r_design} < |R| = "
                   f"{instance.num_requests}: routes may break memory")
    if lbs.proves_infeasible:
        message = "; ".join(filter(None, (
            message, f"no solution exists ({lbs.best_method} bound is "
                     "infinite)")))
    solution = out.solution
    if solution is not None and not params.allow_unused:
        solution = with_idle_blocks(instance, solution)[0]
    return build_result(instance, solution, method="cg-bprr",
                        status=None, runtime_s=runtime, bound=lbs.best,
                        message=message, stats=stats,
                        allow_unused=params.allow_unused)

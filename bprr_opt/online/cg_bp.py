"""CG-BP: the online block placement of the proposed method (spec §4, §5).

CG-BP is Steps 1-2 of CG-BPRR (Algorithm 1 of [1]_) with the online
scenario's MIG cap: ``m_j = min(floor(M_j / (s_m + s_c R)), L)``, capped at
``mig_max_blocks`` (4) on MIG slices, then the greedy placement in increasing
amortised per-block time.  It runs CG-BPRR's Steps 1-2
(:func:`bprr_opt.heuristics.cg_bprr.greedy_placement`, the compiled kernel;
the cap goes in through its ``max_blocks`` argument, and no request is
routed); this module adds the choice of the design load ``R`` from the
arrival rate (:func:`design_r`).

The kernels match spec §5 on every point checked: ``t~_j = (max_c t_cj +
tau_j m_j) / m_j``; stable order (lower index on ties); ``t0 = max t~ + 1``;
``T_b = R t0``; Phase 1 keeps the window with the largest ``sum T_b`` among
those holding an under-served block, replacing only on a strict increase
(smallest ``a`` on ties); Phase 2 takes the lexicographically smallest sorted
window; the update uses the pre-update ``C_b``.  Two differences, neither
reachable with positive times: the authors' Phase 1 starts from an incumbent
value 0 (so a window of total ``<= 0`` would never be taken), the kernel
takes the first candidate; and every floor uses the package tolerance
``floor(x + 1e-9)`` instead of MATLAB's plain ``floor`` (with ``cap_j``
raised to ``R`` where the two tolerances could disagree by one).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, Algorithm 1 and §4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..chains.dijkstra import dijkstra_csr
from ..chains.hops import hop_graph
from ..errors import InfeasibleError
from ..heuristics.cg_bprr import greedy_placement, max_provisionable_r
from ..heuristics.theorem35 import theorem35_bound
from ..solution import Placement
from ..scenario import Scenario
from .ws_rr import static_costs
from ..generators.topology import matlab_round

__all__ = ["CGBPPlacement", "DesignR", "allocation_aware_r", "cg_bp",
           "design_r"]


@dataclass(frozen=True)
class CGBPPlacement:
    """CG-BP's placement and the quantities it computed.

    ``order`` is the visiting order (increasing ``t~_j``), the "Opt Order"
    ablation's join order; ``K`` the number of servers visited when every
    block first reached ``C_b >= R``; ``bound`` the Theorem 3.5 expression
    of spec §5.5 (informative, not a bound on the online metrics).
    """

    placement: Placement
    r_design: int
    num_blocks: tuple[int, ...]
    capacity: tuple[int, ...]
    t_tilde: tuple[float, ...]
    order: tuple[int, ...]
    K: int
    bound: float


@dataclass(frozen=True)
class DesignR:
    """The design load of spec §4: ``R = min(round(mu + sqrt(mu)), R_max)``."""

    T1_ms: float
    mu: float
    R: int
    R_max: int


def cg_bp(scenario: Scenario, r_design: int, *,
          mig_cap: bool = True) -> CGBPPlacement:
    """Place blocks with CG-BP for ``r_design`` concurrent requests.

    Parameters
    ----------
    scenario
        The online scenario.
    r_design
        Design load ``R`` (>= 0; 0 leaves every block in Phase 2).
    mig_cap
        Cap MIG slices at ``mig_max_blocks`` (spec §5; the §4 ``T1`` run has
        no cap).  Default True.

    Returns
    -------
    CGBPPlacement

    Raises
    ------
    InfeasibleError
        If some block is provisioned for fewer than ``R`` sessions.

    Notes
    -----
    ``O(|V_s| L^2)``.
    """
    inst = scenario.instance
    R = int(r_design)
    if R < 0:
        raise ValueError(f"r_design: must be >= 0, got {r_design!r}")
    L = inst.L
    g = greedy_placement(inst, R, max_blocks=scenario.max_blocks(mig_cap))
    short = [b + 1 for b in range(L) if g.provisioned[b] < R]
    if short:
        raise InfeasibleError(
            f"cg-bp: blocks {short[0]}..{short[-1]} are provisioned for fewer "
            f"than R = {R} sessions (R_max = {max_provisionable_r(inst)})")
    mm, tl, od = g.num_blocks.tolist(), g.t_tilde.tolist(), g.order.tolist()
    # Theorem 3.5 expression (spec §5.5).  Once every block is covered the
    # visiting prefix holding L blocks is exactly the first K servers
    # (Phase 1 tiles from block 1), so this is (17) at K; with R = 0 no
    # server is needed (K = 0) and there is no bound.
    bound = math.nan
    if g.K >= 1:
        bound = theorem35_bound(mm, tl, [s.tau for s in inst.servers], L)
    return CGBPPlacement(Placement.from_arrays(g.first_block, g.num_blocks),
                         R, tuple(mm), tuple(g.capacity.tolist()), tuple(tl),
                         tuple(od), g.K, bound)


def design_r(scenario: Scenario, rate_per_ms: float, *,
             num_std: float = 1.0) -> DesignR:
    """Choose CG-BP's design load from the arrival rate (spec §4).

    ``T1``: CG-BPRR with ``R = 1`` and **no** MIG cap, then the cheapest chain
    under WS-RR's static costs (Dijkstra, tie rules of
    :mod:`bprr_opt.chains.dijkstra`); ``T1 = D_0 + (distance - delta)`` (no
    waiting, no allocation delay -- ⚠ so ``R`` underestimates the load).
    ``mu = lambda T1`` (Little's law) and
    ``R = min(round(mu + num_std sqrt(mu)), R_max)`` with
    ``R_max = floor((sum M - s_m (L + n)) / (s_c (L + n)))``, raised to 1 if
    it rounds to 0 (vanishing rates).  With several clients ``T1`` is their
    mean.

    Raises
    ------
    InfeasibleError
        If the ``R = 1`` placement fails or has no chain.
    """
    if not rate_per_ms > 0:
        raise ValueError(f"rate: must be > 0, got {rate_per_ms!r}")
    inst = scenario.instance
    one = cg_bp(scenario, 1, mig_cap=False)
    g = hop_graph(one.placement, inst.L)
    delta = scenario.params.last_hop_ms
    cost = static_costs(inst, g, delta)
    n = inst.num_servers
    V = n + 2
    dist = np.empty(V)
    pred = np.empty(V, np.int64)
    done = np.empty(V, np.bool_)
    T = []
    for c in range(inst.num_clients):
        d = dijkstra_csr(g.indptr, g.head, np.ascontiguousarray(cost[c]), n,
                         n + 1, dist, pred, done)
        if not math.isfinite(d):
            raise InfeasibleError("design_r: the R = 1 placement has no chain")
        T.append(scenario.params.initial_delay_ms + (d - delta))
    T1 = sum(T) / len(T)
    mu = rate_per_ms * T1
    R_max = max_provisionable_r(inst)
    # R >= 1: with R = 0 a server may keep fewer free slots than it hosts
    # blocks, and a request through it could never start (the authors' code
    # would fail there; it only happens for rates -> 0)
    R = max(1, min(matlab_round(mu + num_std * math.sqrt(mu)), R_max))
    return DesignR(T1, mu, R, R_max)


def allocation_aware_r(scenario: Scenario, rate_per_ms: float) -> int:
    """CG-BP's design load when Little's law counts the allocation delay.

    The authors' rule (spec §4) sizes ``R = round(mu + sqrt(mu))`` from
    ``mu = lambda T1`` where ``T1`` leaves out the allocation delay ``A``
    that every request is charged (⚠ spec §14.13).  This variant uses
    ``mu = lambda (T1 + A)`` with the proposed method's ``A``, the same
    rounding and cap ``R_max``, and then lowers ``R`` to the largest value
    for which CG-BP succeeds (``R_max`` only bounds the total memory; with
    few servers CG-BP can fail below it).

    Notes
    -----
    ``mu`` is obtained from the authors' rule at the rate
    ``lambda (T1 + A) / T1``.  A diagnostic variant used to explain the
    equal-settings results, not a method of the paper.
    """
    d = design_r(scenario, rate_per_ms)
    A = scenario.params.allocation_delay_proposed_ms
    R = design_r(scenario, rate_per_ms * (d.T1_ms + A) / d.T1_ms).R
    while R > d.R:
        try:
            cg_bp(scenario, R)
            break
        except InfeasibleError:
            R -= 1
    return R

"""Plain-Python reference of CG-BPRR (Algorithm 1 of [1]_).

The same algorithm as the compiled kernels in :mod:`._cg_bprr_kernels`, written
for reading and for cross-checking: both must return identical placements
and routes on every instance (``tests/heuristics``).  Every floating-point
expression is evaluated in the same order as in the kernels, so ties are
broken identically.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, Algorithm 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..chains.shortest import chain_dp
from ..numerics import floor_div

__all__ = ["block_counts", "cap_and_speed", "greedy_placement",
           "route_clients"]


def block_counts(memory: Sequence[float], s_m: float, s_c: float, R: int,
                 L: int, max_blocks: Sequence[int]) -> list[int]:
    """Step 1: ``m_j = min(floor(M_j / (s_m + s_c R)), L, max_blocks_j)``."""
    unit = s_m + s_c * R
    return [min(floor_div(M, unit), L, int(cap))
            for M, cap in zip(memory, max_blocks)]


def cap_and_speed(m: Sequence[int], memory: Sequence[float],
                  tau: Sequence[float], t_star: Sequence[float], s_m: float,
                  s_c: float, r_design: int = 0
                  ) -> tuple[list[int], list[float]]:
    """Session capacity ``cap_j`` and amortised per-block time ``t~_j``.

    ``cap_j = max(floor((M_j - s_m m_j) / (s_c m_j)), r_design)`` and
    ``t~_j = (t*_j + tau_j m_j) / m_j`` for used servers, 0 otherwise (why
    the ``r_design`` floor: see the compiled twin).
    """
    cap = [0] * len(m)
    tt = [0.0] * len(m)
    for j, mj in enumerate(m):
        if mj >= 1:
            cap[j] = max(floor_div(memory[j] - s_m * mj, s_c * mj), r_design)
            tt[j] = (t_star[j] + tau[j] * mj) / mj
    return cap, tt


def greedy_placement(m: Sequence[int], t_tilde: Sequence[float],
                     cap: Sequence[int], L: int, R: int
                     ) -> tuple[list[int], list[int], int, list[int]]:
    """Step 2: greedy window choice, Phase 1 then Phase 2.

    Returns ``(a, order, K, C)``: first blocks (0 for unused servers), the
    visiting order, the number of servers visited when every block first
    reached ``C_b >= R`` (-1 if never) and the final capacities ``C_b``.
    """
    n = len(m)
    used = [j for j in range(n) if m[j] >= 1]
    a = [0] * n
    if not used:
        return a, [], (0 if R <= 0 else -1), [0] * L
    t0 = max(t_tilde[j] for j in used) + 1.0
    T = [R * t0] * L  # amortised need per block
    C = [0] * L  # sessions provisioned per block
    order = sorted(used, key=lambda j: (t_tilde[j], j))
    K = 0 if R <= 0 else -1
    for visited, j in enumerate(order, start=1):
        mj = m[j]
        width = L - mj + 1
        if any(c < R for c in C):
            # Phase 1: window with an under-served block and the largest need.
            best_a, best = -1, 0.0
            for s in range(width):
                if not any(C[b] < R for b in range(s, s + mj)):
                    continue
                total = 0.0
                for b in range(s, s + mj):
                    total += T[b]
                if best_a < 0 or total > best:
                    best_a, best = s, total
        else:
            # Phase 2: lexicographically smallest sorted capacities (PETALS).
            best_a = min(range(width),
                         key=lambda s: (sorted(C[s:s + mj]), s))
        gain = t0 - t_tilde[j]
        for b in range(best_a, best_a + mj):
            fill = min(max(R - C[b], 0), cap[j])
            T[b] -= gain * fill
            C[b] += cap[j]
        a[j] = best_a + 1
        if K < 0 and all(c >= R for c in C):
            K = visited
    return a, order, K, C


def route_clients(a: Sequence[int], m: Sequence[int], tau: Sequence[float],
                  rtt: Sequence[Sequence[float]], requests: Sequence[int],
                  L: int) -> list[tuple[int, ...] | None]:
    """Step 3: one shortest chain per client with requests (else ``()``)."""
    out: list[tuple[int, ...] | None] = []
    for c, n_c in enumerate(requests):
        if n_c == 0:
            out.append(())
            continue
        found = chain_dp(a, m, tau, rtt[c], L)
        out.append(None if found is None else found[0])
    return out

"""Numba kernels of CG-BPRR (Algorithm 1 of [1]_): numpy arrays in and out.

The public wrapper is :func:`bprr_opt.heuristics.cg_bprr.cg_bprr`; the
plain-Python twin is :mod:`._cg_bprr_reference`.  Both evaluate every
floating-point expression in the same order, so they agree bit for bit
(checked by the tests).  Differences are purely algorithmic speed-ups that
cannot change a result:

* Phase 1 tests "window holds an under-served block" with a prefix count;
* Phase 2 slides one sorted window across the blocks (``O(m)`` per shift)
  instead of sorting every window from scratch;
* routing keeps one label per block boundary (see :mod:`bprr_opt.chains.shortest`).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, Algorithm 1.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..numerics import EPS

__all__ = ["block_counts", "cap_and_speed", "greedy_placement",
           "route_clients", "run_cg_bprr"]


@njit(cache=True)
def block_counts(memory, s_m, s_c, R, L, max_blocks):
    """Step 1: ``m_j = min(floor(M_j / (s_m + s_c R)), L, max_blocks_j)``."""
    n = memory.shape[0]
    unit = s_m + s_c * R
    m = np.empty(n, np.int64)
    for j in range(n):
        mj = int(math.floor(memory[j] / unit + EPS))
        m[j] = min(mj, L, max_blocks[j])
    return m


@njit(cache=True)
def cap_and_speed(m, memory, tau, t_star, s_m, s_c, r_design=0):
    """Session capacity ``cap_j`` and amortised per-block time ``t~_j``.

    ``cap_j = max(floor((M_j - s_m m_j) / (s_c m_j)), r_design)``.  When the
    ``m_j`` come from :func:`block_counts` with design load ``R`` (possibly
    capped lower), Step 1 has certified memory for ``R`` sessions on all
    ``m_j`` blocks, so ``cap_j >= R``; but the two floors put their ``EPS``
    on different scales (a block count, a session count), and at memory
    figures within ``EPS`` of ``m_j (s_m + s_c R)`` the second floor can
    return ``R - 1``.  Passing ``r_design = R`` restores the invariant
    ``cap_j >= R`` that Phase 1 and Theorem 3.5 rely on.  Default 0 (the
    plain formula).
    """
    n = m.shape[0]
    cap = np.zeros(n, np.int64)
    tt = np.zeros(n, np.float64)
    for j in range(n):
        if m[j] >= 1:
            cap[j] = max(int(math.floor((memory[j] - s_m * m[j])
                                        / (s_c * m[j]) + EPS)), r_design)
            tt[j] = (t_star[j] + tau[j] * m[j]) / m[j]
    return cap, tt


@njit(cache=True)
def _lexmin_window(C, mj, L):
    """Start (0-based) of the window whose sorted values are lex-smallest."""
    width = L - mj + 1
    win = np.sort(C[0:mj])
    best = win.copy()
    best_s = 0
    for s in range(1, width):
        out_v = C[s - 1]
        in_v = C[s + mj - 1]
        if out_v != in_v:
            # replace one copy of out_v by in_v, then restore the order
            lo, hi = 0, mj
            while lo < hi:
                mid = (lo + hi) // 2
                if win[mid] < out_v:
                    lo = mid + 1
                else:
                    hi = mid
            p = lo
            win[p] = in_v
            while p + 1 < mj and win[p + 1] < win[p]:
                win[p], win[p + 1] = win[p + 1], win[p]
                p += 1
            while p > 0 and win[p - 1] > win[p]:
                win[p], win[p - 1] = win[p - 1], win[p]
                p -= 1
        for i in range(mj):
            if win[i] != best[i]:
                if win[i] < best[i]:
                    best[:] = win
                    best_s = s
                break
    return best_s


@njit(cache=True)
def _used_in_order(m, key):
    """Servers with ``m_j >= 1`` sorted by ``key_j``, stably (index on ties)."""
    used = np.flatnonzero(m >= 1)
    return used[np.argsort(key[used], kind="mergesort")]


@njit(cache=True)
def greedy_placement(m, t_tilde, cap, L, R):
    """Step 2; returns ``(a, order, K, C)`` as the reference does."""
    n = m.shape[0]
    a = np.zeros(n, np.int64)
    C = np.zeros(L, np.int64)
    order = _used_in_order(m, t_tilde)
    n_used = order.shape[0]
    K = 0 if R <= 0 else -1
    if n_used == 0:
        return a, order, K, C
    t0 = t_tilde[order[n_used - 1]]
    for q in range(n_used):
        if t_tilde[order[q]] > t0:
            t0 = t_tilde[order[q]]
    t0 = t0 + 1.0
    T = np.full(L, R * t0)
    under = np.zeros(L + 1, np.int64)  # prefix counts of C_b < R
    for visited in range(1, n_used + 1):
        j = order[visited - 1]
        mj = m[j]
        width = L - mj + 1
        if K < 0:  # some C_b < R (C only grows, so K < 0 iff so)
            for b in range(L):
                under[b + 1] = under[b] + (1 if C[b] < R else 0)
            best_a = -1
            best = 0.0
            for s in range(width):
                if under[s + mj] - under[s] == 0:
                    continue
                total = 0.0
                for b in range(s, s + mj):
                    total += T[b]
                if best_a < 0 or total > best:
                    best_a = s
                    best = total
        else:
            best_a = _lexmin_window(C, mj, L)
        gain = t0 - t_tilde[j]
        for b in range(best_a, best_a + mj):
            fill = min(max(R - C[b], 0), cap[j])
            T[b] -= gain * fill
            C[b] += cap[j]
        a[j] = best_a + 1
        if K < 0:
            done = True
            for b in range(L):
                if C[b] < R:
                    done = False
                    break
            if done:
                K = visited
    return a, order, K, C


@njit(cache=True)
def route_clients(a, m, tau, rtt, requests, L):
    """Step 3: per client the label DP of :mod:`bprr_opt.chains.shortest`.

    Returns ``(pred, last)``: predecessor of every server on the client's
    shortest-chain tree (-1 = source, -2 = unreached) and the chain's last
    server (-1 if the client has no requests, -2 if no chain exists).
    """
    n = m.shape[0]
    n_cl = rtt.shape[0]
    ends = a + m
    order = _used_in_order(m, ends)
    n_used = order.shape[0]
    pred = np.full((n_cl, n), -2, np.int64)
    last = np.full(n_cl, -1, np.int64)
    label = np.empty(L + 2, np.float64)
    holder = np.empty(L + 2, np.int64)
    for c in range(n_cl):
        if requests[c] == 0:
            continue
        label[:] = np.inf
        holder[:] = -2
        label[1] = 0.0
        holder[1] = -1
        for q in range(n_used):
            j = order[q]
            end = ends[j]
            best = np.inf
            best_e = -1
            for e in range(a[j], end):
                if holder[e] == -2:
                    continue
                d = label[e] + rtt[c, j] + tau[j] * (end - e)
                if d < best:
                    best = d
                    best_e = e
            if best_e < 0:
                continue
            pred[c, j] = holder[best_e]
            if best < label[end]:
                label[end] = best
                holder[end] = j
        last[c] = holder[L + 1]
    return pred, last


@njit(cache=True)
def run_cg_bprr(memory, tau, rtt, requests, s_m, s_c, R, L, max_blocks):
    """Steps 1-3 in one call (one dispatch instead of four).

    Returns ``(m, cap, t_tilde, a, order, K, C, pred, last)``; routing runs
    only when every block has ``C_b >= R`` (else ``last`` is all -2).
    """
    n = memory.shape[0]
    t_star = np.zeros(n, np.float64)  # farthest client per server
    for j in range(n):
        for c in range(rtt.shape[0]):
            if c == 0 or rtt[c, j] > t_star[j]:
                t_star[j] = rtt[c, j]
    m = block_counts(memory, s_m, s_c, R, L, max_blocks)
    cap, tt = cap_and_speed(m, memory, tau, t_star, s_m, s_c, R)
    a, order, K, C = greedy_placement(m, tt, cap, L, R)
    covered = True
    for b in range(L):
        if C[b] < R:
            covered = False
            break
    if covered:
        pred, last = route_clients(a, m, tau, rtt, requests, L)
    else:
        pred = np.full((rtt.shape[0], n), -2, np.int64)
        last = np.full(rtt.shape[0], -2, np.int64)
    return m, cap, tt, a, order, K, C, pred, last


def warm_up() -> None:
    """Compile (or load from the on-disk cache) the kernels CG-BPRR runs.

    One call of :func:`run_cg_bprr` on a tiny input compiles it and, as its
    callees, :func:`block_counts`, :func:`cap_and_speed` (with ``r_design``),
    :func:`greedy_placement` and :func:`route_clients` for these argument
    types.  Called before timing a run so reported runtimes exclude JIT
    compilation.
    """
    mem = np.array([4.0, 3.0])
    tau = np.array([1.0, 2.0])
    rtt = np.array([[1.0, 2.0]])
    caps = np.array([3, 3], np.int64)
    run_cg_bprr(mem, tau, rtt, np.array([1], np.int64), 1.0, 0.5, 1, 3, caps)

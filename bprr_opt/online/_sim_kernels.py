"""Numba kernel of the online simulation (spec §6, §7, §8.5).

One compiled loop over the arrivals, with preallocated arrays:

* every server keeps its active sessions ``(S_j(r), u_j(r))`` sorted by
  completion time (stable: a new session goes after equal times), so expiring
  finished sessions drops a prefix and ``tau_j(need, t)`` is a prefix-sum scan;
* the routing graph is a CSR adjacency list whose per-request weights are
  the static costs plus the live waits (WS-RR) or the no-cache penalty
  (PETALS);
* :func:`bprr_opt.chains.dijkstra.dijkstra_csr` picks the chain.

The plain-Python twin is :func:`bprr_opt.online.simulator.simulate_reference`;
both evaluate every floating-point expression in the same order and give
identical records (checked by the tests).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..chains.dijkstra import dijkstra_csr
from ..chains.hops import hop_graph
from ..solution import Placement

__all__ = ["backoff_kernel", "simulate_kernel", "warm_up"]


@njit(cache=True)
def backoff_kernel(W, first, cap):
    """``B(W)``: first cumulative retry time ``>= W`` (0 if ``W <= 0``)."""
    if W <= 0.0:
        return 0.0
    total = 0.0
    step = first
    while total < W:
        total += min(step, cap)
        step *= 2.0
    return total


@njit(cache=True)
def _grow(S, U, new_cap):
    n = S.shape[0]
    S2 = np.empty((n, new_cap), np.float64)
    U2 = np.empty((n, new_cap), np.int64)
    old = S.shape[1]
    S2[:, :old] = S
    U2[:, :old] = U
    return S2, U2


@njit(cache=True)
def _expire(S, U, cnt, tot, j, t):
    """Drop the sessions of server ``j`` with ``S <= t`` (a sorted prefix)."""
    c = cnt[j]
    p = 0
    freed = 0
    while p < c and S[j, p] <= t:
        freed += U[j, p]
        p += 1
    if p > 0:
        for i in range(p, c):
            S[j, i - p] = S[j, i]
            U[j, i - p] = U[j, i]
        cnt[j] = c - p
        tot[j] -= freed


@njit(cache=True)
def _earliest(S, U, cnt, tot, N, j, need, t):
    """``tau_j(need, t)`` on the expired state; ``inf`` if ``need > N_j``."""
    if N[j] - tot[j] >= need:
        return t
    if need > N[j]:
        return np.inf
    thr = tot[j] - N[j] + need  # smallest prefix of freed slots that suffices
    acc = 0
    for i in range(cnt[j]):
        acc += U[j, i]
        if acc >= thr:
            return S[j, i]
    return np.inf  # unreachable: thr <= tot


@njit(cache=True)
def simulate_kernel(mode, times, clients, indptr, head, eblocks, ecost, scap,
                    penalty, N, a, m, rtt, rtt_p, tau, tau_p, l_max, A, D0,
                    b_first, b_cap):
    """Simulate every arrival; ``mode`` 0 = WS-RR, 1 = PETALS routing.

    Returns ``(status, bad_request, chains, blocks, hops, W, B, ttft,
    completion, prefill, decode, path_cost, concurrency)``; ``status`` is 0
    (ok), 1 (no chain) or 2 (a chain needs more slots than a server has).
    """
    n = N.shape[0]
    R = times.shape[0]
    V = n + 2
    src = n
    snk = n + 1
    E = head.shape[0]
    capa = 16
    S = np.empty((n, capa), np.float64)
    U = np.empty((n, capa), np.int64)
    cnt = np.zeros(n, np.int64)
    tot = np.zeros(n, np.int64)
    gcap = 64
    G = np.empty(gcap, np.float64)
    gcnt = 0
    chains = np.full((R, n), -1, np.int64)
    blocks = np.zeros((R, n), np.int64)
    hops = np.zeros(R, np.int64)
    Wr = np.zeros(R)
    Br = np.zeros(R)
    ttft = np.zeros(R)
    comp = np.zeros(R)
    pre_r = np.zeros(R)
    dec_r = np.zeros(R)
    cost_r = np.zeros(R)
    conc = np.zeros(R, np.int64)
    wts = np.empty(E, np.float64)
    dist = np.empty(V, np.float64)
    pred = np.empty(V, np.int64)
    done = np.empty(V, np.bool_)
    path = np.empty(V, np.int64)
    lm1 = l_max - 1
    for r in range(R):
        t = times[r]
        c = clients[r]
        # expire finished sessions (S <= t) everywhere
        p = 0
        while p < gcnt and G[p] <= t:
            p += 1
        if p > 0:
            for i in range(p, gcnt):
                G[i - p] = G[i]
            gcnt -= p
        conc[r] = 1 + gcnt
        for j in range(n):
            if cnt[j] > 0 and S[j, 0] <= t:
                _expire(S, U, cnt, tot, j, t)
        # edge weights of this request
        for e in range(E):
            v = head[e]
            w = ecost[c, e]
            if v < n:
                if mode == 0:
                    if N[v] - tot[v] >= eblocks[e]:
                        ts = t  # fast path of tau_j: enough free slots now
                    else:
                        ts = _earliest(S, U, cnt, tot, N, v, eblocks[e], t)
                    if ts == np.inf:
                        w = 0.0  # never fits: no edge
                    else:
                        w = (ts - t) + w
                elif scap[v] - cnt[v] == 0:
                    w = w + penalty
            wts[e] = w
        d = dijkstra_csr(indptr, head, wts, src, snk, dist, pred, done)
        if d == np.inf:
            return (1, r, chains, blocks, hops, Wr, Br, ttft, comp, pre_r,
                    dec_r, cost_r, conc)
        h = 0
        v = pred[snk]
        while v != src:
            path[h] = v
            h += 1
            v = pred[v]
        for i in range(h // 2):
            path[i], path[h - 1 - i] = path[h - 1 - i], path[i]
        # waits on the chain, W = max
        W = 0.0
        prev = 1
        for i in range(h):
            j = path[i]
            k = a[j] + m[j] - prev
            prev = a[j] + m[j]
            chains[r, i] = j
            blocks[r, i] = k
            ts = _earliest(S, U, cnt, tot, N, j, k, t)
            if ts == np.inf:
                return (2, r, chains, blocks, hops, Wr, Br, ttft, comp,
                        pre_r, dec_r, cost_r, conc)
            if ts - t > W:
                W = ts - t
        hops[r] = h
        B = backoff_kernel(W, b_first, b_cap)
        dec = 0.0
        for i in range(h):
            j = chains[r, i]
            dec += rtt[c, j] + tau[j] * blocks[r, i]
        pre = 0.0
        for i in range(h):
            j = chains[r, i]
            pre += rtt_p[c, j] + tau_p[j] * blocks[r, i]
        service = pre + lm1 * dec
        hd = B + D0 + A
        Wr[r] = W
        Br[r] = B
        ttft[r] = hd + pre
        comp[r] = hd + service
        pre_r[r] = pre
        dec_r[r] = dec
        cost_r[r] = d
        fin = t + comp[r]
        # book the slots (sorted insert, after equal completion times)
        for i in range(h):
            j = chains[r, i]
            if cnt[j] == S.shape[1]:
                S, U = _grow(S, U, 2 * S.shape[1])
            q = cnt[j]
            while q > 0 and S[j, q - 1] > fin:
                S[j, q] = S[j, q - 1]
                U[j, q] = U[j, q - 1]
                q -= 1
            S[j, q] = fin
            U[j, q] = blocks[r, i]
            cnt[j] += 1
            tot[j] += blocks[r, i]
        if gcnt == G.shape[0]:
            G2 = np.empty(2 * G.shape[0], np.float64)
            G2[:gcnt] = G[:gcnt]
            G = G2
        q = gcnt
        while q > 0 and G[q - 1] > fin:
            G[q] = G[q - 1]
            q -= 1
        G[q] = fin
        gcnt += 1
    return (0, -1, chains, blocks, hops, Wr, Br, ttft, comp, pre_r, dec_r,
            cost_r, conc)


_WARM = [False]


def warm_up() -> None:
    """Compile (or load from the cache) the kernel on a tiny input, so that
    measured runtimes exclude JIT compilation."""
    if _WARM[0]:
        return
    pl = Placement((1, 2), (1, 1))
    g = hop_graph(pl, 2)
    cost = np.ones((1, g.num_edges))
    one = np.ones((1, 2))
    for mode in (0, 1):
        simulate_kernel(mode, np.array([0.0, 1.0]), np.zeros(2, np.int64),
                        g.indptr, g.head, g.blocks, cost,
                        np.ones(2, np.int64), 1.0, np.ones(2, np.int64),
                        np.array([1, 2], np.int64), np.array([1, 1], np.int64),
                        one, one, np.ones(2), np.ones(2), 2, 0.0, 0.0,
                        1000.0, 60000.0)
    _WARM[0] = True

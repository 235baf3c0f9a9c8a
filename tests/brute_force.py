"""An independent exhaustive solver for tiny BPRR instances (test oracle).

It shares no code with the MILPs: it enumerates every placement (every
``(a_j, m_j)`` per server), every chain of distinct servers, and every way of
sending each client's requests over the chains, and keeps the cheapest
assignment whose memory fits.  The block rule of a chain is the evaluator's
own (:func:`bprr_opt.evaluate.route_blocks`), the memory test uses the
package tolerance (:data:`bprr_opt.numerics.EPS`), and the winner is re-judged
by :func:`bprr_opt.evaluate.evaluate` before it is returned.

Size: ``prod_j (L (L + 1) / 2)`` placements times the multisets of chains;
meant for ``L <= 4``, ``<= 3`` servers, ``<= 2`` clients, ``<= 3`` requests
per client (well under a second each).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from bprr_opt.evaluate import evaluate, route_blocks
from bprr_opt.instance import Instance
from bprr_opt.numerics import EPS
from bprr_opt.solution import Placement, Route, Solution

__all__ = ["brute_force_optimum", "brute_force_routing"]


def _server_options(L: int, allow_unused: bool) -> list[tuple[int, int]]:
    opts = [(0, 0)] if allow_unused else []
    opts += [(a, m) for m in range(1, L + 1) for a in range(1, L - m + 2)]
    return opts


def _multisets(k: int, size: int) -> np.ndarray:
    """Count vectors of all multisets of ``size`` items out of ``k``."""
    rows = []
    for combo in itertools.combinations_with_replacement(range(k), size):
        row = [0] * k
        for x in combo:
            row[x] += 1
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(len(rows), k)


class _Search:
    def __init__(self, instance: Instance) -> None:
        self.inst = instance
        n = instance.num_servers
        self.n = n
        self.mem = np.array([s.memory for s in instance.servers])
        self.cap = self.mem + EPS * np.maximum(1.0, np.abs(self.mem))
        self.tau = np.array([s.tau for s in instance.servers])
        self.rtt = np.array([c.rtt for c in instance.clients]).reshape(
            instance.num_clients, n)
        self.demand = [c.requests for c in instance.clients]
        self.sequences = [p for size in range(1, n + 1)
                          for p in itertools.permutations(range(n), size)]
        self._ms: dict[tuple[int, int], np.ndarray] = {}

    def multisets(self, k: int, size: int) -> np.ndarray:
        key = (k, size)
        if key not in self._ms:
            self._ms[key] = _multisets(k, size)
        return self._ms[key]

    def best_routing(self, a: tuple[int, ...], m: tuple[int, ...]
                     ) -> tuple[float, list[tuple[int, tuple[int, ...], int]]] | None:
        """Cheapest feasible routing of placement ``(a, m)`` (sum per token)."""
        inst = self.inst
        chains = []
        loads = []
        for seq in self.sequences:
            if any(m[j] < 1 for j in seq):
                continue
            blocks, problems = route_blocks(a, m, seq, inst.L)
            if problems:
                continue
            load = np.zeros(self.n)
            load[list(seq)] = blocks
            chains.append(seq)
            loads.append(load)
        base = inst.s_m * np.array(m, dtype=float)
        if np.any(base > self.cap):
            return None
        total_load = np.zeros((1, self.n))
        total_cost = np.zeros(1)
        picks: list[np.ndarray] = []
        active = [c for c, d in enumerate(self.demand) if d > 0]
        if active and not chains:
            return None
        if chains:
            load_mat = np.array(loads)  # (K, n)
        for c in active:
            counts = self.multisets(len(chains), self.demand[c])  # (P, K)
            cost_c = np.array([sum(self.rtt[c][j] + self.tau[j] * blocks[j]
                                   for j in seq)
                               for seq, blocks in zip(chains, loads)])
            c_load = counts @ load_mat  # (P, n)
            c_cost = counts @ cost_c  # (P,)
            total_load = (total_load[:, None, :] + c_load[None, :, :]).reshape(
                -1, self.n)
            total_cost = (total_cost[:, None] + c_cost[None, :]).reshape(-1)
            picks.append(counts)
            fits = np.all(base[None, :] + inst.s_c * total_load
                          <= self.cap[None, :], axis=1)
            if not fits.any():
                return None
        fits = np.all(base[None, :] + inst.s_c * total_load <= self.cap[None, :],
                      axis=1)
        if not fits.any():
            return None
        cost = np.where(fits, total_cost, np.inf)
        best = int(np.argmin(cost))
        # unravel the combined index into one multiset per active client
        routes = []
        idx = best
        sizes = [p.shape[0] for p in picks]
        choice = []
        for size in reversed(sizes):
            choice.append(idx % size)
            idx //= size
        choice.reverse()
        for c, counts, pick in zip(active, picks, choice):
            for k, cnt in enumerate(counts[pick]):
                if cnt:
                    routes.append((c, chains[k], int(cnt)))
        return float(cost[best]), routes


def _finish(instance: Instance, found: tuple[float, Placement, list] | None,
            allow_unused: bool) -> tuple[float | None, Solution | None]:
    if found is None:
        return None, None
    total, placement, routes = found
    sol = Solution(placement, tuple(Route(c, ch, k) for c, ch, k in routes))
    ev = evaluate(instance, sol, allow_unused=allow_unused)
    if not ev.feasible:
        raise AssertionError(
            f"brute force built an infeasible solution: {ev.violations[0]}")
    R = max(1, instance.num_requests)
    if not math.isclose(ev.avg_per_token_ms, total / R, rel_tol=1e-9,
                        abs_tol=1e-9):
        raise AssertionError(
            f"brute force cost {total / R} != evaluator {ev.avg_per_token_ms}")
    return ev.avg_per_token_ms, sol


def brute_force_routing(instance: Instance, placement: Placement
                        ) -> tuple[float | None, Solution | None]:
    """Return the best routing of a fixed ``placement`` by enumeration.

    Returns
    -------
    (value, solution)
        The optimal ``avg_per_token_ms`` and a solution reaching it, or
        ``(None, None)`` when no routing of ``placement`` is feasible.
    """
    search = _Search(instance)
    a, m = placement.first_block, placement.num_blocks
    got = search.best_routing(a, m)
    found = None if got is None else (got[0], placement, got[1])
    return _finish(instance, found, allow_unused=True)


def brute_force_optimum(instance: Instance, allow_unused: bool = False
                        ) -> tuple[float | None, Solution | None]:
    """Return the optimum of a tiny instance by exhaustive enumeration.

    Parameters
    ----------
    instance
        Tiny instance (see module docstring for sizes).
    allow_unused
        Also enumerate ``m_j = 0`` (server hosts nothing).  Default False,
        the paper's ``m_j >= 1``.

    Returns
    -------
    (value, solution)
        The optimal ``avg_per_token_ms`` (as computed by ``evaluate``) and an
        optimal solution, or ``(None, None)`` if the instance is infeasible.
    """
    search = _Search(instance)
    L = instance.L
    options = _server_options(L, allow_unused)
    # a server option whose blocks alone overflow memory is never feasible
    per_server = [[(a, m) for a, m in options
                   if instance.s_m * m <= search.cap[j]]
                  for j in range(instance.num_servers)]
    best: tuple[float, Placement, list] | None = None
    for combo in itertools.product(*per_server):
        a = tuple(x[0] for x in combo)
        m = tuple(x[1] for x in combo)
        got = search.best_routing(a, m)
        if got is None:
            continue
        if best is None or got[0] < best[0]:
            best = (got[0], Placement(a, m), got[1])
    return _finish(instance, best, allow_unused)

"""The Lemma 3.1 hop graph of a placement, built once.

For a placement ``(a, m)`` a request may go from server ``i`` to server
``j`` iff the next block it needs after ``i`` is hosted on ``j``
(Lemma 3.1 of [1]_):

    a_j <= a_i + m_i <= a_j + m_j - 1,

with the source acting as a pseudo-server ending at block 0
(``a + m = 1``) and the sink as one starting at block ``L + 1``.  Server
``j`` then processes ``k = a_j + m_j - a_i - m_i`` blocks.

:func:`hop_graph` is the one builder: a CSR adjacency list over servers
``0..n-1``, the source ``n`` and the sink ``n + 1``, edges sorted by
``(tail, head)`` (the order the online router and the RR-ILP's columns
depend on).  :func:`feasible_hops` is the same graph read as a list of
server-entering edges in ``(head, tail)`` order, source first.

References
----------
.. [1] Sun, He, Ji, Parag (2025). Optimizing Resource Allocation for
       Geographically-Distributed Inference by Large Language Models.
       arXiv:2512.21884, Lemma 3.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..solution import Placement

__all__ = ["SOURCE", "Hop", "HopGraph", "feasible_hops", "hop_graph"]

SOURCE = -1  # index of the source pseudo-server in a Hop


@dataclass(frozen=True)
class Hop:
    """A feasible edge ``i -> j`` (``i = -1`` is the source) and the blocks
    ``k`` that ``j`` processes on it."""

    i: int
    j: int
    k: int


@dataclass(frozen=True)
class HopGraph:
    """The hop DAG of a placement as a CSR adjacency list.

    Nodes: servers ``0..n-1``, source ``n``, sink ``n + 1``.  Edge ``e`` goes
    ``tail[e] -> head[e]`` and, when the head is a server, makes it process
    ``blocks[e]`` blocks (0 for sink edges).  Edges are sorted by
    ``(tail, head)``; ``indptr`` indexes them by tail.  ``cost[c, e]`` is a
    static cost per client (zeros, shape ``(0, E)``, until
    :meth:`with_cost` sets one).
    """

    n: int
    tail: np.ndarray
    head: np.ndarray
    blocks: np.ndarray
    indptr: np.ndarray
    cost: np.ndarray  # (C, E)

    @property
    def num_edges(self) -> int:
        """Number of edges ``E``."""
        return int(self.head.size)

    def with_cost(self, cost: np.ndarray) -> HopGraph:
        """The same graph with the per-client edge costs ``cost`` (C, E)."""
        return HopGraph(self.n, self.tail, self.head, self.blocks,
                        self.indptr, np.ascontiguousarray(cost, float))


def hop_graph(placement: Placement, L: int) -> HopGraph:
    """Build the hop DAG of ``placement`` (module docstring).

    ``source -> j`` iff ``a_j <= 1 <= a_j + m_j - 1`` (``a_j = 1`` for a
    valid placement; ``k = m_j``); ``i -> j`` iff
    ``a_j <= a_i + m_i <= a_j + m_j - 1`` (``k = a_j + m_j - a_i - m_i``);
    ``i -> sink`` iff ``a_i + m_i > L``.  Servers hosting nothing have no
    edge.  Costs are empty (:meth:`HopGraph.with_cost`).

    Notes
    -----
    ``O(|V_s|^2)``.
    """
    a, m = placement.first_block, placement.num_blocks
    n = len(m)
    tails, heads, ks = [], [], []
    for u in list(range(n)) + [n]:
        if u < n and m[u] < 1:
            continue
        end_u = 1 if u == n else a[u] + m[u]
        for v in range(n):
            if v == u or m[v] < 1:
                continue
            end_v = a[v] + m[v]
            if a[v] <= end_u <= end_v - 1:
                tails.append(u)
                heads.append(v)
                ks.append(end_v - end_u)
        if u < n and end_u > L:
            tails.append(u)
            heads.append(n + 1)
            ks.append(0)
    tail = np.array(tails, np.int64)
    order = np.lexsort((np.array(heads, np.int64), tail))
    tail = tail[order]
    head = np.array(heads, np.int64)[order]
    blocks = np.array(ks, np.int64)[order]
    indptr = np.zeros(n + 3, np.int64)
    np.add.at(indptr, tail + 1, 1)
    indptr = np.cumsum(indptr)
    return HopGraph(n, tail, head, blocks, indptr, np.zeros((0, tail.size)))


def feasible_hops(placement: Placement, L: int) -> list[Hop]:
    """List every feasible server-entering edge of ``placement``.

    Parameters
    ----------
    placement
        Block placement; servers with ``num_blocks == 0`` host nothing and
        have no edges.
    L
        Number of blocks.

    Returns
    -------
    hops : list of Hop
        The edges of :func:`hop_graph` into servers, in increasing
        ``(j, i)`` order with the source (``i = -1``, ``k = m_j``) first.
        Edges into the sink are not listed: server ``j`` may end a chain
        iff ``a_j + m_j = L + 1``.

    Notes
    -----
    ``O(|V_s|^2)``.
    """
    g = hop_graph(placement, L)
    n = g.n
    out = [Hop(SOURCE if int(u) == n else int(u), int(v), int(k))
           for u, v, k in zip(g.tail, g.head, g.blocks) if int(v) < n]
    out.sort(key=lambda h: (h.j, h.i))
    return out

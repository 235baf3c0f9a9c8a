"""The feasible-hop graph of a placement and shortest-chain routing.

For a placement ``(a, m)`` the logical routing graph has a source ``S_c`` and a
sink ``D_c`` per client and an edge ``i -> j`` whenever the next block needed
after server ``i`` is hosted on ``j`` (Lemma 3.1 of [1]_):

    a_j <= a_i + m_i <= a_j + m_j - 1,

with the source acting as a pseudo-server ending at block 0 (``a + m = 1``)
and the sink as one starting at block ``L + 1``.  Server ``j`` then processes
``k = a_j + m_j - a_i - m_i`` blocks.  Because ``a + m`` strictly increases
along every feasible path, the graph is a DAG ordered by ``a + m``; a shortest
chain is a dynamic programme over servers in that order, no heap needed.

The tie-breaking of :func:`shortest_chain` is part of its contract (CG-BPRR's
compiled kernel reproduces it bit for bit): servers are relaxed in increasing
``(a_j + m_j, j)``; for server ``j`` the source is tried first, then the
predecessors ``i`` in increasing index order, and a label changes only on a
strict improvement; among servers ending at block ``L`` the lowest label wins,
lowest index on ties.

References
----------
.. [1] Sun, He, Ji, Parag (2025). Optimizing Resource Allocation for
       Geographically-Distributed Inference by Large Language Models.
       arXiv:2512.21884, Lemma 3.1 and Lemma 3.4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .instance import Instance
from .solution import Placement, Route, Solution

__all__ = ["Hop", "feasible_hops", "shortest_chain", "shortest_path_solution"]

SOURCE = -1  # index of the source pseudo-server in a Hop


@dataclass(frozen=True)
class Hop:
    """A feasible edge ``i -> j`` (``i = -1`` is the source) and the blocks
    ``k`` that ``j`` processes on it."""

    i: int
    j: int
    k: int


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
        Source edges (``i = -1``, ``k = m_j``) for servers with ``a_j = 1``,
        then server-to-server edges, in increasing ``(j, i)`` order.  Edges
        into the sink are not listed: server ``j`` may end a chain iff
        ``a_j + m_j = L + 1``.

    Notes
    -----
    ``O(|V_s|^2)``.
    """
    a, m = placement.first_block, placement.num_blocks
    n = len(m)
    out: list[Hop] = []
    for j in range(n):
        if m[j] < 1:
            continue
        end_j = a[j] + m[j]
        if a[j] == 1:
            out.append(Hop(SOURCE, j, m[j]))
        for i in range(n):
            if i == j or m[i] < 1:
                continue
            end_i = a[i] + m[i]
            if a[j] <= end_i <= end_j - 1:
                out.append(Hop(i, j, end_j - end_i))
    return out


def shortest_chain(instance: Instance, placement: Placement,
                   client: int) -> tuple[tuple[int, ...], float] | None:
    """Return client ``client``'s cheapest feasible chain and its per-token cost.

    The cost of a chain is ``sum_j (t_cj + tau_j k_j)``, the per-token time of
    one request on it.  Memory is ignored (see :func:`shortest_path_solution`).

    Parameters
    ----------
    instance
        The problem data.
    placement
        Block placement.
    client
        Client index.

    Returns
    -------
    (chain, cost) or None
        The chain as a tuple of server indices and its per-token cost, or
        ``None`` when no feasible chain exists (some block is not covered).

    Notes
    -----
    Dynamic programme over the DAG in increasing ``a_j + m_j``;
    ``O(|V_s|^2)``.  Tie-breaking is fixed (module docstring).
    """
    a, m = placement.first_block, placement.num_blocks
    L = instance.L
    n = len(m)
    rtt = instance.clients[client].rtt
    tau = [s.tau for s in instance.servers]
    order = sorted((j for j in range(n) if m[j] >= 1),
                   key=lambda j: (a[j] + m[j], j))
    dist = [math.inf] * n
    pred = [SOURCE - 1] * n  # SOURCE - 1: unreached
    for j in order:
        end_j = a[j] + m[j]
        if a[j] == 1:
            dist[j] = rtt[j] + tau[j] * m[j]
            pred[j] = SOURCE
        for i in range(n):
            if i == j or m[i] < 1 or dist[i] == math.inf:
                continue
            end_i = a[i] + m[i]
            if a[j] <= end_i <= end_j - 1:
                d = dist[i] + rtt[j] + tau[j] * (end_j - end_i)
                if d < dist[j]:
                    dist[j] = d
                    pred[j] = i
    best = -1
    for j in range(n):
        if m[j] >= 1 and a[j] + m[j] == L + 1 and dist[j] < math.inf:
            if best < 0 or dist[j] < dist[best]:
                best = j
    if best < 0:
        return None
    chain = [best]
    while pred[chain[-1]] != SOURCE:
        chain.append(pred[chain[-1]])
    chain.reverse()
    return tuple(chain), dist[best]


def shortest_path_solution(instance: Instance,
                           placement: Placement) -> Solution | None:
    """Route every request of each client on its shortest chain.

    This is optimal for ``placement`` whenever memory cannot bind, e.g. when
    every server keeps room for the caches of all requests on all of its
    blocks (Lemma 3.4 of [1]_); whether memory holds is for the evaluator to
    say.

    Returns
    -------
    Solution or None
        ``None`` if a client with requests has no feasible chain.
    """
    routes = []
    for c, cl in enumerate(instance.clients):
        if cl.requests == 0:
            continue
        found = shortest_chain(instance, placement, c)
        if found is None:
            return None
        routes.append(Route(c, found[0], cl.requests))
    return Solution(placement, tuple(routes))

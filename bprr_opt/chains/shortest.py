"""Shortest-chain routing on the hop graph of a placement.

On the hop graph of :mod:`bprr_opt.chains.hops` (Lemma 3.1 of [1]_), server
``j`` entered from ``i`` processes ``k = a_j + m_j - a_i - m_i`` blocks.
Because ``a + m`` strictly increases along every feasible path, the graph is
a DAG ordered by ``e = a + m`` (the first block *after* a server's range).

Shortest chains are a dynamic programme over that order.  Only the cheapest
label per end position ``e`` matters to later servers, so the programme keeps
one label per ``e in 1..L+1`` (``e = 1`` is the source, label 0) and prices a
server ``j`` in ``O(m_j)`` from the labels of ``e = a_j .. a_j + m_j - 1``.

Tie-breaking is part of the contract (CG-BPRR's compiled kernel reproduces it
bit for bit):

* servers are labelled in increasing ``(a_j + m_j, j)``;
* server ``j`` takes the cheapest ``label[e] + t_cj + tau_j (a_j + m_j - e)``
  over ``e`` ascending, replacing its choice only on a strict improvement
  (so the source, ``e = 1``, wins ties, then the smallest ``e``);
* ``label[e]`` is the cheapest server ending at ``e``, replaced only on a
  strict improvement (lowest index on ties); ``label[L + 1]`` is the answer.

References
----------
.. [1] Sun, He, Ji, Parag (2025). Optimizing Resource Allocation for
       Geographically-Distributed Inference by Large Language Models.
       arXiv:2512.21884, Lemma 3.1 and Lemma 3.4.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..instance import Instance
from ..solution import Placement, Route, Solution
from .hops import SOURCE

__all__ = [
    "chain_dp",
    "shortest_chain",
    "shortest_path_solution",
]


def chain_dp(first_block: Sequence[int], num_blocks: Sequence[int],
             tau: Sequence[float], rtt: Sequence[float],
             L: int) -> tuple[tuple[int, ...], float] | None:
    """Cheapest feasible chain for one client (plain-Python DP).

    Parameters
    ----------
    first_block, num_blocks
        Placement (``num_blocks[j] == 0``: server unused).
    tau, rtt
        Per-block time ``tau_j`` and the client's RTT ``t_cj`` per server.
    L
        Number of blocks.

    Returns
    -------
    (chain, cost) or None
        Server indices in chain order and the per-token cost
        ``sum_j (t_cj + tau_j k_j)``; ``None`` if no chain covers ``1..L``.

    Notes
    -----
    ``O(|V_s| log |V_s| + sum_j m_j)``; ties as in the module docstring.
    """
    n = len(num_blocks)
    label = [math.inf] * (L + 2)  # label[e]: cheapest chain covering 1..e-1
    holder = [SOURCE - 1] * (L + 2)  # server owning label[e]
    label[1] = 0.0
    holder[1] = SOURCE
    pred = [SOURCE - 1] * n
    order = sorted((j for j in range(n) if num_blocks[j] >= 1),
                   key=lambda j: (first_block[j] + num_blocks[j], j))
    for j in order:
        a = first_block[j]
        end = a + num_blocks[j]
        best = math.inf
        best_e = -1
        for e in range(a, end):
            if holder[e] == SOURCE - 1:
                continue
            d = label[e] + rtt[j] + tau[j] * (end - e)
            if d < best:
                best = d
                best_e = e
        if best_e < 0:
            continue
        pred[j] = holder[best_e]
        if best < label[end]:
            label[end] = best
            holder[end] = j
    last = holder[L + 1]
    if last < 0:
        return None
    chain = [last]
    while pred[chain[-1]] != SOURCE:
        chain.append(pred[chain[-1]])
    chain.reverse()
    return tuple(chain), label[L + 1]


def shortest_chain(instance: Instance, placement: Placement,
                   client: int) -> tuple[tuple[int, ...], float] | None:
    """Return client ``client``'s cheapest feasible chain and its per-token cost.

    Memory is ignored (see :func:`shortest_path_solution`).  The cost is
    ``sum_j (t_cj + tau_j k_j)``; it is informative only -- the evaluator
    prices solutions.

    Returns
    -------
    (chain, cost) or None
        ``None`` when no feasible chain exists (some block is not covered).
    """
    return chain_dp(placement.first_block, placement.num_blocks,
                    [s.tau for s in instance.servers],
                    instance.clients[client].rtt, instance.L)


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

"""Dense Dijkstra with the authors' tie rules (spec §0).

Ties decide which chain a request takes (all MIG servers of the clustered
scenario have identical RTTs), so the rules are part of the contract:

* each round settles the unvisited node with the smallest tentative
  distance, the **lowest node index** on ties; the search stops when the
  target is settled or no reachable node is left;
* the settled node's neighbours are relaxed in increasing index order, and a
  predecessor is replaced only on a **strict** improvement;
* in the dense (matrix) form an entry of 0 means "no edge" (that is why
  WS-RR puts a placeholder cost ``delta = 1`` ms on the edge into the sink).

Node numbering in every online routing graph: servers ``0..n-1``, the source
``n`` and the sink ``n + 1`` (the authors' ``1..n``, ``n+1``, ``n+2``).

:func:`dijkstra_dense` is the plain-Python reference on a matrix;
:func:`dijkstra_csr` is the Numba kernel the simulator uses, on adjacency
lists sorted by target; it skips 0-cost edges too, so both forms mean the
same graph.  The tests check that both give the same paths.

References
----------
.. [1] Dijkstra (1959). A note on two problems in connexion with graphs.
       Numerische Mathematik 1, 269-271.
.. [2] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §3.3 (WS-RR).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit

__all__ = ["dijkstra_csr", "dijkstra_dense", "walk_back"]


def dijkstra_dense(W: Sequence[Sequence[float]], source: int,
                   target: int) -> tuple[float, list[int] | None]:
    """Shortest ``source -> target`` path on a dense weight matrix.

    Parameters
    ----------
    W
        ``V x V`` weights; ``W[u][v] == 0`` (or ``inf``) means no edge
        ``u -> v``.  Weights must be >= 0.
    source, target
        Node indices.

    Returns
    -------
    (dist, path)
        The distance and the node sequence from ``source`` to ``target``, or
        ``(inf, None)`` if the target is unreachable.

    Notes
    -----
    ``O(V^2)``; ties as in the module docstring.
    """
    V = len(W)
    dist = [math.inf] * V
    pred = [-1] * V
    done = [False] * V
    dist[source] = 0.0
    while True:
        u, best = -1, math.inf
        for v in range(V):  # lowest index on ties
            if not done[v] and dist[v] < best:
                u, best = v, dist[v]
        if u < 0:
            break
        done[u] = True
        if u == target:
            break
        row = W[u]
        for v in range(V):  # increasing index order, strict improvement
            w = row[v]
            if w != 0 and w != math.inf and not done[v] \
                    and dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                pred[v] = u
    if dist[target] == math.inf:
        return math.inf, None
    path = [target]
    while path[-1] != source:
        path.append(pred[path[-1]])
    path.reverse()
    return dist[target], path


@njit(cache=True)
def dijkstra_csr(indptr, indices, weights, source, target, dist, pred, done):
    """Numba kernel: the same search on adjacency lists.

    ``indices[indptr[u]:indptr[u+1]]`` are the heads of ``u``'s edges in
    increasing order and ``weights`` their costs.  ``dist``, ``pred``,
    ``done`` are work arrays of length ``V`` (overwritten).  Returns the
    distance to ``target`` (``inf`` if unreachable); read the path with
    :func:`walk_back`.
    """
    V = dist.shape[0]
    for v in range(V):
        dist[v] = np.inf
        pred[v] = -1
        done[v] = False
    dist[source] = 0.0
    while True:
        u = -1
        best = np.inf
        for v in range(V):
            if not done[v] and dist[v] < best:
                u = v
                best = dist[v]
        if u < 0:
            break
        done[u] = True
        if u == target:
            break
        du = dist[u]
        for e in range(indptr[u], indptr[u + 1]):
            if weights[e] == 0.0:
                continue  # 0 = no edge, as in the dense form
            v = indices[e]
            nd = du + weights[e]
            if not done[v] and nd < dist[v]:
                dist[v] = nd
                pred[v] = u
    return dist[target]


@njit(cache=True)
def walk_back(pred, source, target, out):
    """Write the path's nodes strictly between ``source`` and ``target`` into
    ``out`` (in path order); return their number."""
    k = 0
    v = pred[target]
    while v != source and v >= 0:
        out[k] = v
        k += 1
        v = pred[v]
    # reverse in place
    for i in range(k // 2):
        out[i], out[k - 1 - i] = out[k - 1 - i], out[i]
    return k

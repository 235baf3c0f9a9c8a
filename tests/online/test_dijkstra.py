"""Tests of the dense Dijkstra and its Numba twin (spec §0 tie rules)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bprr_opt.chains.dijkstra import dijkstra_csr, dijkstra_dense, walk_back


def _csr(W):
    V = len(W)
    indptr, idx, wts = [0], [], []
    for u in range(V):
        for v in range(V):
            if W[u][v] != 0:
                idx.append(v)
                wts.append(W[u][v])
        indptr.append(len(idx))
    return (np.array(indptr, np.int64), np.array(idx, np.int64),
            np.array(wts, float))


def _run_csr(W, s, t):
    V = len(W)
    indptr, idx, wts = _csr(W)
    dist, pred = np.empty(V), np.empty(V, np.int64)
    done = np.empty(V, np.bool_)
    d = dijkstra_csr(indptr, idx, wts, s, t, dist, pred, done)
    if d == math.inf:
        return d, None
    out = np.empty(V, np.int64)
    k = walk_back(pred, s, t, out)
    return d, [s] + out[:k].tolist() + [t]


def test_ties_lowest_index_and_strict_relaxation():
    """Tests the tie rules on a hand example: two equal paths 0-1-3 and
    0-2-3; node 1 is settled first (lowest index on ties) and relaxes 3;
    node 2 then offers the same distance, which is not a strict improvement,
    so the path goes through 1."""
    W = [[0, 5, 5, 0], [0, 0, 0, 5], [0, 0, 0, 5], [0, 0, 0, 0]]
    assert dijkstra_dense(W, 0, 3) == (10.0, [0, 1, 3])
    assert _run_csr(W, 0, 3) == (10.0, [0, 1, 3])
    # a 0 entry is no edge: the cheaper-looking route does not exist
    W2 = [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert dijkstra_dense(W2, 0, 2) == (math.inf, None)
    assert _run_csr(W2, 0, 2) == (math.inf, None)


def test_later_strict_improvement_replaces_predecessor():
    """Tests that a strictly better path found later replaces the
    predecessor (0->2 direct costs 10, via 1 costs 3)."""
    W = [[0, 1, 10], [0, 0, 2], [0, 0, 0]]
    assert dijkstra_dense(W, 0, 2) == (3.0, [0, 1, 2])
    assert _run_csr(W, 0, 2) == (3.0, [0, 1, 2])


@st.composite
def dense_graphs(draw):
    V = draw(st.integers(2, 9))
    w = st.one_of(st.just(0), st.integers(1, 6).map(float))
    W = [[0.0 if u == v else draw(w) for v in range(V)] for u in range(V)]
    return W


@settings(max_examples=150)
@given(W=dense_graphs())
def test_dense_and_csr_agree_and_match_networkx(W):
    """Tests that the Numba kernel returns the same path as the dense
    reference (small integer weights make ties frequent) and that the
    distance equals networkx's."""
    V = len(W)
    a = dijkstra_dense(W, 0, V - 1)
    b = _run_csr(W, 0, V - 1)
    assert a == b
    G = nx.DiGraph()
    G.add_nodes_from(range(V))
    for u in range(V):
        for v in range(V):
            if W[u][v] != 0:
                G.add_edge(u, v, weight=W[u][v])
    try:
        ref = nx.dijkstra_path_length(G, 0, V - 1)
    except nx.NetworkXNoPath:
        ref = math.inf
    assert a[0] == ref
    if a[1] is not None:
        assert sum(W[u][v] for u, v in zip(a[1], a[1][1:])) == a[0]

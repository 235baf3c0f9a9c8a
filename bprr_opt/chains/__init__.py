"""The chain graph of a placement: Lemma 3.1 hops, shortest chains, Dijkstra.

:mod:`.hops` builds the hop graph once; :mod:`.shortest` prices chains with
the label DP (CG-BPRR's routing, the lower-bound pricing of local search);
:mod:`.dijkstra` holds the authors' Dijkstra (dense reference and Numba
kernel) that the online routers use.
"""

from .dijkstra import dijkstra_csr, dijkstra_dense, walk_back
from .hops import SOURCE, Hop, HopGraph, feasible_hops, hop_graph
from .shortest import chain_dp, shortest_chain, shortest_path_solution

__all__ = [
    "SOURCE",
    "Hop",
    "HopGraph",
    "chain_dp",
    "dijkstra_csr",
    "dijkstra_dense",
    "feasible_hops",
    "hop_graph",
    "shortest_chain",
    "shortest_path_solution",
    "walk_back",
]

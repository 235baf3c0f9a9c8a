"""Transport lower bound: request-blocks shipped to servers under cache limits.

``shared/spec/bprr-model.md`` §5.2.  Proof of validity, including the
dual-based certificate computed here: ``proofs/lower_bounds.md`` §3.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ..instance import Instance
from ._memory import cache_capacity, chain_capacity

__all__ = ["transport_bound"]


def transport_bound(instance: Instance) -> float:
    """Return the transport lower bound on the optimal ``avg_per_token_ms``.

    Parameters
    ----------
    instance
        The problem data (unused servers allowed).

    Returns
    -------
    bound : float
        ``LP / |R|`` where ``LP`` is the optimum of the transportation problem

            min  sum_{c,j} (tau_j + t_cj / K_j) y_cj
            s.t. sum_j y_cj = N_c L              for every client c,
                 sum_c y_cj <= P_j               for every server j,
                 0 <= y_cj <= N_c K_j,

        (``y_cj``: blocks processed at ``j`` by client ``c``'s requests;
        ``K_j``, ``P_j`` from :mod:`._memory`), certified from below through
        its dual (Notes).  ``inf`` when the transportation problem is
        infeasible (then no solution exists); ``0.0`` when ``|R| = 0``.

    See Also
    --------
    chain_dp_bound : exact per-request chains, but blind to memory contention.

    Notes
    -----
    A request processing ``1 <= k <= K_j`` blocks at ``j`` pays
    ``t_cj + tau_j k >= k (tau_j + t_cj / K_j)``, at most ``K_j`` blocks
    per request and ``P_j`` per server fit in memory, and every request
    processes ``L`` blocks; the requests of a client are interchangeable, so
    aggregating them per client loses nothing.  The LP is solved with HiGHS
    (``scipy.optimize.linprog``); the value returned is not HiGHS's objective
    but the Lagrangian bound ``sum_c u_c N_c L - sum_j v_j P_j
    + sum_{c,j} N_c K_j min(0, cost_cj - u_c + v_j)`` at HiGHS's duals
    ``u`` and ``v >= 0`` (clipped), which weak duality makes a lower bound for
    *any* ``u, v`` -- so solver tolerances cannot push it above the LP
    optimum.  Infeasibility is decided by an exact integer max-flow
    (networkx).  Polynomial: one LP with ``|V_c| |V_s|`` columns.

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884 (the model, §3).
    """
    R = instance.num_requests
    if R == 0:
        return 0.0
    L = instance.L
    K = chain_capacity(instance)
    P = cache_capacity(instance)
    arr = instance.to_arrays()
    clients = np.flatnonzero(arr.requests > 0)
    servers = np.flatnonzero((K >= 1) & (P >= 1))
    if servers.size == 0:
        return math.inf
    N = arr.requests[clients].astype(np.float64)
    Kf = K[servers].astype(np.float64)
    Pf = P[servers].astype(np.float64)
    nc, ns = clients.size, servers.size
    # column index c * ns + s
    cost = arr.tau[servers][None, :] + arr.rtt[np.ix_(clients, servers)] / Kf
    upper = N[:, None] * Kf[None, :]
    demand = N * L
    if np.any(upper.sum(axis=1) < demand):
        return math.inf  # a client cannot even ship its own blocks
    cols = np.arange(nc * ns)
    A_eq = sp.csr_array((np.ones(nc * ns), (cols // ns, cols)), shape=(nc, nc * ns))
    A_ub = sp.csr_array((np.ones(nc * ns), (cols % ns, cols)), shape=(ns, nc * ns))
    res = linprog(cost.ravel(), A_ub=A_ub, b_ub=Pf, A_eq=A_eq, b_eq=demand,
                  bounds=np.column_stack((np.zeros(nc * ns), upper.ravel())),
                  method="highs")
    if res.status == 2 and not _feasible(demand, upper, Pf):
        return math.inf
    if res.status != 0 or res.eqlin is None:
        return 0.0  # HiGHS failed on a feasible LP: the trivial bound
    # weak duality at HiGHS's duals: valid for any u and any v >= 0
    u = np.asarray(res.eqlin.marginals, dtype=np.float64)
    v = np.maximum(0.0, -np.asarray(res.ineqlin.marginals, dtype=np.float64))
    reduced = cost - u[:, None] + v[None, :]
    value = float(u @ demand - v @ Pf + np.minimum(reduced, 0.0).ravel()
                  @ upper.ravel())
    if not math.isfinite(value):
        return 0.0
    return max(value, 0.0) / R


def _feasible(demand: np.ndarray, upper: np.ndarray, P: np.ndarray) -> bool:
    """Exact check (integer max-flow) that the transportation LP is feasible."""
    import networkx as nx

    G = nx.DiGraph()
    for c in range(upper.shape[0]):
        G.add_edge("s", ("c", c), capacity=int(demand[c]))
        for j in range(upper.shape[1]):
            G.add_edge(("c", c), ("j", j), capacity=int(upper[c, j]))
    for j in range(upper.shape[1]):
        G.add_edge(("j", j), "t", capacity=int(P[j]))
    return nx.maximum_flow_value(G, "s", "t") >= int(demand.sum())

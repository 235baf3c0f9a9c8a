"""Chain-DP lower bound: every request alone on the cheapest chain.

``shared/spec/bprr-model.md`` §5.2.  Proof of validity:
``proofs/lower_bounds.md`` §2.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import minimum_filter1d

from ..instance import Instance
from ._memory import chain_capacity

__all__ = ["chain_dp_bound", "client_chain_costs"]


def client_chain_costs(instance: Instance) -> np.ndarray:
    """Return ``D_c``, a lower bound on the per-token time of any request of
    client ``c``.

    ``D_c = min sum_{j in S} (t_cj + tau_j k_j)`` over server sets ``S`` and
    counts ``1 <= k_j <= K_j`` with ``sum_j k_j = L``, where
    ``K_j = min(L, floor(M_j / (s_m + s_c)))`` (:func:`._memory.chain_capacity`).

    Returns
    -------
    D : numpy.ndarray of float64, shape (C,)
        One value per client (also for clients without requests); ``inf``
        when the ``K_j`` sum to less than ``L``.

    Notes
    -----
    A knapsack over servers and covered blocks: ``f_j(b)`` is the cheapest way
    to process ``b`` blocks on servers ``0..j``, and

        f_j(b) = min( f_{j-1}(b),  t_cj + tau_j b
                      + min_{b - K_j <= b' < b} (f_{j-1}(b') - tau_j b') ),

    a sliding-window minimum (``scipy.ndimage.minimum_filter1d``),
    vectorised over clients and blocks: ``O(|V_s| |V_c| L)`` in
    ``O(|V_s|)`` numpy calls.
    """
    L = instance.L
    arr = instance.to_arrays()
    K = chain_capacity(instance)
    C = instance.num_clients
    b = np.arange(L + 1, dtype=np.float64)
    f = np.full((C, L + 1), np.inf)
    f[:, 0] = 0.0
    for j in np.flatnonzero(K >= 1):
        k, tau = int(K[j]), float(arr.tau[j])
        g = f - tau * b  # f(b') - tau_j b'
        padded = np.concatenate((np.full((C, k), np.inf), g), axis=1)
        # forward window minimum: entry i is min(padded[i : i + k]), i.e.
        # min g[i - k .. i - 1] (scipy's running minimum, O(1) per entry)
        window = minimum_filter1d(padded, size=k, axis=1, mode="constant",
                                  cval=np.inf, origin=-(k // 2))[:, :L + 1]
        take = arr.rtt[:, j:j + 1] + tau * b + window
        f = np.minimum(f, take)
    return f[:, L].copy()


def chain_dp_bound(instance: Instance) -> float:
    """Return the chain-DP lower bound on the optimal ``avg_per_token_ms``.

    Parameters
    ----------
    instance
        The problem data (unused servers allowed).

    Returns
    -------
    bound : float
        ``(1/|R|) sum_c N_c D_c`` with ``D_c`` from
        :func:`client_chain_costs`; ``inf`` when some client with requests
        has no chain at all (then no solution exists); ``0.0`` when
        ``|R| = 0`` (the evaluator's value of the empty solution).

    See Also
    --------
    transport_bound : sees memory contention between requests.

    Notes
    -----
    Valid because a request processing ``k_j`` blocks at ``j`` needs
    ``m_j >= k_j`` hosted blocks and ``k_j`` caches there, so
    ``k_j <= K_j``, and its chain visits every server at most once with
    counts summing to ``L``; memory shared with other requests and the
    placement's contiguity are relaxed away.  Exact when one request is
    routed and memory does not couple requests -- on the PARTITION gadget it
    decides PARTITION (``proofs/lower_bounds.md`` §2, ``proofs/np_hardness.md``).
    ``O(|V_s| |V_c| L)``.

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884 (the model, §3).
    """
    R = instance.num_requests
    if R == 0:
        return 0.0
    D = client_chain_costs(instance)
    total = 0.0
    for c, cl in enumerate(instance.clients):
        if cl.requests:
            if not math.isfinite(D[c]):
                return math.inf
            total += cl.requests * float(D[c])
    return total / R

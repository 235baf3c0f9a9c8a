"""Per-server memory limits that every feasible solution obeys.

The lower bounds relax the placement away but keep two consequences of the
memory constraint (13b), ``s_m m_j + s_c sum_r k^r_j <= M_j``:

* ``K_j``: the most blocks one request can process at server ``j``.  A request
  processing ``k`` blocks at ``j`` needs ``m_j >= k`` hosted blocks and ``k``
  caches, so ``k (s_m + s_c) <= M_j``; with ``k <= L``,
  ``K_j = min(L, floor(M_j / (s_m + s_c)))``.
* ``P_j``: the most request-blocks (caches) server ``j`` can hold in total
  when it is used (``m_j >= 1``): ``P_j = floor((M_j - s_m) / s_c)``.

A bound is only as valid as these counts are *upper* limits on what the
evaluator accepts.  The evaluator allows a load up to ``M_j`` plus the slack
of :func:`bprr_opt.numerics.memory_fits` and sums ``s_m m_j + s_c load`` in
floating point, so the counts here are the largest integers whose load,
computed the way the evaluator computes it, passes ``memory_fits``.  They start
from the floored ratio (:func:`bprr_opt.numerics.floor_div`, taken over
``M_j`` plus that slack) and are then checked exactly.  They equal the
spec's formulas except at memory figures within ``1e-9`` of a boundary.
"""

from __future__ import annotations

import numpy as np

from ..instance import Instance
from ..numerics import floor_div, memory_fits, memory_slack

__all__ = ["cache_capacity", "chain_capacity"]


def _largest(fits, start: int, cap: int) -> int:
    """Largest ``k`` in ``[0, cap]`` with ``fits(k)`` (``fits`` monotone)."""
    k = max(0, min(start, cap))
    while k < cap and fits(k + 1):
        k += 1
    while k > 0 and not fits(k):
        k -= 1
    return k


def chain_capacity(instance: Instance) -> np.ndarray:
    """Return ``K_j``, the most blocks one request can process at ``j``.

    Returns
    -------
    K : numpy.ndarray of int64, shape (n,)
        ``min(L, floor(M_j / (s_m + s_c)))`` (module docstring); 0 for a server
        that cannot hold one block and one cache.
    """
    s_m, s_c, L = instance.s_m, instance.s_c, instance.L
    out = np.zeros(instance.num_servers, np.int64)
    for j, s in enumerate(instance.servers):
        M = s.memory
        start = floor_div(M + memory_slack(M), s_m + s_c) + 1
        # the evaluator's load for m_j = k hosted blocks and k caches
        out[j] = _largest(lambda k: memory_fits(s_m * k + s_c * k, M),
                          start, L)
    return out


def cache_capacity(instance: Instance, limit: int | None = None) -> np.ndarray:
    """Return ``P_j``, the most request-blocks a used server can cache.

    Parameters
    ----------
    instance
        The problem data.
    limit
        Cap on every ``P_j`` (no solution needs more than ``L |R|``).
        Default ``L * max(|R|, 1)``.

    Returns
    -------
    P : numpy.ndarray of int64, shape (n,)
        ``floor((M_j - s_m) / s_c)`` (module docstring), at most ``limit``;
        0 for a server that cannot hold one block and one cache.
    """
    s_m, s_c = instance.s_m, instance.s_c
    if limit is None:
        limit = instance.L * max(instance.num_requests, 1)
    out = np.zeros(instance.num_servers, np.int64)
    for j, s in enumerate(instance.servers):
        M = s.memory
        start = floor_div(M + memory_slack(M) - s_m, s_c) + 1
        # the evaluator's load for m_j = 1 hosted block and p caches
        out[j] = _largest(lambda p: memory_fits(s_m * 1 + s_c * p, M),
                          start, limit)
    return out

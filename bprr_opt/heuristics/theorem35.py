"""The performance guarantee of CG-BPRR (Theorem 3.5 of [1]_, eq. (17)).

This is an *upper* bound on CG-BPRR's own average per-token time, not a
lower bound on the optimum.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, Theorem 3.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["theorem35_bound"]


def theorem35_bound(num_blocks: Sequence[int], t_tilde: Sequence[float],
                    tau: Sequence[float], L: int) -> float:
    """Return the right-hand side of (17) for CG-BPRR's block counts.

    Parameters
    ----------
    num_blocks
        CG-BPRR's Step 1 counts ``m_j`` (0: server unused).
    t_tilde
        Amortised per-block times ``t~_j = (max_c t_cj + tau_j m_j) / m_j``.
    tau
        Per-block decode times ``tau_j``.
    L
        Number of blocks.

    Returns
    -------
    bound : float
        ``sum_{j <= K} t~_j m_j - tau_K (sum_{j <= K} m_j - L)`` over the used
        servers sorted by ``t~_j`` (index on ties), ``K`` the first prefix
        holding ``L`` blocks; ``inf`` when all used servers hold fewer.

    Notes
    -----
    It prices the chain of the ``K`` fastest servers placed back to back, the
    farthest client paying every hop, the last server running only the blocks
    still needed.  CG-BPRR's placement really contains that chain -- Phase 1
    tiles blocks ``1..L`` from the left with exactly these servers -- so
    every successful CG-BPRR run costs at most this (``proofs/theorem35.md``).
    ``O(|V_s| log |V_s|)``.

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, Theorem 3.5.
    """
    used = sorted((j for j, m in enumerate(num_blocks) if m >= 1),
                  key=lambda j: (t_tilde[j], j))
    total_blocks = 0
    value = 0.0
    for j in used:
        total_blocks += num_blocks[j]
        value += t_tilde[j] * num_blocks[j]
        if total_blocks >= L:
            return value - tau[j] * (total_blocks - L)
    return math.inf

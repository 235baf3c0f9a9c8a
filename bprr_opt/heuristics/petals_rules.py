"""PETALS' block-choice rules, shared by the offline and online baselines.

* **block count** (spec §8.1): ``m_j = min(floor((M - reserve) / (block +
  cache)), L)`` in bytes, with PETALS' per-block attention-cache
  reservation and autograd reserve (:class:`~bprr_opt.scenario.PetalsParams`);
* **block selection** (spec §8.3): a joining server takes the window whose
  per-block throughputs, sorted ascending, are lexicographically smallest
  (smallest start on ties) -- the rule CG-BPRR's Phase 2 also uses, there on
  integer capacities (:mod:`bprr_opt.heuristics._cg_bprr_kernels`); here on
  float throughputs, compared exactly.

References
----------
.. [1] Borzunov et al. (2023). Petals: Collaborative Inference and
       Fine-tuning of Large Models. ACL (system demonstrations).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..numerics import floor_div
from ..solution import Placement

__all__ = ["petals_block_counts", "select_blocks"]


def petals_block_counts(memory_gb: Sequence[float], s_m: float,
                        cache_gb: float, reserve_gb: float, L: int,
                        max_blocks: Sequence[int] | None = None
                        ) -> list[int]:
    """PETALS' number of blocks per server (spec §8.1), in bytes.

    ``m_j = min(floor((M_j - reserve) / (block + cache)), L, max_blocks_j)``
    with every figure in bytes (GB x 10^9).  A server whose memory does not
    cover the reserve gets 0.
    """
    out = []
    for j, M in enumerate(memory_gb):
        num = M * 1e9 - reserve_gb * 1e9
        m = 0 if num <= 0 else floor_div(num, s_m * 1e9 + cache_gb * 1e9)
        m = min(m, L)
        if max_blocks is not None:
            m = min(m, int(max_blocks[j]))
        out.append(max(m, 0))
    return out


def select_blocks(num_blocks: Sequence[int], throughput: Sequence[float],
                  order: Sequence[int], L: int) -> Placement:
    """PETALS' block selection as servers join in ``order`` (spec §8.3).

    Parameters
    ----------
    num_blocks
        ``m_j`` per server (0: the server hosts nothing).
    throughput
        ``thr_j`` credited to each block a server hosts.
    order
        Join order (a permutation of the servers).
    L
        Number of blocks.

    Returns
    -------
    Placement
        A joining server takes the start ``a`` whose window of accumulated
        block throughputs ``Theta_a..Theta_{a+m-1}``, sorted ascending, is
        lexicographically smallest (smallest ``a`` on ties), then adds its
        throughput to the window.  Coverage is not checked (⚠ spec §14.17).

    Notes
    -----
    ``O(|V_s| L m log m)``.
    """
    n = len(num_blocks)
    if sorted(order) != list(range(n)):
        raise ValueError(f"order: must be a permutation of 0..{n - 1}, got "
                         f"{list(order)!r}")
    theta = [0.0] * L
    a = [0] * n
    for j in order:
        m = int(num_blocks[j])
        if m < 1:
            continue
        if m > L:
            raise ValueError(f"num_blocks[{j}]: {m} > L = {L}")
        best = None
        best_a = 0
        for s in range(L - m + 1):
            key = sorted(theta[s:s + m])
            if best is None or key < best:  # strict: smallest a on ties
                best, best_a = key, s
        a[j] = best_a + 1
        for b in range(best_a, best_a + m):
            theta[b] += throughput[j]
    return Placement.from_arrays(a, num_blocks)

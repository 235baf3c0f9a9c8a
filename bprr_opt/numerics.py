"""The one numerical tolerance shared by algorithms and the evaluator.

Memory figures are floats (GB), and several algorithms floor memory ratios
(``m_j = floor(M_j / (s_m + s_c R))``).  ``M_j = m (s_m + s_c R)`` exactly must
give ``m``, not ``m - 1`` after rounding error, and the evaluator must accept
what the algorithm built from that floor.  Both therefore use :data:`EPS`:

* every floored memory ratio is ``floor(x / y + EPS)`` (:func:`floor_div`);
* a memory load is feasible iff ``load <= cap + EPS * max(1, |cap|)``
  (:func:`memory_fits`).

If ``m = floor(M/d + EPS)`` then ``m d <= M + EPS d <= M + EPS max(1, M)``
whenever ``m >= 1`` (so ``d <= M (1 + EPS)``), hence the two never disagree.
"""

from __future__ import annotations

import math

__all__ = ["EPS", "floor_div", "memory_fits", "memory_slack"]

EPS = 1e-9


def floor_div(x: float, y: float) -> int:
    """Return ``floor(x / y + EPS)`` as an int (``y > 0``)."""
    return int(math.floor(x / y + EPS))


def memory_slack(cap: float) -> float:
    """Absolute slack allowed above a memory capacity ``cap``."""
    return EPS * max(1.0, abs(cap))


def memory_fits(load: float, cap: float) -> bool:
    """Return whether a memory ``load`` fits in capacity ``cap``."""
    return load <= cap + memory_slack(cap)

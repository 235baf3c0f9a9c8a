"""Dolan–Moré performance profiles.

For problems ``p`` and solvers (configurations) ``s`` with costs
``t_{p,s}`` (runtime, or objective value; a failure is ``inf``):

    r_{p,s} = t_{p,s} / min_s t_{p,s}
    rho_s(tau) = |{p : r_{p,s} <= tau}| / n_p

``rho_s(1)`` is the share of problems on which ``s`` is best, and
``lim rho_s(tau)`` the share it solves at all.

References
----------
.. [1] Dolan & Moré (2002), Benchmarking optimization software with
   performance profiles, Math. Programming 91:201–213.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["performance_profile", "performance_ratios", "profile_taus"]


def performance_ratios(costs: Any, floor: float = 0.0) -> np.ndarray:
    """Return the ratios ``r_{p,s}`` of a problems x solvers cost matrix.

    Parameters
    ----------
    costs : array_like, shape (n_p, n_s)
        Costs of the successful runs; ``inf`` or ``nan`` marks a failure.
    floor : float, optional (default = 0.0)
        Finite costs below ``floor`` are raised to it.  Ratios need positive
        costs; for runtimes pass the timer resolution, so that a run timed
        at 0 s does not make every other run infinitely slower.

    Returns
    -------
    ratios : numpy.ndarray, shape (n_p, n_s)
        ``t / min_s t`` per row; failures are ``inf``.  A row where every
        solver failed is all ``inf``.

    Raises
    ------
    ValueError
        If the matrix is not 2-D, a cost is negative, or a finite cost
        (after ``floor``) is zero.

    Notes
    -----
    ``O(n_p n_s)``.  Dolan and Moré define ratios for positive costs only;
    a zero cost is refused rather than given a ratio by convention.
    """
    t = np.array(costs, dtype=float)
    if t.ndim != 2:
        raise ValueError(f"costs: must be a 2-D matrix, got shape {t.shape}")
    if np.any(t < 0):
        raise ValueError("costs: must be >= 0 (inf or nan for failures)")
    t[~np.isfinite(t)] = np.inf
    finite = np.isfinite(t)
    t[finite] = np.maximum(t[finite], floor)
    if np.any(t[finite] <= 0):
        raise ValueError(
            "costs: finite costs must be > 0 (pass floor= to clamp "
            "runtimes measured as 0)")
    r = np.full_like(t, np.inf)
    if t.size == 0:
        return r
    best = np.broadcast_to(t.min(axis=1, keepdims=True), t.shape)
    ok = finite & np.isfinite(best)
    r[ok] = t[ok] / best[ok]
    return r


def performance_profile(ratios: Any, taus: Any) -> np.ndarray:
    """Return ``rho_s(tau)`` for every solver and every ``tau``.

    Parameters
    ----------
    ratios : array_like, shape (n_p, n_s)
        From :func:`performance_ratios`.
    taus : array_like, shape (k,)
        Ratio thresholds (``>= 1`` to be meaningful).

    Returns
    -------
    rho : numpy.ndarray, shape (n_s, k)
        Share of problems with ``r_{p,s} <= tau``; values in ``[0, 1]``,
        non-decreasing in ``tau``.  With no problem every share is ``nan``.

    Notes
    -----
    ``O(n_s n_p log n_p + n_s k log n_p)`` by sorting each solver's ratios.
    """
    r = np.asarray(ratios, dtype=float)
    tau = np.asarray(taus, dtype=float).ravel()
    if r.ndim != 2:
        raise ValueError(f"ratios: must be a 2-D matrix, got shape {r.shape}")
    n_p, n_s = r.shape
    if n_p == 0:
        return np.full((n_s, tau.size), np.nan)
    srt = np.sort(r, axis=0)
    return np.stack([np.searchsorted(srt[:, s], tau, side="right") / n_p
                     for s in range(n_s)]) if n_s else np.empty((0, tau.size))


def profile_taus(ratios: Any) -> np.ndarray:
    """The thresholds where some ``rho_s`` jumps: 1 and every finite ratio.

    Plotting ``rho`` as a step function over these (sorted, unique) values
    draws the exact profile.
    """
    r = np.asarray(ratios, dtype=float)
    finite = r[np.isfinite(r)]
    return np.unique(np.concatenate([[1.0], finite]))

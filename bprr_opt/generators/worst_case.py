"""The paper's worst case of CG-BPRR (``shared/spec/bprr-model.md`` §3).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §3 (Theorem 3.5 and the
       worst-case family).
"""

from __future__ import annotations

from ..instance import Client, Instance, Server

__all__ = ["worst_case_instance"]


def worst_case_instance(L: int, t: float = 10.0, tau: float = 1.0,
                        name: str | None = None) -> Instance:
    """Build the paper's worst case of CG-BPRR for ``L`` blocks.

    One client, ``L^2`` identical servers (``t_cj = t``, ``tau_j = tau``,
    ``M = (L + 1) s_m``), ``L^2`` requests, ``s_m = 1`` and ``s_c`` the
    midpoint of ``((L - 1) s_m / (2 L^2), s_m / L]``
    (``shared/spec/bprr-model.md`` §3).

    Notes
    -----
    CG-BPRR gives every server one block and pays ``L (t + tau)`` per token;
    every server can host the whole model and serve one request alone, at
    ``t + L tau``, which the chain-DP bound proves optimal.

    Raises
    ------
    ValueError
        If ``L < 2`` or ``t``, ``tau`` are negative.
    """
    if L < 2:
        raise ValueError(f"L: must be >= 2, got {L!r}")
    if not (t >= 0 and tau >= 0):
        raise ValueError(f"t, tau: must be >= 0, got {t!r}, {tau!r}")
    s_m = 1.0
    s_c = ((L - 1) / (2 * L * L) + 1 / L) / 2 * s_m
    n = L * L
    servers = tuple(Server(f"s{j}", (L + 1) * s_m, float(tau))
                    for j in range(n))
    return Instance(
        name=name or f"worst-case-L{L}", L=L, s_m=s_m, s_c=s_c, l_max=1,
        servers=servers, clients=(Client("c0", n, (float(t),) * n),),
        extra={"generator": {"kind": "worst-case", "L": L, "t": t,
                             "tau": tau}})

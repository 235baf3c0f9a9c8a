"""The PARTITION reduction gadget (``shared/spec/bprr-model.md`` §4)."""

from __future__ import annotations

from collections.abc import Sequence

from ..instance import Client, Instance, Server

__all__ = ["partition_instance"]


def partition_instance(weights: Sequence[int],
                       name: str | None = None) -> Instance:
    """Build the BPRR instance that decides PARTITION for ``weights``.

    With ``sum(weights) = 2W``: one client, one request, ``L = W``, one server
    per weight with ``M_j = 2 w_j``, ``t_cj = w_j``, ``tau_j = 1``,
    ``s_m = s_c = 1``, ``l_max = 1``.  The optimal per-token time is ``2W``
    iff a subset of the weights sums to ``W``, and ``>= 2W + 1`` otherwise
    (proof in ``proofs/np_hardness.md``).

    Raises
    ------
    ValueError
        If a weight is not a positive integer or the sum is odd.
    """
    ws = list(weights)
    if not ws:
        raise ValueError("weights: must not be empty")
    for i, w in enumerate(ws):
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise ValueError(f"weights[{i}]: must be a positive integer, got {w!r}")
    total = sum(ws)
    if total % 2:
        raise ValueError(f"weights: sum must be even, got {total}")
    W = total // 2
    servers = tuple(Server(f"w{j}", float(2 * w), 1.0) for j, w in enumerate(ws))
    client = Client("c0", 1, tuple(float(w) for w in ws))
    return Instance(
        name=name or "partition-" + "-".join(map(str, ws)),
        L=W, s_m=1.0, s_c=1.0, l_max=1, servers=servers, clients=(client,),
        extra={"generator": {"kind": "partition", "weights": ws}},
    )

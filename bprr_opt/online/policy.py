"""What the online simulator runs: a placement, a routing rule and constants.

An :class:`OnlinePolicy` is everything :func:`bprr_opt.online.simulator.
simulate` needs to charge a method's requests; the policy builders
(:func:`bprr_opt.online.ws_rr.ws_rr_policy`,
:func:`bprr_opt.online.petals.petals_policy`) make them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from ..chains.hops import HopGraph
from ..solution import Placement

__all__ = ["Family", "OnlinePolicy", "RoutingRule"]


class RoutingRule(StrEnum):
    """How the simulator routes each arriving request."""

    WS_RR = "ws-rr"  # Dijkstra on static costs plus live waits
    PETALS = "petals"  # PETALS' latency graph plus the no-cache penalty
    MILP = "milp"  # Opt RR's per-request MILP (reference engine only)


class Family(StrEnum):
    """Which allocation delay a method is charged."""

    PROPOSED = "proposed"
    PETALS = "petals"


@dataclass(frozen=True)
class OnlinePolicy:
    """A placement, its routing rule and the charging constants of a method.

    Attributes
    ----------
    method
        Label (``"cg-bp+ws-rr"``, ``"petals"``, ``"opt-order"``, ...).
    family
        :class:`Family`: ``"proposed"`` or ``"petals"`` (selects the
        allocation delay).
    placement
        Block placement (``first_block`` 1-based).
    slot_pool
        ``N_j`` block-cache slots per server.
    routing
        :class:`RoutingRule`: ``"ws-rr"`` (waiting-penalised costs),
        ``"petals"`` (PETALS' latency graph with the no-cache penalty) or
        ``"milp"`` (Opt RR, reference engine only).
    graph
        The routing DAG with the static cost of each edge per client.
    session_capacity
        PETALS' per-server session capacity (penalty iff ``cap - n_j == 0``);
        unused by the other routings.
    penalty_ms
        PETALS' penalty ``P``.
    allocation_delay_ms, initial_delay_ms, backoff_first_ms, backoff_cap_ms
        ``A``, ``D_0`` and the backoff steps.
    stats
        Method facts (planned ``R``, join order, block counts, ...).
    """

    method: str
    family: Family
    placement: Placement
    slot_pool: np.ndarray
    routing: RoutingRule
    graph: HopGraph
    allocation_delay_ms: float
    initial_delay_ms: float
    backoff_first_ms: float = 1000.0
    backoff_cap_ms: float = 60_000.0
    session_capacity: np.ndarray | None = None
    penalty_ms: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.routing not in tuple(RoutingRule):
            raise ValueError(f"routing: must be one of "
                             f"{', '.join(RoutingRule)}, got {self.routing!r}")
        if self.family not in tuple(Family):
            raise ValueError(f"family: must be one of {', '.join(Family)}, "
                             f"got {self.family!r}")
        object.__setattr__(self, "routing", RoutingRule(self.routing))
        object.__setattr__(self, "family", Family(self.family))

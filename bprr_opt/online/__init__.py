"""Online setting: simulator, CG-BP + WS-RR, PETALS online and its ablations.

See ``shared/spec/online-and-simulator.md``.  Every policy runs through
:func:`~bprr_opt.online.policies.run_policy` /
:func:`~bprr_opt.online.policies.run_policies` and returns one
:class:`~bprr_opt.online.policies.SimulationResult`; the main entry points
are re-exported here.
"""

from .arrivals import Arrivals, poisson_arrivals, trace_arrivals
from .cg_bp import CGBPPlacement, DesignR, allocation_aware_r, cg_bp, design_r
from .petals import PetalsVariant, petals_policy
from .policies import (
    PAPER_POLICIES,
    POLICIES,
    Draws,
    OnlineRunParams,
    Policy,
    SimulationResult,
    draw_run,
    run_policies,
    run_policy,
)
from .policy import Family, OnlinePolicy, RoutingRule
from .simulator import (
    OnlineState,
    SimulationRecords,
    backoff,
    simulate,
    simulate_reference,
)
from .ws_rr import ws_rr_policy

__all__ = [
    "PAPER_POLICIES",
    "POLICIES",
    "Arrivals",
    "CGBPPlacement",
    "DesignR",
    "Draws",
    "Family",
    "OnlinePolicy",
    "OnlineRunParams",
    "OnlineState",
    "PetalsVariant",
    "Policy",
    "RoutingRule",
    "SimulationRecords",
    "SimulationResult",
    "allocation_aware_r",
    "backoff",
    "cg_bp",
    "design_r",
    "draw_run",
    "petals_policy",
    "poisson_arrivals",
    "run_policies",
    "run_policy",
    "simulate",
    "simulate_reference",
    "trace_arrivals",
    "ws_rr_policy",
]

"""Online setting: simulator, CG-BP + WS-RR, PETALS online and its ablations.

See ``shared/spec/online-and-simulator.md`` and the README's online section.
The main entry points are re-exported here.
"""

from .arrivals import Arrivals, poisson_arrivals, trace_arrivals
from .cg_bp import CGBPPlacement, DesignR, cg_bp, design_r
from .experiment import (
    ONLINE_METHODS,
    MethodMetrics,
    ReplicateConfig,
    ReplicateResult,
    run_methods,
    run_replicate,
)
from .petals import PETALS_VARIANTS, petals_policy, run_petals
from ..scenario import (
    OnlineParams,
    Scenario,
    load_scenario,
    save_scenario,
    scenario_from_instance,
)
from .simulator import (
    OnlinePolicy,
    SimulationResult,
    backoff,
    simulate,
    simulate_reference,
)
from ..generators.clustered import clustered_scenario
from ..generators.topology import load_topology, raw_rtt_matrix, topology_scenario
from .ws_rr import run_proposed, ws_rr_policy

__all__ = [
    "ONLINE_METHODS",
    "PETALS_VARIANTS",
    "Arrivals",
    "CGBPPlacement",
    "DesignR",
    "MethodMetrics",
    "OnlineParams",
    "OnlinePolicy",
    "ReplicateConfig",
    "ReplicateResult",
    "Scenario",
    "SimulationResult",
    "backoff",
    "cg_bp",
    "clustered_scenario",
    "design_r",
    "load_scenario",
    "load_topology",
    "petals_policy",
    "poisson_arrivals",
    "raw_rtt_matrix",
    "run_methods",
    "run_petals",
    "run_proposed",
    "run_replicate",
    "save_scenario",
    "scenario_from_instance",
    "simulate",
    "simulate_reference",
    "topology_scenario",
    "trace_arrivals",
    "ws_rr_policy",
]

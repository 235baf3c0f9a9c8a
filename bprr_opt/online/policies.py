"""The online policies, one calling convention, one result type.

:data:`POLICIES` maps a name to a :class:`Policy` record: its function
``run(scenario, arrivals, params) -> SimulationResult``, a one-line summary
and the :class:`OnlineRunParams` fields it honours.  :func:`run_policy` and
:func:`run_policies` are the entry points of the CLI, the ``simulate`` sweep
kind and the paper reproduction, and :func:`draw_run` is the one place where
a run's arrivals and PETALS' join order are drawn from a seed.

Policies: ``cg-bp+ws-rr`` (the proposed method, aliases ``proposed`` and
``ws-rr``), ``cg-bp+ws-rr+A`` (the same with an allocation-aware design load,
a diagnostic variant, not a method of the paper), ``petals`` (online PETALS)
and its ablations ``opt-order``, ``opt-num``, ``opt-rr``.

Settings: ``"authors"`` charges the allocation delays and cache model of the
authors' scripts (60 s proposed, 250 s PETALS, PETALS' 4096-token cache);
``"equal"`` charges every policy the same delay and lets every policy use
all free memory (:meth:`~bprr_opt.scenario.OnlineParams.equal_settings`).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BprrError
from ..params import Engine
from ..scenario import Scenario, Settings
from . import _sim_kernels
from .arrivals import Arrivals, poisson_arrivals
from .cg_bp import CGBPPlacement, allocation_aware_r, cg_bp, design_r
from .petals import PetalsVariant, milp_router, petals_policy
from .policy import RoutingRule
from .simulator import SimulationRecords, simulate
from .ws_rr import ws_rr_policy

__all__ = [
    "ALIASES",
    "PAPER_POLICIES",
    "POLICIES",
    "PROPOSED",
    "PROPOSED_A",
    "Draws",
    "OnlineRunParams",
    "Policy",
    "SimulationResult",
    "canonical_policy",
    "draw_run",
    "run_policies",
    "run_policy",
]

PROPOSED = "cg-bp+ws-rr"
PROPOSED_A = "cg-bp+ws-rr+A"
# the policies of the paper's comparison (``bprr simulate --algorithm all``)
PAPER_POLICIES = (PROPOSED, "petals", "opt-order", "opt-num", "opt-rr")
ALIASES = {"proposed": PROPOSED, "ws-rr": PROPOSED}


@dataclass(frozen=True)
class OnlineRunParams:
    """What the online policies read (each lists the fields it honours).

    Attributes
    ----------
    settings
        :class:`~bprr_opt.scenario.Settings` the run is charged with.
    rate_per_ms
        Arrival rate used to choose CG-BP's design load (spec §4); ``None``:
        the empirical rate of the arrivals, ``(N - 1) / last arrival``.
    r_design
        Impose CG-BP's design load ``R`` instead.
    join_order
        PETALS' join permutation; ``None``: server index order.
    engine
        Simulator implementation (:class:`~bprr_opt.params.Engine`).
    """

    settings: Settings = Settings.AUTHORS
    rate_per_ms: float | None = None
    r_design: int | None = None
    join_order: tuple[int, ...] | None = None
    engine: Engine = Engine.NUMBA

    def __post_init__(self) -> None:
        if self.settings not in tuple(Settings):
            raise ValueError(f"settings: must be one of "
                             f"{', '.join(Settings)}, got {self.settings!r}")
        if self.engine not in tuple(Engine):
            raise ValueError(f"engine: must be one of {', '.join(Engine)}, "
                             f"got {self.engine!r}")
        if self.rate_per_ms is not None and not (
                self.rate_per_ms > 0 and math.isfinite(self.rate_per_ms)):
            raise ValueError(f"rate_per_ms: must be > 0, got "
                             f"{self.rate_per_ms!r}")
        if self.r_design is not None and self.r_design < 1:
            raise ValueError(f"r_design: must be >= 1, got {self.r_design!r}")
        object.__setattr__(self, "settings", Settings(self.settings))
        object.__setattr__(self, "engine", Engine(self.engine))
        if self.join_order is not None:
            object.__setattr__(self, "join_order",
                               tuple(int(j) for j in self.join_order))


@dataclass(frozen=True)
class SimulationResult:
    """One policy's run: the paper's metrics (spec §13) and the records.

    Attributes
    ----------
    method, settings
        Policy name and settings.
    requests
        Requests simulated ``N``.
    avg_per_token_ms
        ``sum_r completion_r / (N l_max)``: all tokens, waiting, ``D_0``,
        ``A`` and prefill included.
    avg_ttft_ms
        Mean time to first token.
    avg_remaining_token_ms
        ``(avg_per_token l_max - avg_ttft) / (l_max - 1)``.
    avg_waiting_ms, avg_raw_wait_ms
        Mean realised wait ``B(W_r)`` and mean raw wait ``W_r``.
    max_concurrency
        Largest number of requests in the system at an arrival.
    planned_R
        CG-BP's design load (the proposed policies and the ablations built
        on CG-BP), else ``None``.
    runtime_s
        Wall-clock seconds of the policy (placement and simulation).
    allocation_delay_ms
        ``A`` charged to every request.
    records
        The per-request records (left out of :meth:`to_dict`).
    """

    method: str
    settings: str
    requests: int
    avg_per_token_ms: float
    avg_ttft_ms: float
    avg_remaining_token_ms: float
    avg_waiting_ms: float
    avg_raw_wait_ms: float
    max_concurrency: int
    planned_R: int | None
    runtime_s: float
    allocation_delay_ms: float
    records: SimulationRecords = field(repr=False, compare=False)

    @classmethod
    def from_records(cls, method: str, settings: str,
                     records: SimulationRecords, *, planned_R: int | None,
                     runtime_s: float) -> SimulationResult:
        """Compute the metrics of ``records``."""
        N = records.num_requests
        if N == 0:
            nan = math.nan
            m: dict[str, Any] = dict(
                requests=0, avg_per_token_ms=nan, avg_ttft_ms=nan,
                avg_remaining_token_ms=nan, avg_waiting_ms=nan,
                avg_raw_wait_ms=nan, max_concurrency=0)
        else:
            lm = records.l_max
            apt = float(records.completion.sum()) / (N * lm)
            ttft = float(records.ttft.mean())
            m = dict(requests=N, avg_per_token_ms=apt, avg_ttft_ms=ttft,
                     avg_remaining_token_ms=(apt * lm - ttft) / (lm - 1)
                     if lm > 1 else math.nan,
                     avg_waiting_ms=float(records.waiting.mean()),
                     avg_raw_wait_ms=float(records.wait_raw.mean()),
                     max_concurrency=int(records.concurrency.max()))
        return cls(method=method, settings=str(settings), **m,
                   planned_R=planned_R, runtime_s=runtime_s,
                   allocation_delay_ms=records.policy.allocation_delay_ms,
                   records=records)

    def to_dict(self) -> dict[str, Any]:
        """The metrics as a flat dict (no records), in field order."""
        return {f.name: getattr(self, f.name)
                for f in dataclasses.fields(self) if f.name != "records"}


@dataclass(frozen=True)
class Policy:
    """A registered online policy.

    Attributes
    ----------
    name
        Registry name (``bprr simulate --algorithm NAME``).
    run
        ``run(scenario, arrivals, params) -> SimulationResult``; the
        scenario already carries ``params.settings``.
    summary
        One line, shown by ``bprr simulate --help``.
    reads
        The :class:`OnlineRunParams` fields the policy honours.
    """

    name: str
    run: Callable[[Scenario, Arrivals, OnlineRunParams], SimulationResult]
    summary: str
    reads: frozenset[str]


def _planned_r(scen: Scenario, params: OnlineRunParams) -> int:
    if params.r_design is not None:
        return params.r_design
    return design_r(scen, params.rate_per_ms).R


def _ws_rr(scen: Scenario, arrivals: Arrivals, params: OnlineRunParams,
           name: str, r_design: int | None) -> SimulationResult:
    """CG-BP + WS-RR; the runtime covers the choice of ``R``, CG-BP and the
    simulation (JIT compilation excluded)."""
    if params.engine == Engine.NUMBA:
        _sim_kernels.warm_up()
    t0 = time.perf_counter()
    R = r_design if r_design is not None else design_r(
        scen, params.rate_per_ms).R
    placed = cg_bp(scen, R)
    policy = ws_rr_policy(scen, placed.placement,
                          stats={"planned_R": R, "order": placed.order})
    rec = simulate(scen.instance, policy, arrivals, engine=params.engine)
    return SimulationResult.from_records(
        name, params.settings, rec, planned_R=placed.r_design,
        runtime_s=time.perf_counter() - t0)


def _proposed(scen: Scenario, arrivals: Arrivals,
              params: OnlineRunParams) -> SimulationResult:
    return _ws_rr(scen, arrivals, params, PROPOSED, params.r_design)


def _proposed_a(scen: Scenario, arrivals: Arrivals,
                params: OnlineRunParams) -> SimulationResult:
    # the design load is chosen before the clock starts, as a given R
    R = allocation_aware_r(scen, params.rate_per_ms)
    return _ws_rr(scen, arrivals, params, PROPOSED_A, R)


def _petals(variant: PetalsVariant
            ) -> Callable[[Scenario, Arrivals, OnlineRunParams],
                          SimulationResult]:
    def run(scen: Scenario, arrivals: Arrivals,
            params: OnlineRunParams) -> SimulationResult:
        """PETALS or an ablation; the runtime covers the placement and the
        simulation (one MILP per request for opt-rr), not CG-BP's
        placement that opt-order and opt-num reuse."""
        cgbp: CGBPPlacement | None = None
        planned = None
        if variant in (PetalsVariant.OPT_ORDER, PetalsVariant.OPT_NUM):
            planned = _planned_r(scen, params)
            cgbp = cg_bp(scen, planned)
        order = params.join_order if params.join_order is not None \
            else tuple(range(scen.instance.num_servers))
        if params.engine == Engine.NUMBA:
            _sim_kernels.warm_up()
        t0 = time.perf_counter()
        policy = petals_policy(scen, variant, order, cgbp)
        router = milp_router if policy.routing is RoutingRule.MILP else None
        rec = simulate(scen.instance, policy, arrivals, engine=params.engine,
                       router=router)
        return SimulationResult.from_records(
            str(variant), params.settings, rec, planned_R=planned,
            runtime_s=time.perf_counter() - t0)
    return run


_SIM = {"settings", "engine"}

POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy(PROPOSED, _proposed,
           "CG-BP placement (design load from the rate) + WS-RR routing",
           frozenset(_SIM | {"rate_per_ms", "r_design"})),
    Policy(PROPOSED_A, _proposed_a,
           "CG-BP + WS-RR, design load counting the allocation delay "
           "(diagnostic)",
           frozenset(_SIM | {"rate_per_ms"})),
    Policy("petals", _petals(PetalsVariant.PETALS),
           "online PETALS: random join order, its own routing",
           frozenset(_SIM | {"join_order"})),
    Policy("opt-order", _petals(PetalsVariant.OPT_ORDER),
           "PETALS joining in CG-BP's order",
           frozenset(_SIM | {"rate_per_ms", "r_design"})),
    Policy("opt-num", _petals(PetalsVariant.OPT_NUM),
           "PETALS with CG-BP's block counts and all free memory",
           frozenset(_SIM | {"join_order", "rate_per_ms", "r_design"})),
    Policy("opt-rr", _petals(PetalsVariant.OPT_RR),
           "PETALS' placement, each request routed by a MILP",
           frozenset({"settings", "join_order"})),
)}


def canonical_policy(name: str) -> str:
    """Resolve aliases; raise on unknown names.

    Raises
    ------
    BprrError
        One line naming the unknown name.
    """
    n = ALIASES.get(name, name)
    if n not in POLICIES:
        raise BprrError(f"algorithm: unknown online method {name!r} (choose "
                        f"from {', '.join(POLICIES)})")
    return n


def _with_rate(arrivals: Arrivals, params: OnlineRunParams
               ) -> OnlineRunParams:
    """Fill in the empirical arrival rate when no rate and no ``R`` is given."""
    if params.r_design is not None or params.rate_per_ms is not None:
        return params
    N = len(arrivals)
    span = float(arrivals.times[-1]) if N else 0.0
    if N < 2 or span <= 0:
        raise ValueError("rate_per_ms: needed when the arrivals give "
                         "no rate (fewer than 2 distinct times)")
    return dataclasses.replace(params, rate_per_ms=(N - 1) / span)


def run_policy(scenario: Scenario, arrivals: Arrivals, name: str,
               params: OnlineRunParams | None = None) -> SimulationResult:
    """Run one policy on ``arrivals`` under ``params.settings``.

    Raises
    ------
    BprrError
        On an unknown policy name.
    InfeasibleError
        If the policy cannot place or route (e.g. CG-BP fails at ``R``).
    """
    policy = POLICIES[canonical_policy(name)]
    params = _with_rate(arrivals, params or OnlineRunParams())
    return policy.run(scenario.with_settings(params.settings), arrivals,
                      params)


def run_policies(scenario: Scenario, arrivals: Arrivals,
                 names: Sequence[str] = PAPER_POLICIES,
                 params: OnlineRunParams | None = None
                 ) -> list[SimulationResult]:
    """Run several policies on the same scenario and arrivals.

    Parameters
    ----------
    scenario
        The online scenario (its parameters hold the authors' constants).
    arrivals
        The arrival sequence shared by every policy.
    names
        Policy names (or aliases).  Default :data:`PAPER_POLICIES`.
    params
        Settings, rate, design load, join order and engine.

    Returns
    -------
    list of SimulationResult
        In the order of ``names``.
    """
    names = [canonical_policy(n) for n in names]
    params = _with_rate(arrivals, params or OnlineRunParams())
    return [run_policy(scenario, arrivals, n, params) for n in names]


@dataclass(frozen=True)
class Draws:
    """What one run draws: the arrivals and PETALS' join order."""

    arrivals: Arrivals
    join_order: tuple[int, ...]


def draw_run(scenario: Scenario, rng: np.random.Generator | int, *,
             requests: int | None = None, rate_per_ms: float | None = None,
             arrivals: Arrivals | None = None) -> Draws:
    """Draw a run's arrivals, then PETALS' join order, from one stream.

    Parameters
    ----------
    scenario
        The scenario (its clients and servers).
    rng
        A seed or a generator to continue (a replicate first draws its
        topology from the same stream).
    requests, rate_per_ms
        Poisson arrivals: ``requests`` requests at ``rate_per_ms``, each
        request's client drawn uniformly when the scenario has several.
    arrivals
        Given arrivals (a trace) instead: nothing is drawn for them.

    Returns
    -------
    Draws
        The arrivals and a random permutation of the servers.
    """
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    if arrivals is None:
        if requests is None or rate_per_ms is None:
            raise ValueError("requests, rate_per_ms: needed to draw Poisson "
                             "arrivals")
        arrivals = poisson_arrivals(requests, rate_per_ms, rng=rng,
                                    n_clients=scenario.instance.num_clients)
    order = tuple(int(j) for j in
                  rng.permutation(scenario.instance.num_servers))
    return Draws(arrivals, order)

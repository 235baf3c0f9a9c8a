"""One Monte-Carlo replicate of an online experiment (spec §12, §13).

:func:`run_methods` runs a list of methods on one scenario and one arrival
sequence; :func:`run_replicate` first draws everything a replicate of the
authors' sweeps draws, from one seeded stream and in their order -- topology
(client, servers, hardware types), arrivals, PETALS' join permutation -- and
then calls :func:`run_methods`.  Both return one :class:`MethodMetrics` per
method, ready for a table (``to_dict``) and for the notebooks that reproduce
the paper's figures over many replicates.

Method names: ``cg-bp+ws-rr`` (the proposed method, alias ``proposed``),
``petals``, ``opt-order``, ``opt-num``, ``opt-rr``.

Settings: ``"authors"`` charges the allocation delays and cache model of the
authors' scripts (60 s proposed, 250 s PETALS, PETALS' 4096-token cache);
``"equal"`` charges every method the same delay and lets every method use
all free memory (:meth:`~bprr_opt.scenario.OnlineParams.equal_settings`).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import BprrError
from .arrivals import Arrivals, poisson_arrivals
from .cg_bp import CGBPPlacement, cg_bp, design_r
from .petals import PETALS_VARIANTS, run_petals
from ..scenario import Scenario
from .simulator import SimulationResult
from ..generators.topology import topology_scenario
from .ws_rr import run_proposed

__all__ = [
    "ALIASES",
    "ONLINE_METHODS",
    "MethodMetrics",
    "ReplicateConfig",
    "ReplicateResult",
    "run_methods",
    "run_replicate",
]

ONLINE_METHODS = ("cg-bp+ws-rr",) + PETALS_VARIANTS
ALIASES = {"proposed": "cg-bp+ws-rr", "ws-rr": "cg-bp+ws-rr"}


def canonical_method(name: str) -> str:
    """Resolve aliases; raise on unknown names."""
    m = ALIASES.get(name, name)
    if m not in ONLINE_METHODS:
        raise BprrError(f"algorithm: unknown online method {name!r} (choose "
                        f"from {', '.join(ONLINE_METHODS)})")
    return m


@dataclass(frozen=True)
class MethodMetrics:
    """Metrics of one method in one run (times in ms, runtime in s).

    ``planned_R`` is CG-BP's design load (the proposed method and the
    ablations built on CG-BP), else ``None``.  ``result`` keeps the
    per-request records (left out of :meth:`to_dict`).
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
    result: SimulationResult | None = field(default=None, repr=False,
                                            compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("result")
        return d


def _metrics(method: str, settings: str, res: SimulationResult,
             planned_R: int | None, runtime_s: float) -> MethodMetrics:
    m = res.metrics()
    return MethodMetrics(
        method=method, settings=settings, requests=m["requests"],
        avg_per_token_ms=m["avg_per_token_ms"], avg_ttft_ms=m["avg_ttft_ms"],
        avg_remaining_token_ms=m["avg_remaining_token_ms"],
        avg_waiting_ms=m["avg_waiting_ms"],
        avg_raw_wait_ms=m["avg_raw_wait_ms"],
        max_concurrency=m["max_concurrency"], planned_R=planned_R,
        runtime_s=runtime_s,
        allocation_delay_ms=res.policy.allocation_delay_ms, result=res)


def run_methods(scenario: Scenario, arrivals: Arrivals,
                methods: Sequence[str] = ONLINE_METHODS, *,
                join_order: Sequence[int] | None = None,
                rate_per_ms: float | None = None,
                r_design: int | None = None,
                settings: str = "authors",
                engine: str = "numba") -> list[MethodMetrics]:
    """Run ``methods`` on the same scenario and arrivals.

    Parameters
    ----------
    scenario
        The online scenario (its parameters hold the authors' constants).
    arrivals
        The arrival sequence shared by every method.
    methods
        Method names (see module docstring).  Default all five.
    join_order
        PETALS' join permutation (``petals``, ``opt-num``, ``opt-rr``).
        Default: server index order.
    rate_per_ms
        Arrival rate used to choose CG-BP's ``R`` (spec §4).  Default: the
        empirical rate of ``arrivals`` (``(N - 1) / last arrival``).
    r_design
        Impose CG-BP's ``R`` instead.
    settings
        ``"authors"`` or ``"equal"``.
    engine
        ``"numba"`` or ``"reference"``.

    Returns
    -------
    list of MethodMetrics
        In the order of ``methods``.

    Notes
    -----
    The ablations ``opt-order`` and ``opt-num`` need CG-BP's placement; it
    is computed once (not charged to their runtime).
    """
    methods = [canonical_method(m) for m in methods]
    scen = scenario.with_settings(settings)
    n = scen.instance.num_servers
    order = list(range(n)) if join_order is None else [int(j) for j in
                                                        join_order]
    if r_design is None:
        if rate_per_ms is None:
            N = len(arrivals)
            span = float(arrivals.times[-1]) if N else 0.0
            if N < 2 or span <= 0:
                raise ValueError("rate_per_ms: needed when the arrivals give "
                                 "no rate (fewer than 2 distinct times)")
            rate_per_ms = (N - 1) / span
    out: list[MethodMetrics] = []
    cgbp: CGBPPlacement | None = None
    planned: int | None = None
    if "cg-bp+ws-rr" in methods or "opt-order" in methods \
            or "opt-num" in methods:
        planned = r_design if r_design is not None else design_r(
            scen, rate_per_ms).R
        cgbp = cg_bp(scen, planned)
    for m in methods:
        if m == "cg-bp+ws-rr":
            run = run_proposed(scen, arrivals, rate_per_ms=rate_per_ms,
                               r_design=r_design, engine=engine)
            out.append(_metrics(m, settings, run.result,
                                run.placement.r_design, run.runtime_s))
        else:
            pr = run_petals(scen, arrivals, m, order, cgbp=cgbp,
                            engine=engine)
            out.append(_metrics(m, settings, pr.result,
                                planned if m in ("opt-order", "opt-num")
                                else None, pr.runtime_s))
    return out


@dataclass(frozen=True)
class ReplicateConfig:
    """Everything one replicate of a scattered-scenario sweep needs.

    Defaults are the authors' Abvt arrival-rate point: 9 servers, ``eta =
    0.2``, ``lambda = 5e-4`` /ms (0.5 req/s), 100 requests, ``l_max = 128``.
    """

    graph: str = "Abvt"
    n_servers: int | None = None
    eta: float = 0.2
    rate_per_ms: float = 5e-4
    requests: int = 100
    l_max: int = 128
    l_in: int = 20
    memory: str = "main"
    r_design: int | None = None
    rate_for_design: float | None = None
    settings: str = "authors"

    def __post_init__(self) -> None:
        if not self.rate_per_ms > 0:
            raise ValueError(f"rate_per_ms: must be > 0, got "
                             f"{self.rate_per_ms!r}")
        if self.requests < 1:
            raise ValueError(f"requests: must be >= 1, got {self.requests}")


@dataclass(frozen=True)
class ReplicateResult:
    """One replicate: its draws and the metrics of every method."""

    config: ReplicateConfig
    seed: int
    scenario: Scenario
    arrivals: Arrivals
    join_order: tuple[int, ...]
    metrics: tuple[MethodMetrics, ...]

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per method (config, seed and metrics), for pandas."""
        base = {"seed": self.seed, **asdict(self.config)}
        return [{**base, **m.to_dict()} for m in self.metrics]

    def by_method(self) -> dict[str, MethodMetrics]:
        return {m.method: m for m in self.metrics}


def run_replicate(config: ReplicateConfig, methods: Sequence[str] =
                  ONLINE_METHODS, seed: int = 0, *,
                  engine: str = "numba") -> ReplicateResult:
    """Draw one replicate (topology, arrivals, join order) and run ``methods``.

    Parameters
    ----------
    config
        Scenario and load of the sweep point.
    methods
        Methods to run on the same draws.
    seed
        Seed of the replicate's one ``numpy.random.default_rng`` stream.
    engine
        ``"numba"`` or ``"reference"``.

    Returns
    -------
    ReplicateResult

    Notes
    -----
    Same seed, same draws, same metrics (runtimes aside).  CG-BP's ``R``
    comes from ``config.rate_for_design`` if set (the authors' "actual
    arrival" sweep fixes it from 5e-4), else from ``config.rate_per_ms``,
    unless ``config.r_design`` imposes it.
    """
    rng = np.random.default_rng(seed)
    scen = topology_scenario(config.graph, config.n_servers, config.eta,
                             rng=rng, seed=seed, l_max=config.l_max,
                             l_in=config.l_in, memory=config.memory)
    arrivals = poisson_arrivals(config.requests, config.rate_per_ms, rng=rng)
    order = tuple(int(j) for j in rng.permutation(scen.instance.num_servers))
    rate = config.rate_for_design or config.rate_per_ms
    metrics = run_methods(scen, arrivals, methods, join_order=order,
                          rate_per_ms=rate, r_design=config.r_design,
                          settings=config.settings, engine=engine)
    return ReplicateResult(config, seed, scen, arrivals, order,
                           tuple(metrics))



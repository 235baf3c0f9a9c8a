"""Monte-Carlo replicates of the online experiments (spec §12, §13).

A replicate draws everything from one seeded stream, in the authors' order
-- the topology (client, servers, hardware types) for a scattered scenario,
then the arrivals and PETALS' join order (:func:`bprr_opt.online.policies.
draw_run`) -- and runs the online policies on the same draws
(:func:`bprr_opt.online.policies.run_policies`).  :func:`run_replicate` does
it for a :class:`ReplicateConfig`, :func:`run_point` for a grid point of the
paper's tables under every setting; :func:`bprr_opt.experiments.grid_runs.
run_grid` runs many as jobs of the sweep machinery.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..generators.clustered import clustered_scenario
from ..generators.topology import topology_scenario
from ..online.arrivals import Arrivals
from ..online.policies import (
    PAPER_POLICIES,
    OnlineRunParams,
    SimulationResult,
    canonical_policy,
    draw_run,
    run_policies,
)
from ..params import Engine
from ..scenario import Scenario, Settings
from .grids import CLUSTERED, ETA, RUN_METRICS, TABLE_METHODS, GridPoint

__all__ = [
    "ReplicateConfig",
    "ReplicateResult",
    "check_settings",
    "point_draws",
    "run_point",
    "run_replicate",
]


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
    """One replicate: its draws and the result of every policy."""

    config: ReplicateConfig
    seed: int
    scenario: Scenario
    arrivals: Arrivals
    join_order: tuple[int, ...]
    metrics: tuple[SimulationResult, ...]

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per policy (config, seed and metrics), for pandas."""
        base = {"seed": self.seed, **asdict(self.config)}
        return [{**base, **m.to_dict()} for m in self.metrics]

    def by_method(self) -> dict[str, SimulationResult]:
        """The results by policy name."""
        return {m.method: m for m in self.metrics}


def run_replicate(config: ReplicateConfig, methods: Sequence[str] =
                  PAPER_POLICIES, seed: int = 0, *,
                  engine: Engine | str = Engine.NUMBA) -> ReplicateResult:
    """Draw one replicate (topology, arrivals, join order) and run ``methods``.

    Parameters
    ----------
    config
        Scenario and load of the sweep point.
    methods
        Policies to run on the same draws.
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
    draws = draw_run(scen, rng, requests=config.requests,
                     rate_per_ms=config.rate_per_ms)
    rate = config.rate_for_design or config.rate_per_ms
    metrics = run_policies(scen, draws.arrivals, methods, OnlineRunParams(
        settings=config.settings, rate_per_ms=rate,
        r_design=config.r_design, join_order=draws.join_order,
        engine=engine))
    return ReplicateResult(config, seed, scen, draws.arrivals,
                           draws.join_order, tuple(metrics))


def point_draws(point: GridPoint, seed: int, requests: int
                ) -> tuple[Scenario, Arrivals, tuple[int, ...]]:
    """The scenario, arrivals and join order of one replicate of ``point``.

    Scattered scenarios draw topology, arrivals and PETALS' join order from
    the seed's stream in the authors' order (as :func:`run_replicate`); the
    clustered scenario is fixed and draws arrivals, then the order.
    """
    if point.scenario == CLUSTERED:
        scen = clustered_scenario(requests, point.l_max)
        rng = np.random.default_rng(seed)
    else:
        config = ReplicateConfig(
            graph=point.scenario, n_servers=point.n_servers, eta=ETA,
            rate_per_ms=point.rate_per_ms, requests=requests,
            l_max=point.l_max)
        rng = np.random.default_rng(seed)
        scen = topology_scenario(config.graph, config.n_servers, config.eta,
                                 rng=rng, seed=seed, l_max=config.l_max,
                                 l_in=config.l_in, memory=config.memory)
    draws = draw_run(scen, rng, requests=requests,
                     rate_per_ms=point.rate_per_ms)
    return scen, draws.arrivals, draws.join_order


def check_settings(settings: Sequence[str]) -> list[Settings]:
    """Validate a list of settings (at least one).

    Raises
    ------
    ValueError
        If it is empty or names an unknown setting.
    """
    out = list(settings)
    if not out:
        raise ValueError("settings: at least one is needed")
    for s in out:
        if s not in tuple(Settings):
            raise ValueError(f"settings: must be in {', '.join(Settings)}, "
                             f"got {s!r}")
    return [Settings(s) for s in out]


def run_point(point: GridPoint, seed: int, *, requests: int = 100,
              methods: Sequence[str] = TABLE_METHODS,
              settings: Sequence[str] = tuple(Settings)
              ) -> list[dict[str, Any]]:
    """Run one replicate of one grid point under every setting.

    Parameters
    ----------
    point
        The grid point.
    seed
        Seed of the replicate's one random stream (:func:`point_draws`).
    requests
        Requests per run.  Default 100.
    methods
        Online policy names.  Default the proposed method, PETALS and its
        allocation-aware variant (:data:`~bprr_opt.experiments.grids.
        TABLE_METHODS`).
    settings
        Settings to run on the same draws.  Default both.

    Returns
    -------
    list of dict
        One record per (settings, method): the point's keys (``n_servers``
        is the actual count), ``n_a100``, ``requests``, ``seed``,
        ``settings``, ``method`` and :data:`~bprr_opt.experiments.grids.
        RUN_METRICS` (times in ms).
    """
    methods = [canonical_policy(m) for m in methods]
    settings = check_settings(settings)
    scen, arrivals, order = point_draws(point, seed, requests)
    hw = scen.hardware
    base = {"scenario": point.scenario, "rate_per_ms": point.rate_per_ms,
            "l_max": point.l_max, "n_servers": len(hw),
            "n_a100": sum(h == "a100" for h in hw), "requests": requests,
            "seed": int(seed)}
    out = []
    for s in settings:
        for m in run_policies(scen, arrivals, methods, OnlineRunParams(
                settings=s, rate_per_ms=point.rate_per_ms,
                join_order=order)):
            d = m.to_dict()
            out.append({**base, "settings": str(s), "method": m.method,
                        **{k: d[k] for k in RUN_METRICS}})
    return out

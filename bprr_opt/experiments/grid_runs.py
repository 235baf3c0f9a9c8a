"""Run the replicates of a grid of the paper's tables as sweep jobs.

:func:`run_grid` turns ``points x replicates`` into jobs of the
``replicate`` kind (:data:`bprr_opt.experiments.kinds.REPLICATE`) and runs
them on a backend of :mod:`bprr_opt.experiments.runner` -- in this process
by default, or on a process pool or Dask -- then gathers the records into
one frame.  Same arguments, same frame, whatever the backend.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import BprrError
from ..instance import instance_to_json
from ..online.policies import canonical_policy
from ..scenario import Settings
from .grids import TABLE_METHODS, GridPoint, replicate_seed
from .jobs import Job, instance_item, make_job
from .kinds import REPLICATE, REPLICATE_METHOD
from .replicates import check_settings, point_draws
from .runner import Backend, InProcessBackend

__all__ = ["grid_jobs", "run_grid"]


def grid_jobs(points: Iterable[GridPoint], runs: int, *, requests: int = 100,
              base_seed: int = 42, methods: Sequence[str] = TABLE_METHODS,
              settings: Sequence[str] = tuple(Settings),
              sweep: str = "grid") -> list[tuple[int, Job]]:
    """The ``(replicate, job)`` pairs of a grid, in (point, replicate) order.

    Each job's instance is the scenario its seed draws.
    """
    methods = [canonical_policy(m) for m in methods]
    settings = [str(s) for s in check_settings(settings)]
    out = []
    for p in points:
        for r in range(runs):
            seed = replicate_seed(base_seed, r)
            scen, _, _ = point_draws(p, seed, requests)
            inst = scen.to_instance()
            item = instance_item(instance_to_json(inst), inst.name,
                                 {"grid_point": p.scenario})
            options = {"scenario": p.scenario, "rate_per_ms": p.rate_per_ms,
                       "l_max": p.l_max, "n_servers": p.n_servers,
                       "requests": requests, "seed": seed,
                       "methods": tuple(methods),
                       "settings": tuple(settings)}
            out.append((r, make_job(REPLICATE.name, sweep, item,
                                    REPLICATE_METHOD, options)))
    return out


def run_grid(points: Iterable[GridPoint], runs: int, *, requests: int = 100,
             base_seed: int = 42, methods: Sequence[str] = TABLE_METHODS,
             settings: Sequence[str] = tuple(Settings),
             backend: Backend | None = None) -> Any:
    """Run ``runs`` Monte-Carlo replicates of every grid point.

    Parameters
    ----------
    points
        Grid points (:func:`~bprr_opt.experiments.grids.table3_grid`,
        :func:`~bprr_opt.experiments.grids.table6_grid`, ...).
    runs
        Replicates per point (>= 1; >= 2 for a confidence interval).
    requests
        Requests per run.  Default 100.
    base_seed
        Replicate ``r`` uses seed ``base_seed + r``
        (:func:`~bprr_opt.experiments.grids.replicate_seed`).  Default 42
        (the authors' sweeps use 42 or 44).
    methods, settings
        As :func:`~bprr_opt.experiments.replicates.run_point` (default the
        proposed method, PETALS and its allocation-aware variant, under
        both settings).
    backend
        Where the replicate jobs run (:mod:`bprr_opt.experiments.runner`).
        Default :class:`~bprr_opt.experiments.runner.InProcessBackend`.

    Returns
    -------
    runs : pandas.DataFrame
        One row per (point, replicate, settings, method), in that order; a
        ``replicate`` column holds ``r``.  Same arguments, same frame (no
        wall-clock column).

    Raises
    ------
    BprrError
        If a replicate job fails (its stored error).

    Notes
    -----
    Cost: ``len(points) * runs`` replicates, each simulating every method
    once per setting (``O(requests)`` routed requests each).
    """
    import pandas as pd

    points = list(points)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs: must be an integer >= 1, got {runs!r}")
    if isinstance(requests, bool) or not isinstance(requests, int) \
            or requests < 1:
        raise ValueError(f"requests: must be an integer >= 1, got "
                         f"{requests!r}")
    if not points:
        raise ValueError("points: the grid is empty")
    pairs = grid_jobs(points, runs, requests=requests, base_seed=base_seed,
                      methods=methods, settings=settings)
    backend = backend or InProcessBackend()
    with backend:
        got = {row["key"]: row for row in
               backend.map_unordered([job for _, job in pairs])}
    rows: list[dict[str, Any]] = []
    for r, job in pairs:
        row = got[job.key]
        if row["status"] == "error":
            raise BprrError(f"replicate {r} of {job.instance_name}: "
                            f"{row['error']}")
        got_rows = json.loads(row["result"])
        rows += [{**dict(zip(got_rows["columns"], values)), "replicate": r}
                 for values in got_rows["rows"]]
    df = pd.DataFrame(rows)
    df["planned_R"] = df["planned_R"].astype("Int64")
    return df

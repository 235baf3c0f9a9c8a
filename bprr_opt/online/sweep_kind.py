"""The ``simulate`` job kind of ``bprr sweep``: one online simulation per job.

A job takes a scenario instance (e.g. from the ``topology`` generator or
``bprr generate clustered --variant online``), draws its arrivals and
PETALS' join order from the job's seed (in that order, one
``numpy.random.default_rng`` stream, as :func:`~.experiment.run_replicate`
does after the topology), runs one online method and stores the mean
per-token time over all tokens as the job's ``value``; the other metrics
(TTFT, remaining-token time, waiting, concurrency, planned ``R``) go to the
row's stats.  The row's verdict is
:meth:`~bprr_opt.online.simulator.SimulationResult.violations`: every chain
obeys the block rule (the evaluator's) and running sessions never exceed a
server's slot pool.  Example spec: ``examples/sweeps/online.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..experiments.kinds import Axis, JobKind, Outcome
from ..instance import Instance
from ..scenario import Settings, scenario_from_instance

__all__ = ["SIMULATE", "run_simulate"]



def run_simulate(instance: Instance, method: str,
                 options: Mapping[str, Any]) -> Outcome:
    """Simulate ``method`` on ``instance``'s scenario (see module docstring).

    ``options``: ``rate`` (requests per second), ``requests``, ``settings``
    (``"authors"`` or ``"equal"``), ``r_design`` (``None``: spec §4 rule)
    and ``seed``.
    """
    from .arrivals import poisson_arrivals
    from .experiment import run_methods

    scen = scenario_from_instance(instance)
    rate_per_ms = float(options["rate"]) / 1000.0
    rng = np.random.default_rng(int(options["seed"]))
    arrivals = poisson_arrivals(int(options["requests"]), rate_per_ms,
                                rng=rng)
    order = tuple(int(j) for j in rng.permutation(instance.num_servers))
    m = run_methods(scen, arrivals, [method], join_order=order,
                    rate_per_ms=rate_per_ms, r_design=options["r_design"],
                    settings=options["settings"])[0]
    problems = m.result.violations(instance)
    return Outcome(status="feasible" if not problems else "error",
                   value=m.avg_per_token_ms, runtime_s=m.runtime_s,
                   feasible=not problems,
                   message=problems[0] if problems else
                   f"{m.requests} requests simulated",
                   stats=m.to_dict())


def _methods() -> list[str]:
    from .experiment import ONLINE_METHODS

    return list(ONLINE_METHODS)


def _check(name: str, value: Any) -> None:
    if name == "settings" and value not in tuple(Settings):
        raise ValueError(f"settings: must be one of {', '.join(Settings)}, "
                         f"got {value!r}")
    if name == "rate" and not value > 0:
        raise ValueError(f"rate: must be > 0 requests/s, got {value!r}")
    if name == "requests" and value < 1:
        raise ValueError(f"requests: must be >= 1, got {value!r}")
    if name == "r_design" and value is not None and value < 1:
        raise ValueError(f"r_design: must be >= 1, got {value!r}")


SIMULATE = JobKind(
    name="simulate", run=run_simulate, methods=_methods,
    axes={"rates": Axis("rate", "number", 0.5),
          "requests": Axis("requests", "int", 100),
          "settings": Axis("settings", "str", "authors"),
          "r_designs": Axis("r_design", "int|null", None),
          "seeds": Axis("seed", "int", 0)},
    check=_check)

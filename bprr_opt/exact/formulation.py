"""Package an exact formulation's solver run as a checked BPRR result."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from ..backends import SolverRun
from ..evaluate import evaluate
from ..instance import Instance
from ..params import SolveParams
from ..result import Result, build_result
from ..solution import Solution

__all__ = ["formulation_result"]


def formulation_result(instance: Instance, params: SolveParams, model: Any,
                       run: SolverRun, *, method: str,
                       extract: Callable[[Instance, Any], Solution],
                       started: float, warm: Solution | None = None,
                       notes: Sequence[str] = ()) -> Result:
    """Package a formulation's solver run as a checked :class:`Result`.

    The incumbent (if any) is read with ``extract(instance, model)`` and
    judged by the evaluator in :func:`~bprr_opt.result.build_result`, with
    the solver's objective and bound; the model size and the warm start's
    value go to the stats.  ``started`` is the ``perf_counter`` time the
    method began (model building included in the runtime).
    """
    solution = extract(instance, model) if run.has_solution else None
    stats = dict(run.stats)
    stats["variables"] = model.nvariables()
    stats["constraints"] = model.nconstraints()
    if warm is not None:
        stats["warm_start_avg_per_token_ms"] = evaluate(
            instance, warm).avg_per_token_ms
    return build_result(
        instance, solution, method=method, status=run.status,
        runtime_s=time.perf_counter() - started, solver=run.solver,
        bound=run.bound, solver_objective=run.objective,
        message="; ".join([run.message, *notes]), stats=stats,
        allow_unused=params.allow_unused)

"""One result type for every method (``bprr-result/1``).

A :class:`Result` is always built by :func:`build_result`, which runs the
evaluator on the returned solution and refuses inconsistent claims:

* a status of ``optimal``/``feasible`` with a solution the evaluator finds
  infeasible;
* a solver objective that differs from the evaluator's value by more than
  ``1e-6`` relative;
* a "lower bound" above the evaluated value of a feasible solution.

Each raises :class:`~bprr_opt.errors.EvaluatorMismatchError`: they are bugs,
never rounding to be hidden.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import EvaluatorMismatchError
from .evaluate import Evaluation, evaluate
from .instance import Instance
from .solution import Solution, solution_to_dict
from .status import REL_TOL, Status, rel_diff

__all__ = ["REL_TOL", "RESULT_FORMAT", "Result", "Status", "build_result"]

RESULT_FORMAT = "bprr-result/1"


@dataclass(frozen=True)
class Result:
    """Outcome of one method on one instance.

    Attributes
    ----------
    instance
        The instance solved.
    method
        Method name (``milp-paper``, ``cg-bprr``, ...).
    status
        See :class:`Status`; ``optimal`` only when the solver proved it.
    solution
        Placement + routes, or ``None``.
    evaluation
        The evaluator's verdict on ``solution`` (``None`` without solution).
    bound
        A proven lower bound on the optimal ``avg_per_token_ms``, or ``None``.
    runtime_s
        Wall-clock seconds of the method.
    solver
        Underlying optimisation solver name, if any.
    message
        Human-readable detail (solver termination text, infeasibility reason).
    stats
        Method-specific numbers (node count, Theorem 3.5 bound, ...).
    """

    instance: Instance = field(repr=False, compare=False)
    method: str
    status: Status
    solution: Solution | None
    evaluation: Evaluation | None
    bound: float | None
    runtime_s: float
    solver: str | None = None
    message: str = ""
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        """Evaluated ``avg_per_token_ms`` of the solution (None if none)."""
        if self.evaluation is None:
            return None
        return self.evaluation.avg_per_token_ms

    @property
    def total_ms(self) -> float | None:
        """Evaluated objective (13a) ``l_max |R| avg_per_token_ms`` (None if none)."""
        return None if self.evaluation is None else self.evaluation.total_ms

    @property
    def gap(self) -> float | None:
        """``(value - bound) / value``; ``None`` without value or bound."""
        v, b = self.value, self.bound
        if v is None or b is None or not math.isfinite(b):
            return None
        if v == 0:
            return 0.0 if b >= 0 else None
        return max(0.0, (v - b) / v)

    def is_feasible(self) -> bool:
        """Whether the evaluator accepts the solution (False without one)."""
        return self.evaluation is not None and self.evaluation.feasible

    def cost(self) -> float:
        """Value of a feasible solution, else ``inf``."""
        return self.evaluation.cost() if self.evaluation else math.inf

    def to_dict(self) -> dict[str, Any]:
        """Return the ``bprr-result/1`` document."""
        doc: dict[str, Any] = {
            "format": RESULT_FORMAT,
            "instance": self.instance.name,
            "method": self.method,
            "solver": self.solver,
            "status": self.status.value,
            "avg_per_token_ms": _num(self.value),
            "total_ms": _num(self.total_ms),
            "bound_avg_per_token_ms": _num(self.bound),
            "gap": _num(self.gap),
            "runtime_s": self.runtime_s,
        }
        if self.evaluation is not None:
            doc["feasible"] = self.evaluation.feasible
            doc["violations"] = [v.message for v in self.evaluation.violations]
            if self.evaluation.avg_prefill_ms is not None:
                doc["avg_prefill_ms"] = self.evaluation.avg_prefill_ms
        if self.message:
            doc["message"] = self.message
        if self.stats:
            doc["stats"] = {k: _jsonable(v) for k, v in self.stats.items()}
        if self.solution is not None:
            doc.update(solution_to_dict(self.instance, self.solution))
        else:
            doc["placement"] = []
            doc["routes"] = []
        return doc

    def to_json(self) -> str:
        """The ``bprr-result/1`` document as JSON text."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"

    def summary(self) -> str:
        """Fixed-width one-result table (INFEASIBLE rather than a number)."""
        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.6f}"
        if self.evaluation is not None and not self.evaluation.feasible:
            val = "INFEASIBLE"
        else:
            val = f(self.value)
        gap = "-" if self.gap is None else f"{100 * self.gap:.3f}%"
        rows = [
            ("instance", self.instance.name),
            ("method", self.method + (f" ({self.solver})" if self.solver else "")),
            ("status", self.status.value),
            ("avg_per_token_ms", val),
            ("total_ms", f(self.total_ms)),
            ("bound_avg_per_token_ms", f(self.bound)),
            ("gap", gap),
            ("runtime_s", f"{self.runtime_s:.4g}"),
        ]
        if self.message:
            rows.append(("message", self.message))
        for k, v in self.stats.items():
            if isinstance(v, (int, float, str)) or v is None:
                rows.append((k, f"{v:.6f}" if isinstance(v, float) else str(v)))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)

    def __str__(self) -> str:
        return self.summary()


def _num(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return float(x)


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


def build_result(instance: Instance, solution: Solution | None, *,
                 method: str, status: Status | str | None,
                 runtime_s: float, solver: str | None = None,
                 bound: float | None = None,
                 solver_objective: float | None = None,
                 message: str = "", stats: Mapping[str, Any] | None = None,
                 allow_unused: bool = True) -> Result:
    """Evaluate ``solution`` and package a :class:`Result`.

    Parameters
    ----------
    status
        The method's claim; ``None`` lets the evaluator decide between
        ``feasible`` and ``infeasible`` (heuristics prove nothing more).
    solver_objective
        The solver's own objective **in avg_per_token_ms units**; it must
        match the evaluator to ``REL_TOL`` relative.
    bound
        Proven lower bound on the optimal ``avg_per_token_ms``.

    Raises
    ------
    EvaluatorMismatchError
        If the claims and the evaluator disagree (see module docstring).
    """
    evaluation = None
    if solution is None:
        status = Status.INFEASIBLE if status is None else Status(status)
        if status in (Status.OPTIMAL, Status.FEASIBLE):
            raise EvaluatorMismatchError(
                f"{method}: status {status.value} without a solution")
    else:
        evaluation = evaluate(instance, solution, allow_unused=allow_unused)
        if status is None:
            status = Status.FEASIBLE if evaluation.feasible \
                else Status.INFEASIBLE
        status = Status(status)
        if status in (Status.OPTIMAL, Status.FEASIBLE) and not evaluation.feasible:
            raise EvaluatorMismatchError(
                f"{method}: returned a solution the evaluator rejects: "
                f"{evaluation.violations[0].message}")
        value = evaluation.avg_per_token_ms
        if solver_objective is not None and evaluation.feasible:
            if rel_diff(solver_objective, value) > REL_TOL:
                raise EvaluatorMismatchError(
                    f"{method}: solver objective {solver_objective!r} != "
                    f"evaluated avg_per_token_ms {value!r}")
        if bound is not None and evaluation.feasible and math.isfinite(bound):
            if bound > value and rel_diff(bound, value) > REL_TOL:
                raise EvaluatorMismatchError(
                    f"{method}: lower bound {bound!r} exceeds the evaluated "
                    f"value {value!r} of a feasible solution")
    return Result(instance=instance, method=method, status=status,
                  solution=solution, evaluation=evaluation, bound=bound,
                  runtime_s=float(runtime_s), solver=solver, message=message,
                  stats=dict(stats or {}))

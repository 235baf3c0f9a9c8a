"""Exception hierarchy of bprr-opt (networkx style: one root, typed leaves)."""

from __future__ import annotations

__all__ = [
    "BprrError",
    "EvaluatorMismatchError",
    "InfeasibleError",
    "InstanceError",
    "SolutionError",
    "SolverUnavailableError",
]


class BprrError(Exception):
    """Root of every error raised on purpose by bprr-opt."""


class InstanceError(BprrError, ValueError):
    """Malformed instance; the message is one line naming field and value."""


class SolutionError(BprrError, ValueError):
    """Malformed solution document (unknown server, bad count type, ...).

    A well-formed but infeasible solution is *not* an error: the evaluator
    reports it through :class:`~bprr_opt.evaluate.Evaluation`.
    """


class InfeasibleError(BprrError):
    """An algorithm cannot produce a feasible solution for this instance."""


class SolverUnavailableError(BprrError):
    """The requested optimisation solver is not installed or not licensed."""


class EvaluatorMismatchError(BprrError):
    """A solver's own objective disagrees with the evaluator: always a bug."""

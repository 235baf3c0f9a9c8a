"""bprr-opt: joint block placement and request routing for distributed LLM inference.

The core is three objects kept apart (PyVRP style): an immutable
:class:`Instance`, a plain :class:`Solution` (placement + routes), and
:func:`evaluate`, the only code that decides feasibility and cost.  Every
method returns a :class:`Result` built by :func:`build_result`, which re-checks
the solution with the evaluator.
"""

from .errors import (
                     BprrError,
                     EvaluatorMismatchError,
                     InfeasibleError,
                     InstanceError,
                     SolutionError,
                     SolverUnavailableError,
)
from .evaluate import Evaluation, RouteCost, Violation, ViolationKind, evaluate
from .instance import (
                     Client,
                     Instance,
                     InstanceArrays,
                     Server,
                     instance_from_dict,
                     instance_to_dict,
                     load_instance,
                     save_instance,
)
from .params import SolveParams
from .result import Result, Status, build_result
from .solution import (
                     Placement,
                     Route,
                     Solution,
                     load_solution,
                     save_solution,
                     solution_from_dict,
                     solution_to_dict,
)
from .solve import available_methods, solve

from ._version import __version__

__all__ = [
                     "BprrError",
                     "Client",
                     "Evaluation",
                     "EvaluatorMismatchError",
                     "InfeasibleError",
                     "Instance",
                     "InstanceArrays",
                     "InstanceError",
                     "Placement",
                     "Result",
                     "Route",
                     "RouteCost",
                     "Server",
                     "Solution",
                     "SolutionError",
                     "SolveParams",
                     "SolverUnavailableError",
                     "Status",
                     "Violation",
                     "ViolationKind",
                     "__version__",
                     "available_methods",
                     "build_result",
                     "evaluate",
                     "instance_from_dict",
                     "instance_to_dict",
                     "load_instance",
                     "load_solution",
                     "save_instance",
                     "save_solution",
                     "solution_from_dict",
                     "solution_to_dict",
                     "solve",
]

"""Parameters shared by every method, and the modes they carry."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .backends import SolverOptions
from .solution import Solution

if TYPE_CHECKING:  # annotations only: result is a sibling core module
    from .result import Result

__all__ = ["Engine", "MethodStart", "SolveParams"]


class Engine(StrEnum):
    """Which implementation of a twin-implemented algorithm runs.

    CG-BPRR and the online simulator each have a compiled (Numba) version
    and a plain-Python reference that give identical output.
    """

    NUMBA = "numba"
    REFERENCE = "reference"


@dataclass(frozen=True)
class MethodStart:
    """A warm start taken from another method's solution.

    :func:`bprr_opt.solve.solve` turns a method name in
    ``SolveParams.warm_start`` into this record, so that the methods that
    start from it (exact formulations, local search) run that method
    through ``run`` -- with the parameters they choose, e.g. a local
    search's remaining time -- without importing the method registry.

    Attributes
    ----------
    method
        The method's name (``"cg-bprr"``).
    run
        ``run(params) -> Result``: that method on the same instance.
    """

    method: str
    run: Callable[[SolveParams], Result]


@dataclass(frozen=True)
class SolveParams:
    """Options of one solve; each method reads the ones that apply to it.

    Attributes
    ----------
    solver
        Pyomo solver name for exact methods (``highs``, ``gurobi``, ``cbc``,
        ``glpk``, ``scip``, ...).  Default ``"highs"``.
    time_limit
        Wall-clock limit in seconds, or ``None``.  Hitting it is not an error.
    mip_gap
        Relative MIP gap at which the solver may stop, or ``None`` (solver
        default).
    threads
        Solver threads, or ``None`` (solver default).
    seed
        Seed for every random choice.  Default 0.
    r_design
        CG-BPRR's design number of concurrent requests; ``None`` means ``|R|``.
    warm_start
        A solution to start from (MILP MIP start, local search start), or
        the name of a method whose solution to start from (``"cg-bprr"``;
        :func:`bprr_opt.solve.solve` resolves it into a
        :class:`MethodStart`).
    allow_unused
        Allow servers to host no block (off by default, as in the paper).
    verbose
        Stream the solver log.
    """

    solver: str = "highs"
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    seed: int = 0
    r_design: int | None = None
    warm_start: Solution | str | MethodStart | None = None
    allow_unused: bool = False
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.time_limit is not None and not (
            self.time_limit > 0 and math.isfinite(self.time_limit)
        ):
            raise ValueError(
                f"time_limit: must be > 0 seconds, got {self.time_limit!r}")
        if self.mip_gap is not None and not 0 <= self.mip_gap < 1:
            raise ValueError(f"mip_gap: must be in [0, 1), got {self.mip_gap!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads: must be >= 1, got {self.threads!r}")
        if self.r_design is not None and self.r_design < 1:
            raise ValueError(f"r_design: must be >= 1, got {self.r_design!r}")

    def solver_options(self) -> SolverOptions:
        """The solver plug's options: solver, limits, threads, seed, verbosity."""
        return SolverOptions(solver=self.solver, time_limit=self.time_limit,
                             mip_gap=self.mip_gap, threads=self.threads,
                             seed=self.seed, verbose=self.verbose)

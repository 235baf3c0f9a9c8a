"""Warm starts for the exact formulations: a given solution or a method's.

``SolveParams.warm_start`` is either a :class:`~bprr_opt.solution.Solution`
(e.g. read from a file) or the name of a registered method (``"cg-bprr"``,
``"cg-bprr-ls"``) whose solution is computed first.  A method that finds no
feasible solution simply gives no warm start; the note says so.
"""

from __future__ import annotations

import dataclasses

from ..instance import Instance
from ..params import SolveParams
from ..solution import Solution

__all__ = ["warm_start_solution"]


def warm_start_solution(instance: Instance, params: SolveParams
                       ) -> tuple[Solution | None, list[str]]:
    """Return the warm-start solution asked for by ``params`` and notes.

    Raises
    ------
    BprrError
        If ``params.warm_start`` names an unknown method.
    """
    ws = params.warm_start
    if ws is None or isinstance(ws, Solution):
        return ws, []
    from ..solve import solve

    inner = dataclasses.replace(params, warm_start=None, verbose=False)
    res = solve(instance, ws, inner)
    if res.is_feasible():
        return res.solution, [f"warm start: {ws} solution, "
                              f"avg_per_token_ms {res.value:.9g}"]
    return None, [f"warm start: {ws} found no feasible solution "
                  f"({res.status.value}); solved without"]

"""Warm starts for the exact formulations: a given solution or a method's.

``SolveParams.warm_start`` is either a :class:`~bprr_opt.solution.Solution`
(e.g. read from a file) or, once :func:`bprr_opt.solve.solve` has resolved a
method name (``"cg-bprr"``, ``"cg-bprr-ls"``), a
:class:`~bprr_opt.params.MethodStart` whose method is run here first.  A
method that finds no feasible solution simply gives no warm start; the note
says so.
"""

from __future__ import annotations

import dataclasses

from ..errors import BprrError
from ..instance import Instance
from ..params import MethodStart, SolveParams
from ..solution import Solution

__all__ = ["warm_start_solution"]


def warm_start_solution(instance: Instance, params: SolveParams
                       ) -> tuple[Solution | None, list[str]]:
    """Return the warm-start solution asked for by ``params`` and notes.

    A :class:`~bprr_opt.params.MethodStart` runs its method with ``params``
    (no warm start of its own, no solver log).

    Raises
    ------
    BprrError
        If ``params.warm_start`` is a method name that
        :func:`bprr_opt.solve.solve` has not resolved (a method called
        directly), or its method fails.
    """
    ws = params.warm_start
    if ws is None or isinstance(ws, Solution):
        return ws, []
    if not isinstance(ws, MethodStart):
        raise BprrError(
            f"warm_start: a method name ({ws!r}) is resolved by "
            "bprr_opt.solve.solve(instance, method, params); call the method "
            "through it")
    inner = dataclasses.replace(params, warm_start=None, verbose=False)
    res = ws.run(inner)
    if res.is_feasible():
        return res.solution, [f"warm start: {ws.method} solution, "
                              f"avg_per_token_ms {res.value:.9g}"]
    return None, [f"warm start: {ws.method} found no feasible solution "
                  f"({res.status.value}); solved without"]

"""One calling convention for every method: ``solve(instance, method, params)``.

Methods are registered by name with the import path of their
``solve_<method>(instance, params) -> Result`` function, imported on first use
(so a missing optional dependency only affects the method that needs it).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

from .errors import BprrError
from .instance import Instance
from .params import SolveParams
from .result import Result

__all__ = ["METHODS", "available_methods", "get_method", "solve"]

# name -> "module:function"; every function has signature (instance, params).
METHODS: dict[str, str] = {
    "cg-bprr": "bprr_opt.heuristics.cg_bprr:solve_cg_bprr",
    "cg-bprr-ls": "bprr_opt.heuristics.local_search:solve_cg_bprr_ls",
    "milp-paper": "bprr_opt.exact.milp:solve_milp_paper",
    "milp-interval": "bprr_opt.exact.interval:solve_milp_interval",
    "petals": "bprr_opt.heuristics.petals:solve_petals",
    "petals-rr": "bprr_opt.heuristics.petals:solve_petals_rr",
    "rr-ilp": "bprr_opt.exact.rr_ilp:solve_rr_ilp_method",
}

Method = Callable[[Instance, SolveParams], Result]


def get_method(name: str) -> Method:
    """Return the solve function registered as ``name``.

    Raises
    ------
    BprrError
        If the name is unknown or its module is not part of this build.
    """
    if name not in METHODS:
        raise BprrError(
            f"method: unknown method {name!r} (choose from "
            f"{', '.join(sorted(METHODS))})")
    module, func = METHODS[name].split(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("bprr_opt"):
            raise BprrError(
                f"method: {name!r} is not available in this build") from None
        raise
    return getattr(mod, func)


def available_methods() -> list[str]:
    """Names of the registered methods whose modules exist."""
    out = []
    for name, target in METHODS.items():
        if importlib.util.find_spec(target.split(":")[0]) is not None:
            out.append(name)
    return out


def solve(instance: Instance, method: str = "cg-bprr",
          params: SolveParams | None = None) -> Result:
    """Solve ``instance`` with ``method`` and return a checked :class:`Result`."""
    return get_method(method)(instance, params or SolveParams())

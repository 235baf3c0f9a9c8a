"""Write the exact models as MPS or LP files for any external solver.

The file is written by Pyomo's own writers from the very model the solver
plug solves (:func:`bprr_opt.exact.milp.build_paper_model`, or with
``model="interval"`` :func:`bprr_opt.exact.interval.build_interval_model`,
whose objective has the same units), with symbolic names, so rows and
columns keep the paper's names: ``f(r_i_j)``,
``alpha(r_i_j)``, ``c_u_memory_13b(j)_``, ``c_e_flow_13c(r_v)_``, ...  The
objective is (13a) (``l_max`` times the sum of per-token times, no constant
term): divide a solver's optimum by ``l_max |R|`` to get
``avg_per_token_ms``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import BprrError
from ..instance import Instance
from ..fileio import atomic_write_text

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_MODELS",
    "export_model",
    "model_text",
    "write_pyomo_model",
]

EXPORT_FORMATS = ("mps", "lp")
EXPORT_MODELS = ("paper", "interval")


def _check_format(fmt: str) -> str:
    f = str(fmt).lower().lstrip(".")
    if f not in EXPORT_FORMATS:
        raise BprrError(
            f"format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    return f


def _build(instance: Instance, model: str, allow_unused: bool) -> Any:
    if model not in EXPORT_MODELS:
        raise BprrError(
            f"model: must be one of {', '.join(EXPORT_MODELS)}, got {model!r}")
    if model == "interval":
        from .interval import build_interval_model

        return build_interval_model(instance, allow_unused=allow_unused)
    from .milp import build_paper_model

    return build_paper_model(instance, allow_unused=allow_unused)


def write_pyomo_model(pyomo_model: Any, fmt: str) -> str:
    """Return the text of ``pyomo_model`` in ``fmt`` (``"mps"`` or ``"lp"``)."""
    from pyomo.opt import ProblemFormat

    fmt = _check_format(fmt)
    pformat = ProblemFormat.mps if fmt == "mps" else ProblemFormat.cpxlp
    fd, tmp = tempfile.mkstemp(suffix=f".{fmt}", prefix="bprr-export-")
    os.close(fd)
    try:
        pyomo_model.write(tmp, format=pformat,
                          io_options={"symbolic_solver_labels": True})
        return Path(tmp).read_text(encoding="utf-8")
    finally:
        os.unlink(tmp)


def model_text(instance: Instance, fmt: str = "mps", *, model: str = "paper",
               allow_unused: bool = False) -> str:
    """Return the MILP of ``instance`` as MPS or LP text.

    Parameters
    ----------
    instance
        The problem data.
    fmt
        ``"mps"`` (free MPS) or ``"lp"`` (CPLEX LP).  Default ``"mps"``.
    model
        Which formulation: ``"paper"`` (MILP (13)) or ``"interval"`` (the
        interval-flow MILP).  Default ``"paper"``.
    allow_unused
        Let ``m_j = 0``.  Default False (the paper).

    Raises
    ------
    BprrError
        On an unknown format or model name.
    """
    fmt = _check_format(fmt)
    return write_pyomo_model(_build(instance, model, allow_unused), fmt)


def export_model(instance: Instance, path: str | Path, fmt: str | None = None,
                 *, model: str = "paper", allow_unused: bool = False) -> str:
    """Write the MILP of ``instance`` to ``path``, atomically.

    Parameters
    ----------
    instance
        The problem data.
    path
        Output file; nothing is written if anything fails.
    fmt
        ``"mps"`` or ``"lp"``; ``None`` takes it from the suffix of ``path``.
    model, allow_unused
        As :func:`model_text`.

    Returns
    -------
    fmt : str
        The format written.

    Raises
    ------
    BprrError
        On an unknown format (or a suffix that names none) or model.
    """
    if fmt is None:
        suffix = Path(path).suffix.lstrip(".")
        if suffix.lower() not in EXPORT_FORMATS:
            raise BprrError(
                f"format: cannot tell the format from {str(path)!r}; "
                f"give one of {', '.join(EXPORT_FORMATS)}")
        fmt = suffix
    fmt = _check_format(fmt)
    text = model_text(instance, fmt, model=model, allow_unused=allow_unused)
    atomic_write_text(path, text)
    return fmt

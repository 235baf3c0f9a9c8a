"""LP-relaxation lower bounds: the paper's MILP (13) and the interval model.

``shared/spec/bprr-model.md`` §5.2.  Proof of validity, including the
dual-based certificate computed here: ``proofs/lower_bounds.md`` §4 (paper
model) and §5 (interval model).
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

import numpy as np

from ..errors import SolverUnavailableError
from ..exact.interval import build_interval_model
from ..exact.milp import build_paper_model
from ..instance import Instance
from ..numerics import memory_slack
from ._memory import chain_capacity

__all__ = ["interval_lp_bound", "paper_lp_bound", "paper_lp_cuts_bound"]


def paper_lp_cuts_bound(instance: Instance, *,
                        time_limit: float | None = None) -> float:
    """Return the LP relaxation of MILP (13) plus three valid inequalities.

    ``paper_lp_bound(instance, cuts=True, time_limit=time_limit)``; see
    there.  Never below :func:`paper_lp_bound` (a restriction of the same LP).
    """
    return paper_lp_bound(instance, cuts=True, time_limit=time_limit)


def paper_lp_bound(instance: Instance, *, cuts: bool = False,
                   time_limit: float | None = None) -> float:
    """Return the LP relaxation of MILP (13) as a bound on ``avg_per_token_ms``.

    Parameters
    ----------
    instance
        The problem data.
    cuts
        Add, for every request ``r`` and edge ``(i, j)`` into a server, with
        ``k = alpha - beta + gamma - delta`` (the blocks ``j`` processes):
        ``k >= f`` (a used hop processes a block), ``k <= K_j f`` (memory,
        ``K_j`` as in :func:`bprr_opt.bounds.chain_dp_bound`) and, per
        request, ``sum k = L`` -- all satisfied by every integer solution
        (``proofs/lower_bounds.md`` §4).  Without them the relaxation lets
        ``k`` go negative and its value is often below 0.  Default False
        (the paper's relaxation as is).
    time_limit
        Seconds HiGHS may spend on the LP; a bound is returned even when it
        stops early (Notes).  Default none.

    Returns
    -------
    bound : float
        A certified lower bound on the LP optimum of the paper's model
        (:func:`bprr_opt.exact.milp.build_paper_model` with
        ``allow_unused=True``, memory rows (13b) widened by the evaluator's
        slack), divided by ``l_max |R|``; ``0.0`` when ``|R| = 0`` or when
        HiGHS gives no usable duals (it never claims infeasibility: the
        combinatorial bounds decide that exactly).

    Raises
    ------
    SolverUnavailableError
        If ``highspy`` is not installed.

    See Also
    --------
    bprr_opt.exact.milp.solve_milp_paper : the MILP itself.

    Notes
    -----
    Every solution the evaluator accepts is a point of the model (with
    ``m_j = 0`` for unused servers and the exact products as auxiliaries),
    so the LP optimum is at most ``l_max |R| OPT``.  The model is written with
    Pyomo's LP writer, read into HiGHS with its integrality dropped, and
    solved; the value returned is the Lagrangian bound at HiGHS's row duals
    ``y`` (any ``y`` gives a valid bound: ``y^+ . l - y^- . u +
    sum_j min(d_j lo_j, d_j up_j)`` with ``d = c - A^T y`` over the
    variables' finite boxes), so solver tolerances and early stops cannot
    make it exceed the LP optimum.  The relaxation is weak (McCormick rows
    of binaries times block indices); it is here as the paper's reference
    point and is dominated by the chain-DP bound on most instances.  Size
    ``O(|R| |V_s|^2)`` columns.

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, MILP (13).
    """
    R = instance.num_requests
    if R == 0:
        return 0.0
    model = build_paper_model(instance, allow_unused=True)
    if cuts:
        _add_valid_inequalities(instance, model)
    return _certified_lp_bound(instance, model, model.memory_13b, time_limit)


def interval_lp_bound(instance: Instance, *,
                      time_limit: float | None = None) -> float:
    """Return the LP relaxation of the interval-flow MILP as a bound.

    Parameters
    ----------
    instance
        The problem data.
    time_limit
        Seconds HiGHS may spend on the LP.  Default none.

    Returns
    -------
    bound : float
        A certified lower bound (Lagrangian value at HiGHS's duals, as in
        :func:`paper_lp_bound`) on the LP optimum of
        :func:`bprr_opt.exact.interval.build_interval_model` with
        ``allow_unused=True`` and memory rows widened by the evaluator's
        slack, divided by ``l_max |R|``; ``0.0`` when ``|R| = 0``.

    Notes
    -----
    Every solution the evaluator accepts maps to a point of that model
    (``tests/beyond/test_interval.py``), so the LP optimum is at most
    ``l_max |R| OPT``.  The cumulative link rows make this relaxation much
    tighter than the paper's: on the authors' clustered 9-server x
    3-request case it equals the optimum.  Size ``O(|V_c| |V_s| L K)``
    columns with ``O(K)``-term link rows, ``K = max_j K_j``.
    """
    if instance.num_requests == 0:
        return 0.0
    model = build_interval_model(instance, allow_unused=True)
    return _certified_lp_bound(instance, model, model.memory, time_limit)


def _certified_lp_bound(instance: Instance, model: Any, memory_rows: Any,
                        time_limit: float | None) -> float:
    """Solve the LP relaxation of ``model`` and certify it from the duals."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy is a dependency
        raise SolverUnavailableError(
            "solver: the LP bounds need the highspy package") from None
    from pyomo.core.expr.numvalue import is_constant

    for j in memory_rows:  # (13b) with the evaluator's tolerance
        con = memory_rows[j]
        if is_constant(con.body):
            continue  # a trivial row (server with no usable column)
        cap = instance.servers[j].memory
        con.set_value((None, con.body, cap + memory_slack(cap)))
    h = highspy.Highs()
    h.silent()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.lp")
        model.write(path, io_options={"symbolic_solver_labels": False})
        h.readModel(path)
    lp = h.getLp()
    lp.integrality_ = []
    h.passModel(lp)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.run()
    value = _lagrangian_bound(h.getLp(), np.asarray(h.getSolution().row_dual))
    if not math.isfinite(value):
        return 0.0
    return max(value, 0.0) / (instance.l_max * instance.num_requests)


def _add_valid_inequalities(instance: Instance, model: Any) -> None:
    import pyomo.environ as pyo

    K = chain_capacity(instance)
    into = [(r, i, j) for r, i, j in model.RE if j in model.V_s]

    def k(r: int, i: Any, j: Any) -> Any:  # blocks processed at j
        return (model.alpha[r, i, j] - model.beta[r, i, j]
                + model.gamma[r, i, j] - model.delta[r, i, j])

    model.cut_hop_min = pyo.Constraint(
        into, rule=lambda mdl, r, i, j: k(r, i, j) >= mdl.f[r, i, j],
        doc="a used hop processes at least one block")
    model.cut_hop_max = pyo.Constraint(
        into, rule=lambda mdl, r, i, j: k(r, i, j) <= int(K[j]) * mdl.f[r, i, j],
        doc="k^r_j <= K_j (memory for one request)")
    by_request: dict[int, list[tuple[int, Any, Any]]] = {}
    for r, i, j in into:
        by_request.setdefault(r, []).append((r, i, j))
    model.cut_blocks = pyo.Constraint(
        model.R, rule=lambda mdl, r: sum(k(*e) for e in by_request[r])
        == instance.L, doc="a path processes exactly L blocks")


def _lagrangian_bound(lp: Any, y: np.ndarray) -> float:
    """``min c.x + offset`` over ``l <= A x <= u``, ``lo <= x <= up``, from below.

    For any ``y``: ``c.x >= (c - A^T y).x + y^+ . l - y^- . u`` on the
    feasible set; minimising the right side over the box gives the bound.
    Components of ``y`` that would multiply an infinite row bound are set to
    0, which keeps the bound valid.
    """
    if lp.sense_ != highspy_minimize():
        raise ValueError("lp: expected a minimisation")
    n, m = lp.num_col_, lp.num_row_
    if y.shape != (m,):
        return -math.inf
    lo_r = np.asarray(lp.row_lower_, dtype=np.float64)
    up_r = np.asarray(lp.row_upper_, dtype=np.float64)
    y = np.where(np.isfinite(y), y, 0.0)
    y = np.where((y > 0) & ~np.isfinite(lo_r), 0.0, y)
    y = np.where((y < 0) & ~np.isfinite(up_r), 0.0, y)
    A = lp.a_matrix_
    start = np.asarray(A.start_, dtype=np.int64)
    index = np.asarray(A.index_, dtype=np.int64)
    vals = np.asarray(A.value_, dtype=np.float64)
    if A.format_.name != "kColwise":
        raise ValueError("lp: expected a column-wise matrix")
    col_of = np.repeat(np.arange(n), np.diff(start))
    aty = np.bincount(col_of, weights=vals * y[index], minlength=n)
    d = np.asarray(lp.col_cost_, dtype=np.float64) - aty
    lo_c = np.asarray(lp.col_lower_, dtype=np.float64)
    up_c = np.asarray(lp.col_upper_, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        box = np.where(d > 0, d * lo_c, np.where(d < 0, d * up_c, 0.0))
    rows = np.where(y > 0, y * np.where(np.isfinite(lo_r), lo_r, 0.0),
                    y * np.where(np.isfinite(up_r), up_r, 0.0))
    return float(box.sum() + rows.sum() + lp.offset_)


def highspy_minimize() -> Any:
    """HiGHS's minimisation sense constant (imported on first use)."""
    import highspy

    return highspy.ObjSense.kMinimize

"""Tests of the solver plug (bprr_opt.backends): availability, status
mapping, objective scaling, limits, and the legacy Pyomo path."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from bprr_opt.backends import (
    SolverOptions,
    SolverRun,
    Termination,
    _Raw,
    _status,
    available_solvers,
    run_solver,
)
from bprr_opt.errors import SolverUnavailableError
from bprr_opt.exact.milp import build_paper_model
from bprr_opt.generators import clustered_instance
from bprr_opt.result import Status


def knapsack(capacity: float = 7.0) -> pyo.ConcreteModel:
    """max 5x + 4y + 3z s.t. 2x + 3y + z <= cap (as a minimisation)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([0, 1, 2], within=pyo.Binary)
    m.obj = pyo.Objective(expr=-(5 * m.x[0] + 4 * m.x[1] + 3 * m.x[2]))
    m.cap = pyo.Constraint(expr=2 * m.x[0] + 3 * m.x[1] + m.x[2] <= capacity)
    return m


def test_available_solvers_lists_highs():
    """Tests that HiGHS (a dependency) is always listed, first."""
    names = available_solvers()
    assert names[0] == "highs"
    assert len(set(names)) == len(names)


def test_milp_optimal_scaled():
    """Tests an optimal MILP run: status, values loaded into the model, and
    objective and bound divided by objective_scale."""
    m = knapsack()
    run = run_solver(m, objective_scale=2.0)
    assert isinstance(run, SolverRun)
    assert run.termination is Termination.OPTIMAL
    assert run.status is Status.OPTIMAL and run.has_solution
    assert run.objective == pytest.approx(-6.0)  # -12 / 2
    assert run.bound == pytest.approx(-6.0)
    assert run.gap == 0.0
    assert [round(m.x[i].value) for i in range(3)] == [1, 1, 1]
    assert "optimal" in run.message and run.stats["solver_version"]


def test_infeasible_and_lp():
    """Tests a proven infeasible model and a continuous LP (bound = value)."""
    m = knapsack()
    m.need = pyo.Constraint(expr=m.x[0] + m.x[1] + m.x[2] >= 4)
    run = run_solver(m)
    assert run.status is Status.INFEASIBLE and not run.has_solution
    assert run.objective is None
    lp = pyo.ConcreteModel()
    lp.x = pyo.Var(bounds=(0, 4))
    lp.y = pyo.Var(bounds=(0, 4))
    lp.obj = pyo.Objective(expr=-lp.x - 2 * lp.y)
    lp.c = pyo.Constraint(expr=lp.x + lp.y <= 5)
    run = run_solver(lp)
    assert run.status is Status.OPTIMAL
    assert run.objective == pytest.approx(-9.0)
    assert run.bound == pytest.approx(-9.0)


def test_unknown_solver_and_bad_scale():
    """Tests the one-line SolverUnavailableError and the objective_scale
    check."""
    with pytest.raises(SolverUnavailableError, match="not available") as exc:
        run_solver(knapsack(), SolverOptions(solver="no-such-solver"))
    assert "\n" not in str(exc.value)
    with pytest.raises(ValueError, match="objective_scale"):
        run_solver(knapsack(), objective_scale=0.0)


def test_legacy_pyomo_path_agrees():
    """Tests the legacy SolverFactory path (exercised through Pyomo's
    ``appsi_highs`` legacy wrapper) against the direct HiGHS backend."""
    ref = run_solver(knapsack(4.0))
    m = knapsack(4.0)
    run = run_solver(m, SolverOptions(solver="appsi_highs"))
    assert run.solver == "appsi_highs"
    assert run.status is Status.OPTIMAL
    assert run.objective == pytest.approx(ref.objective)
    assert [round(m.x[i].value) for i in range(3)] == [1, 0, 1]


def test_gurobi_backend():
    """Tests the Gurobi backend on a tiny model (skipped without gurobipy)."""
    if "gurobi" not in available_solvers():
        pytest.skip("gurobipy is not installed")
    try:
        run = run_solver(knapsack(), SolverOptions(solver="gurobi"))
    except SolverUnavailableError as exc:
        pytest.skip(f"gurobi licence refuses the model: {exc}")
    assert run.status is Status.OPTIMAL
    assert run.objective == pytest.approx(-12.0)


def test_gurobi_licence_limit_is_unavailable():
    """Tests that a model beyond Gurobi's size-limited pip licence raises
    SolverUnavailableError with one line (skipped with a full licence or
    without gurobipy)."""
    if "gurobi" not in available_solvers():
        pytest.skip("gurobipy is not installed")
    model = build_paper_model(clustered_instance())  # ~1400 cols, ~3800 rows
    try:
        run = run_solver(model, SolverOptions(solver="gurobi", time_limit=1.0))
    except SolverUnavailableError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("solver: gurobi")
        return
    pytest.skip(f"this Gurobi licence accepts the model ({run.status.value})")


def test_time_limit_status():
    """Tests that a run stopped by its time limit is not optimal and keeps
    the solver's bound."""
    model = build_paper_model(clustered_instance())
    run = run_solver(model, SolverOptions(time_limit=1.0, threads=1))
    assert run.termination is Termination.TIME_LIMIT
    assert run.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    assert run.bound is not None
    assert run.status is Status.FEASIBLE or run.objective is None


@pytest.mark.parametrize("raw, expected", [
    (_Raw(Termination.OPTIMAL, True, 10.0, 10.0, "", {}), Status.OPTIMAL),
    (_Raw(Termination.OPTIMAL, True, 10.0, 9.0, "", {}), Status.FEASIBLE),
    (_Raw(Termination.OPTIMAL, True, 1e6, 1e6 - 0.5, "", {}), Status.OPTIMAL),
    (_Raw(Termination.TIME_LIMIT, True, 10.0, 5.0, "", {}), Status.FEASIBLE),
    (_Raw(Termination.TIME_LIMIT, False, None, 5.0, "", {}),
     Status.NO_SOLUTION),
    (_Raw(Termination.ITERATION_LIMIT, False, None, None, "", {}),
     Status.NO_SOLUTION),
    (_Raw(Termination.INFEASIBLE, False, None, None, "", {}),
     Status.INFEASIBLE),
    (_Raw(Termination.INFEASIBLE_OR_UNBOUNDED, False, None, None, "", {}),
     Status.INFEASIBLE),
    (_Raw(Termination.ERROR, False, None, None, "", {}), Status.ERROR),
    (_Raw(Termination.UNKNOWN, True, 3.0, None, "", {}), Status.FEASIBLE),
])
def test_status_mapping(raw, expected):
    """Tests the honest status table: optimal only when proven and the gap
    is closed to 1e-6 relative; an incumbent at a limit is feasible; no
    incumbent at a limit is no_solution; infeasible-or-unbounded with all
    variables bounded is infeasible."""
    gap = None
    if raw.objective is not None and raw.bound is not None:
        gap = (raw.objective - raw.bound) / abs(raw.objective)
    assert _status(raw, knapsack(), gap)[0] is expected


def test_infeasible_or_unbounded_with_free_variable():
    """Tests that infeasible-or-unbounded is not called infeasible when a
    variable is unbounded (the model might be unbounded)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.obj = pyo.Objective(expr=m.x)
    raw = _Raw(Termination.INFEASIBLE_OR_UNBOUNDED, False, None, None, "", {})
    assert _status(raw, m, None)[0] is Status.ERROR


def test_thread_count_can_change_and_log_goes_to_stderr(capfd):
    """Tests that HiGHS runs with different thread counts in one process
    (its global pool is reset), and that the verbose log is written to
    stderr, leaving stdout to the caller."""
    for threads in (1, 2, 1):
        run = run_solver(knapsack(), SolverOptions(threads=threads))
        assert run.status is Status.OPTIMAL, run.message
    capfd.readouterr()
    run_solver(knapsack(), SolverOptions(verbose=True))
    out, err = capfd.readouterr()
    assert out == ""
    assert "HiGHS" in err


def test_verbose_cli_keeps_stdout_clean(tmp_path):
    """Tests, in a real process, that ``bprr solve --verbose --json`` prints
    the solver log on stderr and only the JSON result on stdout (Pyomo's
    HiGHS interface captures descriptors 1 and 2 while it solves; a
    regression once deadlocked here)."""
    import json
    import subprocess
    import sys

    from bprr_opt.generators import random_instance

    path = tmp_path / "inst.json"
    path.write_text(random_instance(2, 1, 1, 2, regime="loose", seed=1)
                    .to_json())
    proc = subprocess.run(
        [sys.executable, "-m", "bprr_opt", "solve", str(path), "--method",
         "milp-paper", "--verbose", "--json"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["status"] == "optimal"
    assert "HiGHS" in proc.stderr


def test_highs_presolve_bound_offset_is_verified():
    """Tests the HiGHS case where presolve solves the model and reports
    "optimal" with a dual bound missing its objective offset
    (ERGO-Code/HiGHS#2154; found by Hypothesis on this instance): the plug
    re-solves without presolve, so the optimum is proven with a bound of the
    solver's own, and says so in its stats."""
    from bprr_opt.instance import Client, Instance, Server

    inst = Instance(
        name="highs-offset", L=3, s_m=1.0, s_c=0.03542, l_max=1,
        servers=(Server("s0", 2.3641, 5.499), Server("s1", 1.9172, 16.224)),
        clients=(Client("c0", 2, (67.803, 74.462)),
                 Client("c1", 0, (28.162, 111.514))))
    model = build_paper_model(inst)
    run = run_solver(model, objective_scale=2.0)
    assert run.status is Status.OPTIMAL, run.message
    assert run.objective == pytest.approx(169.487, abs=1e-9)
    assert run.bound == pytest.approx(run.objective, rel=1e-9)

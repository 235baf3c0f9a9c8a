"""Tests of the offline method registry (bprr_opt.solve): every SolveParams
field a method lists in ``reads`` has its documented effect, and every field
it does not list leaves its result unchanged."""

from __future__ import annotations

import pytest

import bprr_opt.exact.interval
import bprr_opt.exact.milp
import bprr_opt.exact.rr_ilp
import bprr_opt.heuristics.local_search as ls
from bprr_opt.cli import main
from bprr_opt.errors import BprrError
from bprr_opt.generators import clustered_instance, random_instance
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.params import SolveParams
from bprr_opt.result import Status
from bprr_opt.solve import ALIASES, METHODS, solve

FIELDS = ("solver", "time_limit", "mip_gap", "threads", "seed", "r_design",
          "warm_start", "allow_unused", "verbose")
SOLVER_FIELDS = {"solver": "appsi_highs", "time_limit": 30.0,
                 "mip_gap": 0.25, "threads": 1, "seed": 17, "verbose": True}
# values that change a run when the field is read (vs SolveParams())
OTHER = {**SOLVER_FIELDS, "r_design": 1, "warm_start": "cg-bprr",
         "allow_unused": True, "solver": "no-such-solver"}

TINY = random_instance(3, 1, 2, L=4, regime="medium", seed=1)
# memory binds on PETALS' placement: the RR-ILP really runs
CROWDED = clustered_instance(requests=60)
# the local search needs the RR-ILP on this one (its shortest chains break
# memory)
TIGHT = random_instance(4, 2, 3, 6, regime="tight", seed=0)


def _small_server() -> Instance:
    """Two servers that fit everything and one that cannot hold a block."""
    servers = (Server("a", 10.0, 1.0), Server("b", 10.0, 2.0),
               Server("tiny", 0.5, 1.0))
    return Instance(name="small-server", L=2, s_m=1.0, s_c=0.1, l_max=1,
                    servers=servers,
                    clients=(Client("c0", 2, (1.0, 2.0, 3.0)),))


class _Stop(Exception):
    """Raised by the solver spy once it has seen the options."""


def _spy_solver(monkeypatch) -> list:
    seen = []

    def spy(model, options=None, **kwargs):
        seen.append((options, kwargs))
        raise _Stop

    for mod in (bprr_opt.exact.milp, bprr_opt.exact.interval,
                bprr_opt.exact.rr_ilp):
        monkeypatch.setattr(mod, "run_solver", spy)
    return seen


def _placement():
    return solve(TINY, "cg-bprr", SolveParams(allow_unused=True)).solution.placement


def _run(name: str, params: SolveParams, inst: Instance = TINY):
    if METHODS[name].needs_placement:
        pl = solve(inst, "petals-offline", SolveParams(
            seed=1, allow_unused=True)).solution.placement \
            if inst is CROWDED else _placement()
        return solve(inst, name, params, placement=pl)
    return solve(inst, name, params)


CASES = [(m, f) for m in METHODS for f in sorted(METHODS[m].reads)]


@pytest.mark.parametrize("name, field", CASES)
def test_read_field_has_its_effect(name, field, monkeypatch):
    """Tests that each field a method lists in ``reads`` does what the
    method's docstring says."""
    method = METHODS[name]
    if field in SOLVER_FIELDS and name in ("milp-paper", "milp-interval",
                                           "rr-ilp", "petals-offline-rr"):
        # the solver plug receives the value
        seen = _spy_solver(monkeypatch)
        inst = CROWDED if name in ("rr-ilp", "petals-offline-rr") else TINY
        with pytest.raises(_Stop):
            _run(name, SolveParams(**{field: SOLVER_FIELDS[field]}), inst)
        assert getattr(seen[0][0], field) == SOLVER_FIELDS[field]
        return
    if field == "allow_unused":
        # the paper's m_j >= 1: a server that cannot hold one block makes
        # the instance infeasible; allowed to stay empty, it is feasible
        inst = _small_server()
        strict = solve(inst, name, SolveParams())
        loose = solve(inst, name, SolveParams(allow_unused=True))
        assert strict.status is Status.INFEASIBLE
        assert loose.status in (Status.FEASIBLE, Status.OPTIMAL)
        if strict.evaluation is not None:
            assert strict.evaluation.violations[0].kind == "placement"
        return
    if field == "warm_start":
        res = _run(name, SolveParams(warm_start="cg-bprr"))
        if name == "cg-bprr-ls":
            assert "warm start (cg-bprr)" in res.stats["starts"]
        else:
            assert "warm start: cg-bprr" in res.message
        return
    if field == "r_design":
        res = _run(name, SolveParams(r_design=1))
        if name == "cg-bprr":
            assert res.stats["r_design"] == 1
        else:
            assert list(res.stats["starts"]) == ["cg-bprr R=1"]
        return
    if name == "cg-bprr-ls":
        if field == "time_limit":
            res = _run(name, SolveParams(time_limit=2.5))
            assert res.stats["time_limit_s"] == 2.5
        elif field == "seed":
            seeds = []
            search = ls._search

            def spy(*args, **kwargs):
                seeds.append(kwargs["seed"])
                return search(*args, **kwargs)

            monkeypatch.setattr(ls, "_search", spy)
            _run(name, SolveParams(seed=17))
            assert seeds and set(seeds) == {17}
        elif field == "solver":
            solvers = []
            rr = ls.solve_rr_ilp

            def spy_rr(inst, placement, params):
                solvers.append(params.solver)
                return rr(inst, placement, params)

            monkeypatch.setattr(ls, "solve_rr_ilp", spy_rr)
            res = _run(name, SolveParams(solver="highs", time_limit=5.0),
                       TIGHT)
            assert res.stats["ilp_calls"] > 0 and set(solvers) == {"highs"}
        else:
            pytest.fail(f"no check for {name}.{field}")
        return
    if field == "seed":  # PETALS' random join order
        a = _run(name, SolveParams(seed=1))
        b = _run(name, SolveParams(seed=2))
        assert a.stats["join_order"] != b.stats["join_order"]
        return
    pytest.fail(f"no check for {name}.{field} ({method.summary})")


def _outcome(res):
    sol = res.solution
    return (res.method, res.status, res.value, res.bound,
            None if sol is None else (sol.placement, sol.routes))


@pytest.mark.parametrize("name, field", [
    (m, f) for m in METHODS for f in FIELDS if f not in METHODS[m].reads])
def test_unread_field_changes_nothing(name, field):
    """Tests that a field a method does not list leaves its result (status,
    value, bound, solution) unchanged."""
    base = _run(name, SolveParams())
    other = _run(name, SolveParams(**{field: OTHER[field]}))
    assert _outcome(other) == _outcome(base)


def test_aliases_warn_and_name_the_new_method():
    """Tests that the deprecated PETALS names still work, warn, and give the
    result the new name."""
    for old, new in ALIASES.items():
        with pytest.warns(FutureWarning, match=f"use '{new}'"):
            res = solve(TINY, old, SolveParams(seed=3))
        assert res.method == new
        assert _outcome(res)[1:] == _outcome(solve(
            TINY, new, SolveParams(seed=3)))[1:]


def test_cli_lists_methods_and_warns_once(capsys, tmp_path):
    """Tests that ``bprr solve --help`` lists every registered method with its
    summary, and that a deprecated name gives one warning line on stderr
    and the new name in the JSON."""
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    out = capsys.readouterr().out
    for m in METHODS.values():
        assert m.name in out and m.summary in out
    path = tmp_path / "i.json"
    path.write_text(TINY.to_json())
    # exit 1: PETALS leaves a block of this instance uncovered
    assert main(["solve", str(path), "--method", "petals", "--json"]) == 1
    got = capsys.readouterr()
    assert got.err == ("warning: method: 'petals' is deprecated, use "
                       "'petals-offline'\n")
    assert '"method": "petals-offline"' in got.out


def test_rr_ilp_placement_argument(tmp_path, capsys):
    """Tests that rr-ilp takes its placement as an argument (Python and
    --placement), that the older --warm-start spelling gives the same
    result with one warning line, and that a placement is refused by the
    other methods."""
    pl = _placement()
    res = solve(TINY, "rr-ilp", placement=pl)
    assert res.solution.placement == pl
    with pytest.raises(BprrError, match="placement"):
        solve(TINY, "cg-bprr", placement=pl)
    from bprr_opt.solution import Solution, save_solution

    inst = tmp_path / "i.json"
    inst.write_text(TINY.to_json())
    sol = tmp_path / "s.json"
    save_solution(TINY, Solution(pl, res.solution.routes), sol)
    assert main(["solve", str(inst), "--method", "rr-ilp", "--placement",
                 str(sol), "--json"]) == 0
    new = capsys.readouterr()
    assert new.err == ""
    assert main(["solve", str(inst), "--method", "rr-ilp", "--warm-start",
                 str(sol), "--json"]) == 0
    old = capsys.readouterr()
    assert old.err.count("\n") == 1 and "--placement" in old.err
    assert _drop_runtime(old.out) == _drop_runtime(new.out)


def _drop_runtime(text: str) -> dict:
    import json

    doc = json.loads(text)
    doc.pop("runtime_s")
    return doc

"""Tests of the MPS/LP export (bprr_opt.exact.export, ``bprr export``)."""

from __future__ import annotations

import highspy
import pytest

from bprr_opt.cli import main
from bprr_opt.errors import BprrError
from bprr_opt.exact.export import export_model, model_text
from bprr_opt.exact.milp import build_paper_model, solve_milp_paper
from bprr_opt.generators import partition_instance, random_instance
from bprr_opt.params import SolveParams
from bprr_opt.result import Status

CASES = [random_instance(2, 1, 2, 3, regime="tight", seed=3),
         random_instance(3, 2, 1, 3, regime="medium", seed=5),
         random_instance(2, 2, 2, 2, regime="loose", seed=8),
         partition_instance([2, 4]),
         random_instance(2, 1, 3, 4, regime="tight", seed=0),
         random_instance(2, 1, 2, 3, regime="tight", seed=7)]  # infeasible


def _solve_file(path) -> tuple[str, float | None, int, int]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    status = h.getModelStatus()
    value = None
    if status == highspy.HighsModelStatus.kOptimal:
        value = h.getInfo().objective_function_value
    return (h.modelStatusToString(status), value, h.getNumCol(),
            h.getNumRow())


@pytest.mark.parametrize("fmt", ["mps", "lp"])
@pytest.mark.parametrize("inst", CASES, ids=lambda i: i.name)
def test_file_gives_the_same_optimum(inst, fmt, tmp_path):
    """Tests that HiGHS reading the exported file finds the optimum of the
    direct solve (objective (13a) = l_max |R| avg_per_token_ms), or proves
    infeasibility when the direct solve does, on the same columns and rows."""
    path = tmp_path / f"model.{fmt}"
    assert export_model(inst, path) == fmt
    status, value, ncol, nrow = _solve_file(path)
    model = build_paper_model(inst)
    assert (ncol, nrow) == (model.nvariables(), model.nconstraints())
    res = solve_milp_paper(inst, SolveParams())
    if res.status is Status.INFEASIBLE:
        assert status == "Infeasible"
        return
    assert res.status is Status.OPTIMAL
    assert value == pytest.approx(res.total_ms, rel=1e-6)


def test_names_follow_the_paper():
    """Tests that rows and columns keep the paper's names in both formats."""
    inst = CASES[0]
    for fmt in ("mps", "lp"):
        text = model_text(inst, fmt)
        for name in ("obj_13a", "memory_13b", "flow_13c", "range_13d",
                     "left_13e", "right_13f", "mc_alpha_lo", "f(0_S_0)",
                     "alpha(1_0_D)", "delta(0_1_0)"):
            assert name in text, (fmt, name)
    with pytest.raises(BprrError, match="format"):
        model_text(inst, "xls")


def test_cli_export(tmp_path, capsys):
    """Tests ``bprr export`` (format from --format or the suffix, stdout),
    and bad input: one line on stderr, exit 2, no file written."""
    inst = CASES[1]
    src = tmp_path / "inst.json"
    src.write_text(inst.to_json())
    assert main(["export", str(src), "--format", "mps", "-o",
                 str(tmp_path / "a.mps")]) == 0
    assert main(["export", str(src), "-o", str(tmp_path / "b.lp")]) == 0
    assert (tmp_path / "b.lp").read_text() == model_text(inst, "lp")
    assert (tmp_path / "a.mps").read_text() == model_text(inst, "mps")
    capsys.readouterr()
    assert main(["export", str(src), "--format", "lp"]) == 0
    assert capsys.readouterr().out == model_text(inst, "lp")
    for argv, target in (
            (["export", str(src), "-o", str(tmp_path / "c.txt")], "c.txt"),
            (["export", str(tmp_path / "missing.json"), "-o",
              str(tmp_path / "d.mps")], "d.mps")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1
        assert not (tmp_path / target).exists()
    bad = tmp_path / "bad.json"
    bad.write_text(inst.to_json().replace('"L": 3', '"L": 0'))
    assert main(["export", str(bad), "-o", str(tmp_path / "e.mps")]) == 2
    assert "L: must be >= 1" in capsys.readouterr().err
    assert not (tmp_path / "e.mps").exists()


@pytest.mark.parametrize("fmt", ["mps", "lp"])
@pytest.mark.parametrize("inst", CASES, ids=lambda i: i.name)
def test_interval_file_gives_the_same_optimum(inst, fmt, tmp_path):
    """Tests ``--model interval``: HiGHS reading the file finds the optimum
    of the paper's model (same objective units), or proves infeasibility
    when the direct solve does."""
    path = tmp_path / f"interval.{fmt}"
    assert export_model(inst, path, model="interval") == fmt
    status, value, _, _ = _solve_file(path)
    res = solve_milp_paper(inst, SolveParams())
    if res.status is Status.INFEASIBLE:
        assert status == "Infeasible"
        return
    assert value == pytest.approx(res.total_ms, rel=1e-6)

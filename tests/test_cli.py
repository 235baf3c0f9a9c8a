"""Tests of the ``bprr`` command line (core subcommands)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bprr_opt.cli import main
from bprr_opt.generators import random_instance
from bprr_opt.solution import Placement, Route, Solution, save_solution

from test_instance import MALFORMED, _base

ROOT = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, doc: dict, name: str = "inst.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


@pytest.mark.parametrize("mutate,message", MALFORMED)
def test_validate_malformed_exit_2(tmp_path, capsys, mutate, message):
    """Tests that `bprr validate` prints the exact one-line error, exit 2."""
    path = _write(tmp_path, mutate(copy.deepcopy(_base())))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {message}\n"


@pytest.mark.parametrize("mutate,message", MALFORMED[:5])
def test_evaluate_malformed_writes_nothing(tmp_path, capsys, mutate, message):
    """Tests that a bad instance leaves no output file behind."""
    path = _write(tmp_path, mutate(copy.deepcopy(_base())))
    sol = tmp_path / "sol.json"
    sol.write_text(json.dumps({"placement": [], "routes": []}))
    out = tmp_path / "out.json"
    assert main(["evaluate", str(path), str(sol), "-o", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not out.exists()


def test_missing_and_broken_files(tmp_path, capsys):
    """Tests file-level errors: missing file, invalid JSON."""
    assert main(["validate", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: not valid JSON (line 1")
    assert err.count("\n") == 1


def test_generate_validate_evaluate_flow(tmp_path, capsys):
    """Tests generate -> validate -> evaluate on a hand-made solution."""
    inst_path = tmp_path / "g.json"
    assert main(["generate", "random", "--servers", "2", "--requests", "1",
                 "--L", "3", "--regime", "loose", "--seed", "4",
                 "-o", str(inst_path)]) == 0
    assert inst_path.read_text() == random_instance(
        2, 1, 1, 3, regime="loose", seed=4).to_json()
    assert main(["validate", str(inst_path)]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    inst = random_instance(2, 1, 1, 3, regime="loose", seed=4)
    sol_path = tmp_path / "s.json"
    save_solution(inst, Solution(Placement((1, 0), (3, 0)), (Route(0, (0,), 1),)),
                  sol_path)
    out = tmp_path / "r.json"
    assert main(["evaluate", str(inst_path), str(sol_path), "--json",
                 "-o", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "bprr-result/1" and doc["feasible"] is True
    expected = inst.clients[0].rtt[0] + 3 * inst.servers[0].tau
    assert doc["avg_per_token_ms"] == pytest.approx(expected)
    assert json.loads(out.read_text()) == doc
    # the paper's m_j >= 1 convention flags the unused server: exit 1
    assert main(["evaluate", str(inst_path), str(sol_path),
                 "--require-all-used"]) == 1
    assert "INFEASIBLE" in capsys.readouterr().out


@pytest.mark.parametrize("doc,message", [
    ({"placement": [{"server": "zz", "first_block": 1, "num_blocks": 1}],
      "routes": []}, "placement[0].server: unknown server 'zz'"),
    ({"placement": [], "routes": [{"client": "c0", "count": "2",
                                   "servers": []}]},
     "routes[0].count: must be an integer, got '2'"),
    ({"placement": [], "routes": [{"client": "c9", "count": 1, "servers": []}]},
     "routes[0].client: unknown client 'c9'"),
    ({"routes": []}, "placement: must be a list, got None"),
])
def test_malformed_solution(tmp_path, capsys, doc, message):
    """Tests one-line errors for malformed solution documents."""
    inst_path = _write(tmp_path, _base())
    sol = _write(tmp_path, doc, "sol.json")
    out = tmp_path / "out.json"
    assert main(["evaluate", str(inst_path), str(sol), "-o", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not out.exists()


def test_generate_bad_arguments_write_nothing(tmp_path, capsys):
    """Tests that a rejected generator call leaves no file."""
    out = tmp_path / "g.json"
    assert main(["generate", "partition", "1", "2", "-o", str(out)]) == 2
    assert capsys.readouterr().err == "error: weights: sum must be even, got 3\n"
    assert not out.exists()


def test_real_process_exit_code(tmp_path):
    """Tests the exit code and stderr of a real `python -m bprr_opt` process."""
    doc = _base()
    doc["L"] = 0
    path = _write(tmp_path, doc)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "bprr_opt", "validate", str(path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "error: L: must be >= 1, got 0\n"
    assert proc.stdout == ""


@pytest.mark.parametrize("argv, message", [
    (["solve", "--method", "nope"],
     "error: bprr solve: argument --method: invalid choice: 'nope'"),
    (["simulate", "x.json", "--rate", "-1"],
     "error: bprr simulate: argument --rate: must be > 0, got -1"),
    (["generate", "random"],
     "error: bprr generate random: the following arguments are required: "
     "--seed"),
    ([], "error: bprr: the following arguments are required: COMMAND"),
])
def test_bad_arguments_one_line_exit_2(argv, message, capsys):
    """Tests that argument errors follow the package convention: one line
    on stderr naming the option and value, exit code 2, nothing on stdout."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith(message) and out.err.count("\n") == 1, out.err

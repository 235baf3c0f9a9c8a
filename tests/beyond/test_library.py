"""Tests of the instance library (bprr_opt.library, `bprr library`): the
shipped index verifies (the CI guard of instances/), and corrupted copies
fail with the right one-line error and exit code."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprr_opt.cli import main
from bprr_opt.evaluate import evaluate
from bprr_opt.generators import worst_case_instance
from bprr_opt.instance import load_instance
from bprr_opt.library import (
    STATUSES,
    file_sha256,
    load_index,
    partition_answer,
    verify_library,
)
from bprr_opt.solution import load_solution

LIBRARY = Path(__file__).resolve().parents[2] / "instances"


@pytest.fixture(scope="module")
def shipped_rows():
    return verify_library(LIBRARY)


def test_shipped_library_verifies(shipped_rows):
    """Tests that every entry of instances/index.json verifies: hashes,
    generator commands (byte for byte), stored solutions re-evaluated to the
    best-known values, bounds below values, statuses consistent."""
    problems = [p for r in shipped_rows for p in r.problems]
    assert problems == []
    assert 25 <= len(shipped_rows) <= 40
    families = {r.entry.family for r in shipped_rows}
    assert {"tiny-random", "small-random", "medium-random", "clustered",
            "topology", "partition", "worst-case"} <= families


def test_shipped_library_facts(shipped_rows):
    """Tests facts the index claims beyond its own consistency: every entry
    has a feasible stored solution; the tiny ones equal the brute-force
    optimum recorded at build time; the worst-case family is proven optimal
    at t + L tau; the authors' clustered case at 521.0786; both PARTITION
    answers occur."""
    by_name = {r.entry.name: r for r in shipped_rows}
    for r in shipped_rows:
        assert r.value is not None, r.entry.name
        assert r.entry.status in STATUSES
        if r.entry.family == "tiny-random":
            bf = r.entry.known_answer["brute_force_optimum"]
            assert r.value == pytest.approx(bf, rel=1e-9)
            assert r.entry.status == "proven_optimal"
        if r.entry.family == "worst-case":
            L = r.entry.size["L"]
            assert r.value == pytest.approx(10.0 + L, rel=1e-12)
            assert r.entry.status == "proven_optimal"
    assert by_name["clustered-9s-3r"].value == pytest.approx(521.0785714,
                                                             rel=1e-9)
    answers = {r.entry.known_answer["partition"] for r in shipped_rows
               if r.entry.family == "partition"}
    assert answers == {True, False}


def test_cli_verify_and_list(capsys):
    """Tests `bprr library verify` (exit 0, a table row per entry) and
    `bprr library list` on the shipped library."""
    n = len(load_index(LIBRARY))
    assert main(["library", "verify", "--dir", str(LIBRARY),
                 "--no-regenerate"]) == 0
    out = capsys.readouterr()
    assert f"{n} of {n} entries verified" in out.out
    assert out.err == ""
    assert main(["library", "list", "--dir", str(LIBRARY)]) == 0
    out = capsys.readouterr().out
    assert "clustered-9s-3r" in out and "proven_optimal" in out


# -- corrupted copies ---------------------------------------------------------

@pytest.fixture
def lib(tmp_path):
    dst = tmp_path / "lib"
    shutil.copytree(LIBRARY, dst)
    return dst


def _edit_index(lib: Path, name: str, **changes):
    path = lib / "index.json"
    doc = json.loads(path.read_text())
    entry = next(e for e in doc["instances"] if e["name"] == name)
    entry.update(changes)
    path.write_text(json.dumps(doc, indent=1))
    return entry


def _verify_cli(lib: Path, capsys, *extra) -> tuple[int, list[str]]:
    code = main(["library", "verify", "--dir", str(lib), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def test_verify_detects_changed_value(lib, capsys):
    """Tests that a best-known value that differs from the evaluated stored
    solution is reported for that entry only, exit code 1."""
    name = "clustered-9s-3r"
    _edit_index(lib, name, best_known=520.0, best_bound=520.0)
    code, err = _verify_cli(lib, capsys, "--no-regenerate")
    assert code == 1
    assert len(err) == 1
    assert err[0].startswith(f"error: {name}: stored solution evaluates to "
                             "521.07857")
    assert "index says best_known 520.0" in err[0]


def test_verify_detects_infeasible_solution(lib, capsys):
    """Tests that a stored solution the evaluator rejects (a route sent
    through a server that hosts no block) is reported."""
    name = "random-medium-n3-c1-r2-L4-s1"
    entry = next(e for e in load_index(lib) if e.name == name)
    sol_path = lib / entry.solution
    doc = json.loads(sol_path.read_text())
    doc["routes"][0]["count"] += 1  # one request too many
    sol_path.write_text(json.dumps(doc))
    code, err = _verify_cli(lib, capsys, "--no-regenerate")
    assert code == 1
    assert err == [f"error: {name}: stored solution is infeasible: client c0: "
                   "routes carry 3 requests, needs 2"]


def test_verify_detects_wrong_hash_and_bytes(lib, capsys):
    """Tests that an edited instance file fails both the hash check and the
    byte-for-byte regeneration by its generator command."""
    name = "partition-1-5-6"
    entry = next(e for e in load_index(lib) if e.name == name)
    path = lib / entry.file
    doc = json.loads(path.read_text())
    doc["clients"][0]["rtt"][0] = 2.0  # still a valid instance
    path.write_text(json.dumps(doc, indent=1) + "\n")
    code, err = _verify_cli(lib, capsys)
    assert code == 1
    assert any(e.startswith(f"error: {name}: instance file {entry.file} has "
                            "SHA-256 ") and "index says" in e for e in err)
    assert any(e.startswith(f"error: {name}: generator command does not "
                            "reproduce") for e in err)
    assert all(e.startswith(f"error: {name}: ") for e in err)


def test_verify_detects_bound_and_status_lies(lib, capsys):
    """Tests the index's own claims: a bound above the value, an open entry
    whose bound meets its value, and proven_optimal with a gap."""
    rows = {e.name: e for e in load_index(lib)}
    closed = next(e for e in rows.values() if e.status == "proven_optimal")
    _edit_index(lib, closed.name, best_bound=closed.best_known + 1.0)
    code, err = _verify_cli(lib, capsys, "--no-regenerate")
    assert code == 1
    assert err == [f"error: {closed.name}: best_bound "
                   f"{closed.best_known + 1.0!r} exceeds best_known "
                   f"{closed.best_known!r}",
                   f"error: {closed.name}: status proven_optimal but "
                   f"best_bound {closed.best_known + 1.0!r} does not meet "
                   f"best_known {closed.best_known!r}"]
    _edit_index(lib, closed.name, best_bound=closed.best_bound, status="open")
    code, err = _verify_cli(lib, capsys, "--no-regenerate")
    assert code == 1 and len(err) == 1
    assert "status open but best_bound" in err[0]


def test_verify_detects_wrong_partition_answer(lib, capsys):
    """Tests that a PARTITION answer contradicting the subset-sum DP is
    reported."""
    name = "partition-2-2-2-4"
    entry = next(e for e in load_index(lib) if e.name == name)
    _edit_index(lib, name, known_answer={**entry.known_answer,
                                         "partition": True})
    code, err = _verify_cli(lib, capsys, "--no-regenerate")
    assert code == 1
    assert err == [f"error: {name}: known_answer.partition: index says True, "
                   "subset-sum DP says False"]


def test_malformed_index_is_exit_2(lib, capsys):
    """Tests that a malformed index is one line on stderr, exit code 2."""
    doc = json.loads((lib / "index.json").read_text())
    doc["instances"][3]["status"] = "solved"
    (lib / "index.json").write_text(json.dumps(doc))
    code, err = _verify_cli(lib, capsys)
    assert code == 2
    assert err == ["error: instances[3].status: must be one of "
                   "proven_optimal, open, got 'solved'"]
    (lib / "index.json").write_text("{")
    code, err = _verify_cli(lib, capsys)
    assert code == 2 and len(err) == 1 and "not valid JSON" in err[0]


# -- the library's generators -------------------------------------------------

@settings(max_examples=100)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=8))
def test_partition_answer_matches_enumeration(weights):
    """Tests the subset-sum DP against enumerating every subset."""
    total = sum(weights)
    brute = total % 2 == 0 and any(
        2 * sum(c) == total for k in range(len(weights) + 1)
        for c in itertools.combinations(weights, k))
    assert partition_answer(weights) is brute


def test_library_generate_is_byte_stable(tmp_path, capsys):
    """Tests that `bprr library generate` writes the same bytes twice and
    that the worst-case instance has the family's shape."""
    paths = []
    for k in range(2):
        p = tmp_path / f"w{k}.json"
        assert main(["library", "generate", "worst-case", "--L", "3",
                     "-o", str(p)]) == 0
        paths.append(p)
    assert file_sha256(paths[0]) == file_sha256(paths[1])
    inst = load_instance(paths[0])
    assert inst == worst_case_instance(3)
    assert inst.num_servers == 9 and inst.num_requests == 9
    assert main(["library", "generate", "worst-case", "--L", "1"]) == 2
    assert "L: must be >= 2" in capsys.readouterr().err


def test_stored_solutions_are_solution_documents():
    """Tests that each stored solution is a bprr-solution/1 document of its
    instance (read by the package's own reader) and feasible."""
    for e in load_index(LIBRARY):
        doc = json.loads((LIBRARY / e.solution).read_text())
        assert doc["format"] == "bprr-solution/1"
        inst = load_instance(LIBRARY / e.file)
        assert evaluate(inst, load_solution(inst, LIBRARY / e.solution)
                        ).feasible


def test_generator_params_and_command_give_the_same_bytes(tmp_path):
    """Tests that every entry's structured generator (registry kind and
    params, what verify regenerates from) and its human command (run through
    the CLI) write the same bytes, those of the stored instance file."""
    import shlex

    from bprr_opt.generators import generate
    from bprr_opt.instance import instance_to_json

    for e in load_index(LIBRARY):
        if e.command is None:
            continue
        out = tmp_path / f"{e.name}.json"
        assert main([*shlex.split(e.command)[1:], "-o", str(out)]) == 0
        stored = (LIBRARY / e.file).read_bytes()
        assert out.read_bytes() == stored, e.name
        again = instance_to_json(generate(e.generator_kind,
                                          e.generator_params))
        assert again.encode("utf-8") == stored, e.name

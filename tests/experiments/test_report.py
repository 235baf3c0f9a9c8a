"""``bprr report``: per-configuration summary, gaps to best bounds, wins."""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict

import pytest
from sweep_helpers import frame, run_in_process, spec_doc

from bprr_opt.cli import main
from bprr_opt.experiments.report import (
    best_bounds,
    format_markdown,
    format_text,
    summarize,
)

ROWS = [
    {"inst": "A", "method": "m1", "value": 10.0, "bound": 8.0, "runtime": 1},
    {"inst": "A", "method": "m2", "value": 10.0, "runtime": 2},
    {"inst": "A", "method": "m3", "value": 12.0, "bound": 9.0, "runtime": 3},
    {"inst": "B", "method": "m1", "value": 20.0, "runtime": 3},
    {"inst": "B", "method": "m2", "status": "infeasible", "runtime": 4},
    {"inst": "B", "method": "m3", "value": 18.0, "bound": 15.0, "runtime": 5},
    {"inst": "C", "method": "m1", "status": "error", "runtime": 5},
    {"inst": "C", "method": "m2", "value": 5.0, "runtime": 6},
]


def _by_config(report):
    return {r.config: r for r in report.table.itertuples(index=False)}


def test_summary_by_hand():
    """Tests every column of the summary against a hand computation."""
    rep = summarize(frame(ROWS))
    assert (rep.n_rows, rep.n_instances, rep.warnings) == (8, 3, ())
    t = _by_config(rep)
    assert list(t) == ["m1", "m2", "m3"]
    # best bounds: A 9 (from m3, above m1's 8), B 15, C none
    assert (t["m1"].jobs, t["m1"].errors, t["m1"].feasible) == (3, 1, 2)
    assert t["m1"].mean_value == 15.0
    assert t["m1"].mean_gap_best_bound == pytest.approx((0.1 + 0.25) / 2)
    assert t["m1"].gap_runs == 2
    assert t["m2"].mean_value == 7.5
    assert t["m2"].mean_gap_best_bound == pytest.approx(0.1)  # C: no bound
    assert t["m2"].gap_runs == 1
    assert t["m3"].mean_gap_best_bound == pytest.approx((0.25 + 1 / 6) / 2)
    # wins: A tie m1/m2, B m3, C m2 (m1 failed there)
    assert (t["m1"].wins, t["m2"].wins, t["m3"].wins) == (1, 2, 1)
    assert t["m1"].mean_runtime_s == pytest.approx(3.0)
    assert t["m2"].mean_runtime_s == pytest.approx(4.0)


def test_ties_within_relative_tolerance():
    """Tests that values 1e-12 apart tie and values 1e-6 apart do not."""
    rows = [{"inst": "A", "method": "m1", "value": 10.0},
            {"inst": "A", "method": "m2", "value": 10.0 * (1 + 1e-12)},
            {"inst": "A", "method": "m3", "value": 10.0 * (1 + 1e-6)}]
    t = _by_config(summarize(frame(rows)))
    assert (t["m1"].wins, t["m2"].wins, t["m3"].wins) == (1, 1, 0)


def test_seeds_are_replications_not_configs():
    """Tests that seeds average into one configuration for wins."""
    rows = [{"inst": "A", "method": "m1", "value": 10.0, "seed": 0},
            {"inst": "A", "method": "m1", "value": 13.0, "seed": 1},
            {"inst": "A", "method": "m2", "value": 11.0}]
    t = _by_config(summarize(frame(rows)))
    assert list(t) == ["m1", "m2"]
    assert t["m1"].jobs == 2 and t["m1"].mean_value == 11.5
    assert (t["m1"].wins, t["m2"].wins) == (0, 1)


def test_bound_above_a_feasible_value_is_reported_not_hidden():
    """Tests that a cross-method bound/value contradiction is a warning."""
    rows = [{"inst": "D", "method": "m1", "value": 5.0},
            {"inst": "D", "method": "m3", "value": 7.0, "bound": 6.0},
            {"inst": "E", "method": "m1", "value": 3.0},
            {"inst": "E", "method": "m3", "status": "infeasible",
             "bound": math.inf}]
    assert best_bounds(frame(rows)) == {"D": 6.0, "E": math.inf}
    rep = summarize(frame(rows))
    t = _by_config(rep)
    assert t["m1"].mean_gap_best_bound == -math.inf
    assert len(rep.warnings) == 2
    assert all(w.startswith("m1: value") for w in rep.warnings)
    text = format_text(rep)
    assert "-inf%" in text and text.count("warning: ") == 2


def test_text_and_markdown_tables():
    """Tests the layouts: header, one line per configuration, alignment."""
    rep = summarize(frame(ROWS + [{"inst": "A", "method": "a|b",
                                   "value": 11.0}]))
    md = format_markdown(rep).splitlines()
    assert md[2].startswith("| config | jobs | errors | feasible |")
    assert md[3] == "|---|---:|---:|---:|---:|---:|---:|---:|"
    body = md[4:]
    assert len(body) == 4 and body[0].startswith("| a\\|b | 1 |")
    assert all(line.count(" | ") == 7 for line in body)
    text = format_text(rep).splitlines()
    assert text[2].split()[0] == "config"
    widths = {len(line) for line in text[2:]}
    assert len(widths) == 1  # fixed width
    assert "17.500% (2)" in format_text(rep)  # m1's mean gap


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """A store of real CG-BPRR and PETALS runs (in-process, no pool)."""
    path = tmp_path_factory.mktemp("report") / "real.db"
    return run_in_process(spec_doc(grid={"methods": ["cg-bprr", "petals"]}),
                          path)


def test_report_cli_on_real_store(real_store, capsys):
    """Tests ``bprr report``: counts and wins recomputed from the raw rows."""
    assert main(["report", str(real_store)]) == 0
    text = capsys.readouterr().out
    con = sqlite3.connect(real_store)
    rows = con.execute("SELECT instance_hash, method, value, feasible "
                       "FROM jobs").fetchall()
    con.close()
    best: dict[str, float] = {}
    for h, _, v, f in rows:
        if f:
            best[h] = min(best.get(h, math.inf), v)
    wins: dict[str, int] = defaultdict(int)
    feasible: dict[str, int] = defaultdict(int)
    for h, m, v, f in rows:
        if f:
            feasible[m] += 1
            wins[m] += v <= best[h] * (1 + 1e-9)
    for m in ("cg-bprr", "petals"):
        line = next(x for x in text.splitlines() if x.startswith(m + " "))
        cols = line.split()
        assert cols[1] == "12"  # jobs
        assert cols[3] == str(feasible[m])
        assert cols[-2] == str(wins[m])
    assert "24 runs on 12 instances" in text
    assert main(["report", str(real_store), "--markdown"]) == 0
    md = capsys.readouterr().out
    assert "| cg-bprr | 12 |" in md and "| petals | 12 |" in md


def test_report_missing_store(tmp_path, capsys):
    """Tests that a missing store is one error line, exit 2, no file made."""
    assert main(["report", str(tmp_path / "nope.db")]) == 2
    assert capsys.readouterr().err.strip() == \
        f"error: {tmp_path / 'nope.db'}: no such file"
    assert not (tmp_path / "nope.db").exists()

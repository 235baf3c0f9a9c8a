"""Results store and process-pool sweeps: idempotency, failures, export."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from sweep_helpers import die_on_petals, spec_doc, table, write_spec

from bprr_opt.cli import main
from bprr_opt.experiments import (
    ProcessPoolBackend,
    ResultStore,
    StoreError,
    expand_instances,
    expand_jobs,
    run_sweep,
    spec_from_dict,
)
from bprr_opt.experiments.jobs import failure_row
from bprr_opt.instance import instance_from_dict
from bprr_opt.params import SolveParams
from bprr_opt.solve import solve

MIXED = spec_doc(grid=[
    {"methods": ["cg-bprr", "petals"]},
    # a solver that is not installed: every such job fails, none stops
    {"methods": ["milp-paper"], "solvers": ["no-such-solver"]},
])


def _jobs(doc):
    spec = spec_from_dict(doc)
    items = expand_instances(spec)
    return items, expand_jobs(spec, items)


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory):
    """One process-pool sweep of MIXED (36 jobs), shared by several tests."""
    path = tmp_path_factory.mktemp("mixed") / "mixed.db"
    items, jobs = _jobs(MIXED)
    with ResultStore(path, create=True) as store:
        summary = run_sweep(jobs, store, ProcessPoolBackend(2),
                            instances=items)
    return path, items, jobs, summary


def test_every_job_stored_once_failures_recorded(mixed_store):
    """Tests that all jobs are stored, failures with their error text."""
    path, _, jobs, summary = mixed_store
    assert (summary.total, summary.skipped) == (36, 0)
    assert (summary.done, summary.failed) == (24, 12)
    rows = {r[0]: r for r in table(path, ("key", "method", "status", "error",
                                          "value", "feasible"))}
    assert set(rows) == {j.key for j in jobs}
    for key, method, status, error, value, feasible in rows.values():
        if method == "milp-paper":
            assert status == "error" and value is None and feasible is None
            assert error.startswith("SolverUnavailableError: solver: "
                                    "'no-such-solver'")
        else:
            assert error is None and status in ("feasible", "infeasible",
                                                "optimal", "no_solution")


def test_stored_values_are_the_evaluators(mixed_store):
    """Tests that each stored row equals an in-process solve of its instance."""
    path, items, jobs, _ = mixed_store
    texts = {i.hash: i.text for i in items}
    stored = {r["key"]: r for r in ResultStore(path).rows()}
    for job in jobs:
        if job.method == "milp-paper":
            continue
        inst = instance_from_dict(json.loads(texts[job.instance_hash]))
        res = solve(inst, job.method, SolveParams(**dict(job.options)))
        row = stored[job.key]
        assert row["status"] == res.status.value
        assert row["value"] == res.value
        assert row["feasible"] == (None if res.evaluation is None
                                   else int(res.is_feasible()))
        assert row["bound"] == res.bound
        if row["result"] is not None:
            doc = json.loads(row["result"])
            assert doc["avg_per_token_ms"] == res.value
            assert doc["status"] == res.status.value


def test_rerun_skips_everything_retry_reruns_errors(mixed_store):
    """Tests re-runs: all skipped; with ``retry_failed`` only errors re-run."""
    path, items, jobs, _ = mixed_store
    cols = ("key", "status", "started_at", "worker")
    before = table(path, cols)
    with ResultStore(path) as store:
        summary = run_sweep(jobs, store, ProcessPoolBackend(2),
                            instances=items)
        assert (summary.skipped, summary.done, summary.failed) == (36, 0, 0)
        assert table(path, cols) == before
        summary = run_sweep(jobs, store, ProcessPoolBackend(2),
                            instances=items, retry_failed=True)
    assert (summary.skipped, summary.done, summary.failed) == (24, 0, 12)
    after = {r[0]: r for r in table(path, cols)}
    assert len(after) == 36
    for row in before:
        if row[1] == "error":  # run again: a new start time
            assert after[row[0]][1] == "error"
            assert after[row[0]][2] != row[2]
        else:
            assert after[row[0]] == row


def test_dead_worker_is_recorded_and_others_complete(tmp_path):
    """Tests that a job killing its worker process fails alone."""
    doc = spec_doc(
        instances=[{"generator": "random",
                    "params": {"n_servers": 3, "requests": 1, "L": 4},
                    "seeds": [0]}],
        grid={"methods": ["cg-bprr", "petals"]})
    items, jobs = _jobs(doc)
    path = tmp_path / "d.db"
    with ResultStore(path, create=True) as store:
        summary = run_sweep(jobs, store,
                            ProcessPoolBackend(2, function=die_on_petals),
                            instances=items)
        rows = store.rows()
    assert (summary.done, summary.failed) == (1, 1)
    for r in rows:
        if r["method"] == "petals":
            assert r["status"] == "error"
            assert r["error"].startswith("WorkerDied:")
        else:
            assert r["error"] is None and r["status"] == "feasible"


def test_add_row_is_idempotent_and_durable(tmp_path):
    """Tests ON CONFLICT DO NOTHING and that rows survive reopening."""
    items, jobs = _jobs(spec_doc())
    path = tmp_path / "s.db"
    with ResultStore(path, create=True) as store:
        store.add_instances(items)
        store.add_instances(items)
        row = failure_row(jobs[0], "X: y")
        assert store.add_row(row) is True
        assert store.add_row(dict(row, error="Z: other")) is False
    with ResultStore(path) as store:
        assert store.count() == 1
        assert store.rows()[0]["error"] == "X: y"
        assert store.instance_json(jobs[0].instance_hash) == items[0].text
        with pytest.raises(StoreError, match="no instance with hash"):
            store.instance_json("0" * 64)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM instances").fetchone()[0] == 12
    con.close()


def test_refuses_files_that_are_not_stores(tmp_path):
    """Tests that missing, non-SQLite and foreign SQLite files are refused."""
    with pytest.raises(StoreError, match="no such file"):
        ResultStore(tmp_path / "none.db")
    with pytest.raises(StoreError, match="folder .* does not exist"):
        ResultStore(tmp_path / "no" / "x.db", create=True)
    text = tmp_path / "notes.db"
    text.write_text("hello, not a database\n")
    with pytest.raises(StoreError, match="not a bprr results store"):
        ResultStore(text, create=True)
    assert text.read_text() == "hello, not a database\n"
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a bprr results store"):
        ResultStore(other, create=True)
    con = sqlite3.connect(other)
    assert [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master")] == ["t"]
    con.close()


def test_export_csv_parquet_round_trip(mixed_store, tmp_path, capsys):
    """Tests CSV and Parquet export: same rows and values as the store."""
    path = mixed_store[0]
    ref = ResultStore(path).frame()
    for name in ("t.csv", "t.parquet"):
        out = tmp_path / name
        assert main(["report", str(path), "--export", str(out)]) == 0
        back = (pd.read_csv(out) if name.endswith("csv")
                else pd.read_parquet(out))
        assert list(back["key"]) == list(ref["key"])
        pd.testing.assert_series_equal(back["value"], ref["value"],
                                       check_names=False)
        assert list(back["status"]) == list(ref["status"])
        assert "result" not in back.columns
    capsys.readouterr()
    assert main(["report", str(path), "--export",
                 str(tmp_path / "t.xlsx")]) == 2
    assert "export: file must end in .csv or .parquet" in \
        capsys.readouterr().err
    assert not (tmp_path / "t.xlsx").exists()


def test_cli_sweep_exit_codes_and_summary(tmp_path, capsys):
    """Tests ``bprr sweep``: exit 1 when a job failed, counts printed."""
    doc = spec_doc(
        instances=[{"generator": "random",
                    "params": {"n_servers": 3, "requests": 1, "L": 4},
                    "seeds": [0]}],
        grid=[{"methods": ["cg-bprr"]},
              {"methods": ["milp-paper"], "solvers": ["no-such-solver"]}])
    spec = write_spec(tmp_path, doc)
    db = tmp_path / "c.db"
    args = ["sweep", str(spec), "--store", str(db), "--workers", "1",
            "--no-progress"]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "2 jobs: 1 done, 1 failed, 0 skipped" in out
    assert "failed milp-paper on random-" in err
    assert main(args) == 0  # nothing left to run, nothing failed now
    assert "0 done, 0 failed, 2 skipped" in capsys.readouterr().out
    assert len(table(db)) == 2


def test_rich_progress_counts(tmp_path):
    """Tests the progress bar text: done / failed / skipped and the total."""
    import io

    from rich.console import Console

    from bprr_opt.experiments.progress import RichProgress
    from bprr_opt.experiments.runner import SweepSummary

    _, jobs = _jobs(spec_doc())
    buf = io.StringIO()
    bar = RichProgress(Console(file=buf, force_terminal=True, width=150),
                       label="t")
    bar.on_start(total=5, skipped=1)
    ok = dict(failure_row(jobs[0], ""), status="feasible", error=None)
    bar.on_row(ok, True)
    bar.on_row(ok, True)
    bar.on_row(failure_row(jobs[1], "Boom: [red]x[/]"), True)
    bar.on_row(ok, False)
    bar.on_end(SweepSummary(5, 2, 2, 1, 0.1, "processes"))
    out = buf.getvalue()
    assert "2 done" in out and "1 failed" in out and "2 skipped" in out
    assert "4/4" in out  # 5 jobs, 1 skipped at start: 4 to run
    assert "Boom: [red]x[/]" in out  # error text printed verbatim

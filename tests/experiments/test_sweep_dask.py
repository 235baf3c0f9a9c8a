"""A sweep on a real Dask LocalCluster stores the same rows as the pool."""

from __future__ import annotations

from sweep_helpers import spec_doc, table, write_spec

from bprr_opt.cli import main
from bprr_opt.experiments.store import DETERMINISTIC_COLUMNS

# 12 instances x (cg-bprr, petals) x 2 r_designs = 48 jobs
DOC = spec_doc(grid={"methods": ["cg-bprr", "petals"],
                     "r_designs": [None, 4]})


def test_dask_local_cluster_matches_process_pool(tmp_path, capsys):
    """Tests ~50 jobs on ``--dask local`` against the process-pool run.

    Same keys and the same deterministic outputs (status, value, bound,
    gap, verdict, error); runtimes and hosts naturally differ.
    """
    spec = write_spec(tmp_path, DOC)
    pool_db, dask_db = tmp_path / "pool.db", tmp_path / "dask.db"
    assert main(["sweep", str(spec), "--store", str(pool_db),
                 "--workers", "2", "--no-progress"]) == 0
    assert main(["sweep", str(spec), "--store", str(dask_db), "--dask",
                 "local", "--workers", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "48 jobs: 48 done, 0 failed, 0 skipped" in out
    assert "on dask" in out and "on processes" in out
    pool, dask = table(pool_db), table(dask_db)
    assert len(pool) == 48
    assert dask == pool
    # the rows really came from different places
    workers = {r[0] for r in table(dask_db, ("worker",))}
    assert len(workers) >= 1
    assert {r[0] for r in table(pool_db, ("worker",))}.isdisjoint(workers)
    # several statuses are compared, not only one kind of row
    statuses = {r[DETERMINISTIC_COLUMNS.index("status")] for r in pool}
    assert "feasible" in statuses and len(statuses) >= 2


def test_existing_scheduler_by_address(tmp_path, capsys):
    """Tests ``--dask tcp://...``: jobs run on a cluster the sweep did not start.

    The cluster is left running by the sweep (it is not the sweep's to
    close) and the rows equal an in-process run of the same jobs.
    """
    from distributed import Client, LocalCluster
    from sweep_helpers import run_in_process

    doc = spec_doc(instances=[{
        "generator": "random",
        "params": {"n_servers": 8, "requests": 5, "L": 8},
        "seeds": [0, 1]}])
    spec = write_spec(tmp_path, doc)
    db = tmp_path / "remote.db"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:
        assert main(["sweep", str(spec), "--store", str(db), "--dask",
                     cluster.scheduler_address, "--no-progress"]) == 0
        with Client(cluster) as client:  # still up after the sweep
            assert client.submit(lambda: 41 + 1).result() == 42
    assert "2 jobs: 2 done" in capsys.readouterr().out
    ref = run_in_process(doc, tmp_path / "ref.db")
    assert table(db) == table(ref)


def test_unreachable_scheduler_writes_no_store(tmp_path, capsys):
    """Tests that a bad scheduler address is one line, exit 2, no store."""
    spec = write_spec(tmp_path, DOC)
    db = tmp_path / "x.db"
    assert main(["sweep", str(spec), "--store", str(db), "--dask",
                 "notanaddress::", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: dask: cannot connect to scheduler")
    assert err.count("\n") == 1
    assert not db.exists()

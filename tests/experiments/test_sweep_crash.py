"""Crash safety: SIGKILL a running sweep, restart it, lose and duplicate nothing."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from sweep_helpers import run_in_process, spec_doc, table, write_spec

from bprr_opt.experiments.store import DETERMINISTIC_COLUMNS

# 2 sizes x 2 regimes x 30 seeds = 120 instances, one CG-BPRR job each
DOC = spec_doc(name="crash", instances=[{
    "generator": "random",
    "params": {"n_servers": [10, 14], "n_clients": 2, "requests": 4, "L": 8,
               "regime": ["tight", "medium"]},
    "seeds": {"from": 0, "to": 29}}])
TOTAL = 120
KILL_AFTER = 8  # rows
SUMMARY = re.compile(r"(\d+) jobs: (\d+) done, (\d+) failed, (\d+) skipped")


def _command(spec, db):
    return [sys.executable, "-m", "bprr_opt", "sweep", str(spec), "--store",
            str(db), "--workers", "2", "--no-progress"]


def _count(db) -> int:
    """Rows in the store, 0 while it does not exist yet (read-only open)."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:  # schema not committed yet
        return 0


def _wait_group_gone(pgid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"processes of group {pgid} still alive after SIGKILL")


def _run(spec, db, cwd):
    done = subprocess.run(_command(spec, db), cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    m = SUMMARY.search(done.stdout)
    assert m, done.stdout
    return tuple(int(x) for x in m.groups())


def test_sigkill_mid_sweep_then_restart(tmp_path):
    """Tests that a SIGKILLed sweep, restarted, equals an uninterrupted one.

    Every row stored before the kill survives unchanged (same worker and
    start time: it is not run again), the restart runs exactly the missing
    jobs, no key appears twice, and the final deterministic table equals
    the one of an uninterrupted run.
    """
    spec = write_spec(tmp_path, DOC)
    ref_db, db = tmp_path / "ref.db", tmp_path / "crash.db"
    # the uninterrupted reference: every job run to the end in this process
    run_in_process(DOC, ref_db)
    assert len(table(ref_db)) == TOTAL

    # start the sweep in its own process group, kill the group mid-way
    proc = subprocess.Popen(_command(spec, db), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while _count(db) < KILL_AFTER:
            if proc.poll() is not None:
                pytest.fail(f"sweep ended (rc {proc.returncode}) before it "
                            f"could be killed; rows: {_count(db)}")
            if time.monotonic() > deadline:
                pytest.fail("no rows were stored within 300 s")
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    _wait_group_gone(proc.pid)

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    cols = (*DETERMINISTIC_COLUMNS, "worker", "started_at", "finished_at")
    before = table(db, cols)
    k = len(before)
    assert KILL_AFTER <= k < TOTAL, f"{k} rows at kill time"

    # restart: exactly the missing jobs run
    assert _run(spec, db, tmp_path) == (TOTAL, TOTAL - k, 0, k)
    after = table(db, cols)
    con = sqlite3.connect(db)
    n, distinct = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT key) FROM jobs").fetchone()
    con.close()
    assert n == distinct == TOTAL
    after_by_key = {r[0]: r for r in after}
    for row in before:
        assert after_by_key[row[0]] == row  # untouched, not re-run
    assert table(db) == table(ref_db)

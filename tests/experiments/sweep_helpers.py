"""Helpers shared by the experiments tests (importable by spawned workers)."""

from __future__ import annotations

import copy
import os
import sqlite3
from pathlib import Path
from typing import Any

import yaml

from bprr_opt.experiments.jobs import Job, run_job
from bprr_opt.experiments.store import DETERMINISTIC_COLUMNS

# 2 sizes x 2 regimes x 3 seeds = 12 small random instances, CG-BPRR.
# Sizes keep R n (n + 1) above bprr_opt.bounds.LP_PAPER_MAX_FLOWS, so
# CG-BPRR certifies with its millisecond bounds (no LP): fast jobs.
SMALL = {
    "name": "small",
    "instances": [{"generator": "random",
                   "params": {"n_servers": [8, 12], "requests": 5, "L": 8,
                              "regime": ["tight", "medium"]},
                   "seeds": {"from": 0, "to": 2}}],
    "grid": {"methods": ["cg-bprr"]},
}


def spec_doc(**changes: Any) -> dict[str, Any]:
    """A deep copy of SMALL with top-level keys replaced."""
    doc = copy.deepcopy(SMALL)
    doc.update(copy.deepcopy(changes))
    return doc


def write_spec(folder: Path, doc: Any, name: str = "spec.yaml") -> Path:
    path = Path(folder) / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def table(db: str | Path,
          columns: tuple[str, ...] = DETERMINISTIC_COLUMNS) -> list[tuple]:
    """The rows of a store (read with plain sqlite3), sorted by key."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(
            f"SELECT {', '.join(columns)} FROM jobs ORDER BY key").fetchall()
    finally:
        con.close()


def die_on_petals(job: Job) -> dict[str, Any]:
    """Worker function whose process dies on 'petals' jobs (tests only)."""
    if job.method == "petals":
        os._exit(13)
    return run_job(job)


def run_in_process(doc: dict[str, Any], path: str | Path) -> Path:
    """Store every job of ``doc`` run in this process (real results)."""
    from bprr_opt.experiments import (
        ResultStore,
        expand_instances,
        expand_jobs,
        spec_from_dict,
    )

    spec = spec_from_dict(doc)
    items = expand_instances(spec)
    with ResultStore(path, create=True) as store:
        store.add_instances(items)
        for job in expand_jobs(spec, items):
            store.add_row(run_job(job))
    return Path(path)


def frame(rows: list[dict[str, Any]]) -> Any:
    """A store-like DataFrame from short hand-made rows.

    Each row gives ``inst``, ``method`` and optionally ``value``, ``bound``,
    ``status`` (default feasible when a value is given), ``runtime``,
    ``solver``, ``params``, ``seed``, ``kind``.
    """
    import pandas as pd

    out = []
    for i, r in enumerate(rows):
        value = r.get("value")
        status = r.get("status", "feasible" if value is not None
                       else "infeasible")
        out.append({
            "key": f"k{i:04d}", "kind": r.get("kind", "solve"),
            "instance_hash": r["inst"], "instance_name": r["inst"],
            "method": r["method"], "solver": r.get("solver", "highs"),
            "params": r.get("params", "{}"), "seed": r.get("seed", 0),
            "rep": 0, "status": status, "value": value,
            "bound": r.get("bound"), "gap": None,
            "runtime_s": r.get("runtime", 1.0),
            "feasible": (None if status == "error" else
                         status in ("feasible", "optimal")),
        })
    return pd.DataFrame(out)

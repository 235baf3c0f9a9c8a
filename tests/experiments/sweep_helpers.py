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
SMALL = {
    "name": "small",
    "instances": [{"generator": "random",
                   "params": {"n_servers": [3, 5], "requests": 2, "L": 6,
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

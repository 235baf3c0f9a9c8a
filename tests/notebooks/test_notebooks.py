"""Execute every notebook in smoke mode and check the tables it produces;
check that the committed results come from a full run and are consistent.

The notebooks run in a kernel whose Python is this interpreter (a kernelspec
written for the test session), with ``BPRR_NOTEBOOK_SMOKE=1`` (3 replicates
of 20 requests per grid point) and ``BPRR_NOTEBOOK_RESULTS`` pointing to a
temporary folder, so the committed full-run results are never touched.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from bprr_opt.experiments import (
    KEYS,
    TABLE_METHODS,
    paired_reduction,
    servers_grid,
    summarize_runs,
    table3_grid,
    table6_grid,
)
from bprr_opt.scenario import Settings

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
RESULTS = NOTEBOOKS / "results"
KERNEL = "bprr-test-python"
SMOKE_RUNS = 3
FULL_RUNS = 50
# notebook -> (result name, grid it must cover)
EXPECTED = {
    "table3_clustered": ("table3", table3_grid()),
    "table6_topologies": ("table6", table6_grid()),
    "sweep_servers": ("sweep_servers", servers_grid()),
}


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec running ``sys.executable`` and the smoke environment."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "bprr test", "language": "python"}))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(root))
    mp.setenv("BPRR_NOTEBOOK_SMOKE", "1")
    assert KernelSpecManager().get_kernel_spec(KERNEL).argv[0] \
        == sys.executable
    yield
    mp.undo()


def test_the_notebooks_are_there():
    """Tests that the three notebooks exist, each with a first code cell
    tagged ``parameters`` that reads the smoke switch."""
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == sorted(EXPECTED)
    for name in names:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert "parameters" in first.metadata.get("tags", [])
        assert "BPRR_NOTEBOOK_SMOKE" in first.source
        assert "RUNS" in first.source and "REQUESTS" in first.source


def _check_summary(summary: pd.DataFrame, grid, runs: int) -> None:
    """Every (point, setting, method) has a finite positive per-token mean
    and a finite CI around it over ``runs`` replicates."""
    s = summary[summary["metric"] == "avg_per_token_ms"]
    for p in grid:
        for st in Settings:
            for m in TABLE_METHODS:
                sel = ((s["scenario"] == p.scenario)
                       & np.isclose(s["rate_per_ms"], p.rate_per_ms)
                       & (s["l_max"] == p.l_max) & (s["settings"] == st)
                       & (s["method"] == m))
                if p.n_servers is not None:
                    sel &= s["n_servers"] == p.n_servers
                rows = s[sel]
                assert len(rows) == 1, (p, st, m)
                r = rows.iloc[0]
                assert r["n"] == runs, (p, st, m)
                assert math.isfinite(r["mean"]) and r["mean"] > 0, (p, st, m)
                assert r["ci_lo"] <= r["mean"] <= r["ci_hi"], (p, st, m)
                assert math.isfinite(r["ci_hi"] - r["ci_lo"]), (p, st, m)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_in_smoke_mode(name, kernel_env, tmp_path,
                                     monkeypatch):
    """Tests that the notebook executes without error in smoke mode, shows
    a chart and markdown tables, and writes results covering its whole
    grid with finite positive per-token times for every method and
    setting."""
    monkeypatch.setenv("BPRR_NOTEBOOK_RESULTS", str(tmp_path))
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(nb, kernel_name=KERNEL, timeout=600,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    kinds = [k for c in nb.cells if c.cell_type == "code"
             for o in c.outputs for k in o.get("data", {})]
    assert "image/png" in kinds and "text/markdown" in kinds
    result, grid = EXPECTED[name]
    summary = pd.read_csv(tmp_path / f"{result}_summary.csv")
    _check_summary(summary, grid, SMOKE_RUNS)
    assert (tmp_path / f"{result}_runs.csv").stat().st_size > 0
    png = next(tmp_path.glob("*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_results_are_a_full_run(name):
    """Tests that the committed CSVs cover the grid with the full number of
    replicates and that their summary and reductions are recomputed
    exactly from the committed runs (so the README's numbers follow from
    the runs file)."""
    result, grid = EXPECTED[name]
    runs = pd.read_csv(RESULTS / f"{result}_runs.csv")
    summary = pd.read_csv(RESULTS / f"{result}_summary.csv")
    reduction = pd.read_csv(RESULTS / f"{result}_reduction.csv")
    _check_summary(summary, grid, FULL_RUNS)
    again = summarize_runs(runs, list(summary["metric"].unique()))
    # the runs file holds 10 significant digits: recomputed statistics
    # agree to 1e-6 (relative, or absolute in ms / in fractions)
    cols = ["n", "mean", "std", "ci_lo", "ci_hi"]
    np.testing.assert_allclose(again[cols].to_numpy(float),
                               summary[cols].to_numpy(float), rtol=1e-6,
                               atol=1e-6)
    red = paired_reduction(runs)
    np.testing.assert_allclose(
        red[["mean", "ci_lo", "ci_hi", "of_means"]].to_numpy(float),
        reduction[["mean", "ci_lo", "ci_hi", "of_means"]].to_numpy(float),
        rtol=1e-6, atol=1e-9)
    assert list(again[list(KEYS)].astype(str).itertuples(index=False)) == \
        list(summary[list(KEYS)].astype(str).itertuples(index=False))

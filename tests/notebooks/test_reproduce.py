"""Tests of the paper reproduction (bprr_opt.experiments: grids, replicates,
statistics, rendering, result files): grids, replicates, statistics, tables,
charts and result files used by the notebooks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.container import BarContainer
from scipy import stats

from bprr_opt.errors import BprrError, InfeasibleError
from bprr_opt.experiments import (
    KEYS,
    PROPOSED_A,
    TABLE_METHODS,
    GridPoint,
    ReplicateConfig,
    bar_chart,
    diagnostics,
    markdown_table,
    paired_reduction,
    run_grid,
    run_point,
    run_replicate,
    save_results,
    servers_grid,
    summarize_runs,
    sweep_chart,
    table3_grid,
    table6_grid,
)
from bprr_opt.generators import clustered_scenario, topology_scenario
from bprr_opt.online import allocation_aware_r, cg_bp, design_r

# t quantiles from a printed Student-t table
T975_1 = 12.706205
T975_4 = 2.776445


def _frame(cells):
    """A runs frame: ``cells`` maps (scenario, settings, method) to the
    per-token values of replicates 0, 1, ..."""
    rows = []
    for (sc, stt, m), values in cells.items():
        for r, v in enumerate(values):
            rows.append({"scenario": sc, "rate_per_ms": 5e-4, "l_max": 128,
                         "n_servers": 9, "settings": stt, "method": m,
                         "replicate": r, "avg_per_token_ms": v})
    return pd.DataFrame(rows)


def test_grids_match_the_paper_tables():
    """Tests that the Table III / VI grids are lambda x l_max (x graph) with
    the paper's values and the sweep has the authors' C values."""
    t3 = table3_grid()
    assert [(p.scenario, p.rate_per_ms, p.l_max) for p in t3] == [
        ("clustered", 1e-4, 64), ("clustered", 1e-4, 128),
        ("clustered", 5e-4, 64), ("clustered", 5e-4, 128)]
    t6 = table6_grid()
    assert len(t6) == 12
    assert {p.scenario for p in t6} == {"Abvt", "Bellcanada", "GtsCe"}
    assert {(p.rate_per_ms, p.l_max) for p in t6} == {
        (1e-4, 64), (1e-4, 128), (5e-4, 64), (5e-4, 128)}
    assert [p.n_servers for p in servers_grid()] == [6, 10, 15, 20, 22]


def test_summary_hand_computed():
    """Tests mean, sample std and t interval on fixed samples: [1..5] has
    mean 3, std sqrt(2.5), half-width t_{.975,4} sqrt(2.5)/sqrt(5); a
    constant sample has a zero-width interval; one value has none; NaN and
    inf values are left out."""
    df = _frame({("a", "authors", "petals"): [1, 2, 3, 4, 5],
                 ("a", "equal", "petals"): [10, 10, math.nan],
                 ("b", "authors", "petals"): [7, math.inf]})
    s = summarize_runs(df).set_index(["scenario", "settings"])
    r = s.loc[("a", "authors")]
    assert r["n"] == 5 and r["mean"] == 3.0
    assert r["std"] == pytest.approx(math.sqrt(2.5), rel=1e-12)
    half = T975_4 * math.sqrt(2.5) / math.sqrt(5)
    assert r["ci_lo"] == pytest.approx(3 - half, abs=1e-5)
    assert r["ci_hi"] == pytest.approx(3 + half, abs=1e-5)
    r = s.loc[("a", "equal")]
    assert (r["n"], r["mean"], r["std"], r["ci_lo"], r["ci_hi"]) == (
        2, 10.0, 0.0, 10.0, 10.0)
    r = s.loc[("b", "authors")]
    assert r["n"] == 1 and r["mean"] == 7.0
    assert math.isnan(r["std"]) and math.isnan(r["ci_lo"]) \
        and math.isnan(r["ci_hi"])


@settings(max_examples=60)
@given(st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=2,
                max_size=40),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_summary_interval_is_scipy_t_interval(values, level):
    """Tests that the interval equals scipy.stats.t.interval around the
    mean with the standard error, at any level, and contains the mean."""
    df = _frame({("a", "authors", "petals"): values})
    r = summarize_runs(df, level=level).iloc[0]
    x = np.asarray(values)
    assert r["mean"] == pytest.approx(x.mean(), rel=1e-12, abs=1e-9)
    sem = stats.sem(x)
    if sem == 0:
        assert r["ci_lo"] == r["ci_hi"] == pytest.approx(x.mean())
        return
    lo, hi = stats.t.interval(level, x.size - 1, loc=x.mean(), scale=sem)
    assert r["ci_lo"] == pytest.approx(lo, rel=1e-9, abs=1e-6)
    assert r["ci_hi"] == pytest.approx(hi, rel=1e-9, abs=1e-6)
    assert r["ci_lo"] <= r["mean"] <= r["ci_hi"]


def test_paired_reduction_hand_computed():
    """Tests the paired reduction: proposed [1, 3] vs PETALS [2, 4] gives
    per-replicate reductions [0.5, 0.25], mean 0.375, half-width
    t_{.975,1} 0.125, reduction of the means 1 - 2/3; a slower method has
    a negative reduction."""
    df = _frame({("a", "authors", "cg-bp+ws-rr"): [1, 3],
                 ("a", "authors", "petals"): [2, 4],
                 ("a", "authors", PROPOSED_A): [4, 8]})
    red = paired_reduction(df).set_index("method")
    r = red.loc["cg-bp+ws-rr"]
    assert r["n"] == 2 and r["mean"] == pytest.approx(0.375)
    assert r["ci_lo"] == pytest.approx(0.375 - T975_1 * 0.125, abs=1e-5)
    assert r["ci_hi"] == pytest.approx(0.375 + T975_1 * 0.125, abs=1e-5)
    assert r["of_means"] == pytest.approx(1 - 2 / 3)
    assert red.loc[PROPOSED_A, "mean"] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="no replicate"):
        paired_reduction(df, baseline="opt-rr")


def test_markdown_table_cells():
    """Tests the table text: seconds with the CI half-width, the reduction
    in percent with its CI (no "-0"), one row per grid point, only the
    chosen setting."""
    df = _frame({("a", "authors", "cg-bp+ws-rr"): [1000, 1000],
                 ("a", "authors", "petals"): [2000, 5000],
                 ("a", "equal", "cg-bp+ws-rr"): [1004, 1004],
                 ("a", "equal", "petals"): [1000, 1000]})
    text = markdown_table(summarize_runs(df), paired_reduction(df),
                          settings="authors",
                          methods=("cg-bp+ws-rr", "petals"))
    lines = text.strip().splitlines()
    assert len(lines) == 3
    assert "CG-BP + WS-RR (s)" in lines[0] and "PETALS (s)" in lines[0]
    # PETALS: mean 3.5 s, half-width t_{.975,1} * std([2, 5]) / sqrt(2)
    half = T975_1 * np.std([2, 5], ddof=1) / math.sqrt(2)
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[:4] == ["a", "9", "0.5", "128"]
    assert cells[4] == "1.00 ± 0.00"
    assert cells[5] == f"3.50 ± {half:.2f}"
    # reductions [0.5, 0.8]: mean 65 %, half-width t std([.5, .8]) / sqrt 2
    h = 100 * T975_1 * np.std([0.5, 0.8], ddof=1) / math.sqrt(2)
    assert cells[6] == f"65 % [{round(65 - h)}, {round(65 + h)}]"
    eq = markdown_table(summarize_runs(df), paired_reduction(df),
                        settings="equal", methods=("cg-bp+ws-rr", "petals"))
    # a -0.4 % reduction prints as 0, not -0
    assert "| 0 % [0, 0] |" in eq and "-0" not in eq and "3.50" not in eq


def test_charts_draw_the_summary():
    """Tests that bar heights and sweep points are the summary means (s)
    and error bars reach the CI bounds; one panel per scenario x
    setting."""
    df = _frame({("a", "authors", "cg-bp+ws-rr"): [1000, 1200],
                 ("a", "authors", "petals"): [3000, 3100],
                 ("a", "equal", "cg-bp+ws-rr"): [1000, 1200],
                 ("a", "equal", "petals"): [1500, 1700],
                 ("b", "authors", "cg-bp+ws-rr"): [900, 900],
                 ("b", "authors", "petals"): [2000, 2000],
                 ("b", "equal", "cg-bp+ws-rr"): [900, 900],
                 ("b", "equal", "petals"): [950, 951]})
    s = summarize_runs(df)
    methods = ("cg-bp+ws-rr", "petals")
    fig = bar_chart(s, methods=methods)
    axes = fig.axes
    assert len(axes) == 4
    expect = [[1.1, 3.05], [1.1, 1.6], [0.9, 2.0], [0.9, 0.9505]]
    for ax, heights in zip(axes, expect):
        got = [p.get_height() for p in ax.patches]
        np.testing.assert_allclose(got, heights, rtol=1e-12)
    # PETALS' error bar in panel (a, authors) spans its CI
    row = s[(s["scenario"] == "a") & (s["settings"] == "authors")
            & (s["method"] == "petals")].iloc[0]
    bars = [c for c in axes[0].containers if isinstance(c, BarContainer)]
    seg = bars[1].errorbar.lines[2][0].get_segments()[0]
    np.testing.assert_allclose(sorted(seg[:, 1]),
                               [row["ci_lo"] / 1e3, row["ci_hi"] / 1e3],
                               rtol=1e-12)
    # sweep: one point per scenario, here "n_servers" is constant, so use
    # a frame with two server counts
    df2 = df[df["scenario"] == "a"].copy()
    df3 = df2.assign(n_servers=12,
                     avg_per_token_ms=df2["avg_per_token_ms"] * 2)
    s2 = summarize_runs(pd.concat([df2, df3]))
    fig = sweep_chart(s2, methods=methods)
    ax = fig.axes[0]
    data = [c.lines[0] for c in ax.containers]   # one errorbar per method
    np.testing.assert_allclose(data[0].get_xdata(), [9, 12])
    np.testing.assert_allclose(data[0].get_ydata(), [1.1, 2.2])
    np.testing.assert_allclose(data[1].get_ydata(), [3.05, 6.1])


def test_run_point_uses_the_replicate_draws():
    """Tests that a scattered point's authors'-settings numbers are those
    of run_replicate with the same seed (same draw order: topology,
    arrivals, join order), and the records carry the point's keys."""
    p = GridPoint("Abvt", 5e-4, 128)
    recs = run_point(p, 7, requests=30, methods=("cg-bp+ws-rr", "petals"),
                     settings=("authors",))
    rep = run_replicate(ReplicateConfig(graph="Abvt", rate_per_ms=5e-4,
                                        requests=30, l_max=128),
                        ["cg-bp+ws-rr", "petals"], seed=7)
    for rec, m in zip(recs, rep.metrics):
        assert rec["method"] == m.method
        assert rec["avg_per_token_ms"] == m.avg_per_token_ms
        assert rec["avg_waiting_ms"] == m.avg_waiting_ms
        assert rec["max_concurrency"] == m.max_concurrency
        assert (rec["scenario"], rec["n_servers"], rec["n_a100"],
                rec["seed"]) == ("Abvt", 9, 2, 7)


def test_run_grid_is_deterministic_and_consistent(tmp_path):
    """Tests the runs frame: one row per (point, replicate, setting,
    method), seeds base + r, the same call gives the same frame and the same
    CSV bytes, the proposed methods are unaffected by the settings while
    PETALS' allocation delay drops to the proposed one, and every
    per-token time exceeds (D_0 + A) / l_max."""
    points = [table3_grid()[1], GridPoint("Bellcanada", 1e-4, 64)]
    kw = dict(requests=12, base_seed=5)
    runs = run_grid(points, 2, **kw)
    assert len(runs) == 2 * 2 * 2 * len(TABLE_METHODS)
    assert sorted(runs["seed"].unique()) == [5, 6]
    assert (runs["seed"] - runs["replicate"] == 5).all()
    pd.testing.assert_frame_equal(runs, run_grid(points, 2, **kw))
    a = save_results(tmp_path / "a", "t", runs, summarize_runs(runs),
                     paired_reduction(runs))
    b = save_results(tmp_path / "b", "t", run_grid(points, 2, **kw),
                     summarize_runs(runs), paired_reduction(runs))
    assert [p.name for p in a] == ["t_runs.csv", "t_summary.csv",
                                   "t_reduction.csv"]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()
    back = pd.read_csv(a[0])
    np.testing.assert_allclose(back["avg_per_token_ms"],
                               runs["avg_per_token_ms"], rtol=1e-9)
    by = list(KEYS) + ["replicate", "method"]
    auth = runs[runs["settings"] == "authors"].set_index(by)
    eq = runs[runs["settings"] == "equal"].set_index(by)
    for m in ("cg-bp+ws-rr", PROPOSED_A):
        pd.testing.assert_series_equal(
            auth.xs(m, level="method")["avg_per_token_ms"],
            eq.xs(m, level="method")["avg_per_token_ms"])
    assert (auth.xs("petals", level="method")["allocation_delay_ms"]
            == 250_000).all()
    assert (eq["allocation_delay_ms"] == 60_000).all()
    d0 = np.where(runs["scenario"] == "clustered", 100.0, 70.0)
    floor = (d0 + runs["allocation_delay_ms"]) / runs["l_max"]
    assert (runs["avg_per_token_ms"] > floor).all()
    # diagnostics: per-token minus A / l_max, with A = 250 s for PETALS
    # under the authors' settings and 60 s otherwise
    diag = diagnostics(runs)
    A = np.where((diag["settings"] == "authors")
                 & (diag["method"] == "petals"), 250_000.0, 60_000.0)
    np.testing.assert_allclose(diag["per_token_ms"] - diag["without_A_ms"],
                               A / diag["l_max"], rtol=1e-9)
    assert len(diag) == len(runs) // 2


def test_allocation_aware_design_load():
    """Tests the diagnostic design load: mu = lambda (T1 + A) with the
    authors' rounding (clustered scenario, hand-rounded), and with few
    servers it is lowered to the largest R for which CG-BP succeeds."""
    scen = clustered_scenario(10, 128)
    lam = 1e-4
    d = design_r(scen, lam)
    mu = lam * (d.T1_ms + 60_000)
    assert allocation_aware_r(scen, lam) == min(
        math.floor(mu + math.sqrt(mu) + 0.5), d.R_max)
    assert allocation_aware_r(scen, lam) > d.R
    # Abvt with 6 servers: R_max = 48 is not placeable, 47 is
    small = topology_scenario("Abvt", 6, 0.2, seed=44, l_max=128)
    d = design_r(small, 5e-4)
    r = allocation_aware_r(small, 5e-4)
    assert d.R < r < d.R_max
    cg_bp(small, r)
    for bad in range(r + 1, d.R_max + 1):
        with pytest.raises(InfeasibleError):
            cg_bp(small, bad)


@pytest.mark.parametrize("kwargs, match", [
    (dict(scenario="Nowhere", rate_per_ms=1e-4, l_max=64), "scenario"),
    (dict(scenario="Abvt", rate_per_ms=0.0, l_max=64), "rate_per_ms"),
    (dict(scenario="Abvt", rate_per_ms=1e-4, l_max=1), "l_max"),
    (dict(scenario="clustered", rate_per_ms=1e-4, l_max=64, n_servers=5),
     "n_servers"),
])
def test_grid_point_rejects_bad_values(kwargs, match):
    """Tests one-line errors naming the field for malformed grid points."""
    with pytest.raises(ValueError, match=match):
        GridPoint(**kwargs)


def test_run_grid_rejects_bad_arguments():
    """Tests errors for no runs, no points, unknown settings and methods,
    and a frame without the needed columns."""
    p = [table3_grid()[0]]
    with pytest.raises(ValueError, match="runs"):
        run_grid(p, 0)
    with pytest.raises(ValueError, match="points"):
        run_grid([], 1)
    with pytest.raises(ValueError, match="settings"):
        run_grid(p, 1, requests=5, settings=("fair",))
    with pytest.raises(BprrError, match="unknown online method"):
        run_grid(p, 1, requests=5, methods=("greedy",))
    with pytest.raises(ValueError, match="missing column"):
        summarize_runs(pd.DataFrame({"scenario": ["a"]}))

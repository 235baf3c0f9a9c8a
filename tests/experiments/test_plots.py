"""Performance profiles, confidence intervals, metric matrices and figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sweep_helpers import frame, run_in_process, spec_doc

from bprr_opt.cli import main
from bprr_opt.errors import BprrError
from bprr_opt.experiments import plots
from bprr_opt.experiments.analysis import add_config, mean_ci, metric_matrix
from bprr_opt.experiments.performance_profiles import (
    performance_profile,
    performance_ratios,
    profile_taus,
)

INF, NAN = math.inf, math.nan
PNG = b"\x89PNG\r\n\x1a\n"

# problems x solvers; inf and nan are failures
COSTS = [[1, 2, INF],
         [3, 3, 6],
         [2, 1, 2],
         [INF, INF, INF],
         [2, NAN, 4]]
RATIOS = [[1, 2, INF],
          [1, 1, 2],
          [2, 1, 2],
          [INF, INF, INF],
          [1, INF, 2]]


def test_ratios_on_hand_made_table():
    """Tests r = t / min_s t with failures, ties and an all-fail row."""
    assert_array_equal(performance_ratios(COSTS), RATIOS)


def test_profile_on_hand_made_table():
    """Tests rho_s(tau) = share of problems with r <= tau, by hand."""
    rho = performance_profile(RATIOS, [1, 1.5, 2, 10])
    assert_allclose(rho, [[3 / 5, 3 / 5, 4 / 5, 4 / 5],
                          [2 / 5, 2 / 5, 3 / 5, 3 / 5],
                          [0, 0, 3 / 5, 3 / 5]])
    assert_array_equal(profile_taus(RATIOS), [1, 2])


def test_zero_costs_need_a_floor():
    """Tests that zero costs are refused, and clamped by ``floor``."""
    with pytest.raises(ValueError, match="must be > 0"):
        performance_ratios([[0, 1, 0]])
    assert_array_equal(performance_ratios([[0, 1, 0]], floor=0.5),
                       [[1, 2, 1]])


def test_ratio_input_errors():
    """Tests that negative costs and non-matrices are refused."""
    with pytest.raises(ValueError, match="must be >= 0"):
        performance_ratios([[1, -1]])
    with pytest.raises(ValueError, match="2-D"):
        performance_ratios([1, 2])
    assert performance_profile(np.empty((0, 2)), [1, 2]).shape == (2, 2)


cost_matrices = hnp.arrays(
    float, st.tuples(st.integers(1, 8), st.integers(1, 4)),
    elements=st.one_of(st.floats(0, 1e6), st.just(INF)))


@settings(max_examples=150)
@given(cost_matrices, st.floats(1e-3, 1e3))
# Found by Hypothesis: with a zero best cost, a solved run got ratio inf
# under the first convention, so "rho at the largest ratio = share
# solved" failed.  Zero costs are now refused unless clamped by ``floor``.
@example(costs=np.array([[0.0, 1.0]]), scale=1.0)
def test_profile_invariants(costs, scale):
    """Tests Dolan–Moré invariants on arbitrary cost matrices.

    rho is a share in [0, 1], non-decreasing in tau; rho_s(1) is the share
    of problems where s attains the best cost; rho_s at the largest finite
    ratio is the share s solved; ratios ignore a per-problem scaling.
    """
    floor = 1e-3
    r = performance_ratios(costs, floor=floor)
    costs = np.where(np.isfinite(costs), np.maximum(costs, floor), INF)
    assert np.all((r >= 1) | np.isinf(r))
    taus = profile_taus(r)
    rho = performance_profile(r, taus)
    assert np.all((0 <= rho) & (rho <= 1))
    assert np.all(np.diff(rho, axis=1) >= 0)
    n_p = costs.shape[0]
    best = costs.min(axis=1, keepdims=True)
    at_best = np.isfinite(costs) & (costs == best)
    assert_allclose(rho[:, 0], at_best.sum(axis=0) / n_p)
    assert_allclose(rho[:, -1], np.isfinite(costs).sum(axis=0) / n_p)
    row_scale = scale ** np.arange(n_p)[:, None] / scale ** (n_p // 2)
    scaled = performance_ratios(costs * row_scale)  # all costs now > 0
    finite = np.isfinite(r)
    assert_array_equal(np.isfinite(scaled), finite)
    assert_allclose(scaled[finite], r[finite], rtol=1e-9)


def test_mean_ci_by_hand():
    """Tests the Student-t interval on [1, 2, 3]: t_{0.975,2} s / sqrt(3)."""
    m, lo, hi = mean_ci([1.0, 2.0, 3.0, INF, None])
    # closed form of the t quantile for 2 degrees of freedom
    p = 0.975
    t = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    half = t * 1.0 / math.sqrt(3)  # sample sd of [1, 2, 3] is 1
    assert m == 2.0
    assert lo == pytest.approx(2 - half, rel=1e-12)
    assert hi == pytest.approx(2 + half, rel=1e-12)
    m, lo, hi = mean_ci([5.0])
    assert m == 5.0 and math.isnan(lo) and math.isnan(hi)
    assert all(math.isnan(x) for x in mean_ci([]))
    with pytest.raises(ValueError, match="level"):
        mean_ci([1, 2], level=1.0)


def test_mean_ci_coverage():
    """Tests that 95% intervals of n=5 normal samples cover the mean ~95%.

    2000 seeded trials: a z-interval would cover only ~88% at n=5.
    """
    rng = np.random.default_rng(12345)
    covered = 0
    trials = 2000
    for _ in range(trials):
        _, lo, hi = mean_ci(rng.normal(10.0, 3.0, size=5))
        covered += lo <= 10.0 <= hi
    # binomial(2000, 0.95): sd ~ 0.0049; +-4 sd
    assert 0.93 <= covered / trials <= 0.97


def test_metric_matrix_means_failures_and_missing():
    """Tests cells: mean over runs, inf if one run failed, NaN if not run."""
    df = frame([
        {"inst": "A", "method": "m1", "value": 10.0, "seed": 0},
        {"inst": "A", "method": "m1", "value": 14.0, "seed": 1},
        {"inst": "A", "method": "m2", "value": 11.0},
        {"inst": "B", "method": "m1", "value": 5.0, "seed": 0},
        {"inst": "B", "method": "m1", "status": "infeasible", "seed": 1},
        {"inst": "B", "method": "m2", "value": 6.0},
        {"inst": "C", "method": "m2", "status": "error"},
    ])
    m = metric_matrix(df, "value")
    assert list(m.columns) == ["m1", "m2"]
    assert m.loc["A"].tolist() == [12.0, 11.0]
    assert m.loc["B"].tolist() == [INF, 6.0]
    assert math.isnan(m.loc["C", "m1"]) and m.loc["C", "m2"] == INF
    # no run is proven optimal: every run cell fails, the missing one stays
    vals = metric_matrix(df, "runtime_s", success="optimal").to_numpy()
    assert np.all(np.isinf(vals) | np.isnan(vals))
    assert np.isnan(vals).sum() == 1
    ok = metric_matrix(df.assign(status="optimal"), "runtime_s",
                       success="optimal")
    assert ok.loc["A"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="metric"):
        metric_matrix(df, "speed")


def test_config_labels_name_varying_options():
    """Tests labels: method, plus options that vary for that method only."""
    df = add_config(frame([
        {"inst": "A", "method": "milp-paper", "solver": "highs",
         "params": '{"time_limit":10.0}', "value": 1.0},
        {"inst": "A", "method": "milp-paper", "solver": "gurobi",
         "params": '{"time_limit":10.0}', "value": 1.0},
        {"inst": "A", "method": "cg-bprr", "seed": 3, "value": 2.0},
        {"inst": "A", "method": "cg-bprr", "seed": 4, "value": 2.0},
    ]))
    assert df["config"].tolist() == ["milp-paper solver=highs",
                                     "milp-paper solver=gurobi",
                                     "cg-bprr", "cg-bprr"]


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """A store of real CG-BPRR and PETALS runs (in-process, no pool)."""
    path = tmp_path_factory.mktemp("plots") / "real.db"
    return run_in_process(spec_doc(grid={"methods": ["cg-bprr", "petals"]}),
                          path)


@pytest.mark.parametrize("kind, extra", [
    ("cdf", []), ("bars", ["--metric", "runtime_s"]),
    ("profile", []), ("profile", ["--metric", "value"]),
])
def test_plot_commands_write_png(real_store, tmp_path, kind, extra, capsys):
    """Tests ``bprr plot cdf|bars|profile`` on a real store: a PNG appears."""
    out = tmp_path / f"{kind}.png"
    assert main(["plot", kind, str(real_store), "-o", str(out), *extra]) == 0
    assert out.read_bytes().startswith(PNG)


def test_plot_placement_from_result(tmp_path, capsys):
    """Tests ``bprr plot placement`` on a solved bundled instance."""
    res = tmp_path / "res.json"
    assert main(["solve", "--json", "-o", str(res)]) == 0
    capsys.readouterr()
    from bprr_opt.cli._common import default_instance_path

    out = tmp_path / "pl.svg"
    assert main(["plot", "placement", str(default_instance_path()),
                 str(res), "-o", str(out)]) == 0
    assert b"<svg" in out.read_bytes()[:400]


def test_plot_errors_leave_no_file(real_store, tmp_path, capsys):
    """Tests one-line errors and no output on bad format or empty data."""
    bad = tmp_path / "fig.xyz"
    assert main(["plot", "cdf", str(real_store), "-o", str(bad)]) == 2
    assert "unsupported figure format '.xyz'" in capsys.readouterr().err
    empty = tmp_path / "e.png"
    assert main(["plot", "bars", str(real_store), "--sweep", "other",
                 "-o", str(empty)]) == 2
    assert "no feasible run to plot" in capsys.readouterr().err
    assert main(["plot", "cdf", str(tmp_path / "none.db"), "-o",
                 str(empty)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_failed_render_keeps_the_old_file(tmp_path):
    """Tests atomic saving: a figure failing to render replaces nothing."""
    out = tmp_path / "fig.png"
    out.write_bytes(b"old")
    fig = plots._figure()
    fig.text(0.5, 0.5, r"$\frac{$")  # mathtext error at draw time
    with pytest.raises(ValueError):
        plots.save_figure(fig, out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]
    with pytest.raises(BprrError):
        plots.save_figure(fig, tmp_path / "fig.unknown")

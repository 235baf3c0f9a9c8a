"""Monte-Carlo reproduction of the paper's online tables and sweeps.

The notebooks in ``notebooks/`` call these functions; the heavy lifting
stays here so it is tested.  The pipeline::

    table3_grid() / table6_grid() / servers_grid()   -> [GridPoint]
    run_grid(points, runs, requests=, base_seed=)     -> runs frame (1 row per
                                                         point, replicate,
                                                         settings, method)
    summarize_runs(runs)                              -> mean, std, 95 % CI
    paired_reduction(runs)                            -> 1 - proposed/PETALS
    markdown_table(...), bar_chart(...), sweep_chart(...), save_results(...)

Seeds.  Replicate ``r`` of *every* grid point uses seed ``base_seed + r``
(:func:`replicate_seed`): the grid points of one table are compared on the
same draws (common random numbers: same client, servers and hardware types,
and the same standard-exponential gaps rescaled by ``1 / lambda``), and both
settings and all methods of one replicate share one topology, one arrival
sequence and one PETALS join order.

Settings.  ``"authors"``: the allocation delays and cache model of the
authors' scripts; ``"equal"``: one allocation delay and one memory model for
every method (:meth:`~bprr_opt.scenario.OnlineParams.equal_settings`).

References
----------
.. [1] Sun, He, Ji, Parag (2025). Optimizing Resource Allocation for
       Geographically-Distributed Inference by Large Language Models.
       arXiv:2512.21884, §5 (Tables III and VI).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InfeasibleError
from ..experiments.analysis import mean_ci
from ..fileio import atomic_write_text
from ..generators.clustered import clustered_scenario
from ..generators.topology import GRAPHS
from ..scenario import Scenario, Settings
from .arrivals import poisson_arrivals
from .cg_bp import cg_bp, design_r
from .experiment import (
    ReplicateConfig,
    canonical_method,
    run_methods,
    run_replicate,
)

__all__ = [
    "CLUSTERED",
    "KEYS",
    "PROPOSED_A",
    "RUN_METRICS",
    "TABLE_L_MAX",
    "TABLE_METHODS",
    "TABLE_RATES_PER_MS",
    "TABLE6_GRAPHS",
    "GridPoint",
    "allocation_aware_r",
    "bar_chart",
    "diagnostics",
    "markdown_table",
    "paired_reduction",
    "replicate_seed",
    "run_grid",
    "run_point",
    "save_results",
    "servers_grid",
    "summarize_runs",
    "sweep_chart",
    "table3_grid",
    "table6_grid",
]

CLUSTERED = "clustered"
# diagnostic variant (not the authors' method): CG-BP + WS-RR whose design
# load counts the allocation delay, see allocation_aware_r
PROPOSED_A = "cg-bp+ws-rr+A"
TABLE_METHODS = ("cg-bp+ws-rr", "petals", PROPOSED_A)
TABLE_RATES_PER_MS = (1e-4, 5e-4)          # 0.1 and 0.5 requests/s
TABLE_L_MAX = (64, 128)
TABLE6_GRAPHS = ("Abvt", "Bellcanada", "GtsCe")
ETA = 0.2                                  # A100 fraction (spec §12)
# columns identifying a grid point; with settings and method, a table cell
KEYS = ("scenario", "rate_per_ms", "l_max", "n_servers")
RUN_METRICS = ("avg_per_token_ms", "avg_ttft_ms", "avg_remaining_token_ms",
               "avg_waiting_ms", "max_concurrency", "planned_R",
               "allocation_delay_ms")
LABELS = {"cg-bp+ws-rr": "CG-BP + WS-RR", "petals": "PETALS",
          PROPOSED_A: "CG-BP + WS-RR, R counts A",
          "opt-order": "Opt Order", "opt-num": "Opt Num", "opt-rr": "Opt RR"}


@dataclass(frozen=True)
class GridPoint:
    """One cell of a table: scenario, arrival rate and output length.

    Attributes
    ----------
    scenario
        ``"clustered"`` (spec §2.2: 7 MIG + 2 A100, client with the MIGs)
        or a Topology Zoo graph (``"Abvt"``, ``"Bellcanada"``, ``"GtsCe"``,
        ``"AttMpls"``; spec §2.1, ``eta = 0.2``).
    rate_per_ms
        Poisson arrival rate (requests per ms; 0.5 req/s = 5e-4).
    l_max
        Output tokens per request (``s_c`` is sized for ``l_in + l_max``).
    n_servers
        Servers drawn on the graph; ``None``: ``round(0.4 #nodes)``.  Must be
        ``None`` for the clustered scenario (9 servers).
    """

    scenario: str
    rate_per_ms: float
    l_max: int
    n_servers: int | None = None

    def __post_init__(self) -> None:
        if self.scenario != CLUSTERED and self.scenario not in GRAPHS:
            raise ValueError(
                f"scenario: must be {CLUSTERED!r} or one of "
                f"{', '.join(GRAPHS)}, got {self.scenario!r}")
        if not (isinstance(self.rate_per_ms, (int, float))
                and math.isfinite(self.rate_per_ms)
                and self.rate_per_ms > 0):
            raise ValueError(f"rate_per_ms: must be a finite number > 0, "
                             f"got {self.rate_per_ms!r}")
        if isinstance(self.l_max, bool) or not isinstance(self.l_max, int) \
                or self.l_max < 2:
            raise ValueError(f"l_max: must be an integer >= 2, got "
                             f"{self.l_max!r}")
        if self.scenario == CLUSTERED and self.n_servers is not None:
            raise ValueError(f"n_servers: the clustered scenario has 9 "
                             f"servers, got {self.n_servers!r}")


def table3_grid() -> list[GridPoint]:
    """Table III: the clustered scenario at lambda in {0.1, 0.5} req/s and
    ``l_max`` in {64, 128}."""
    return [GridPoint(CLUSTERED, lam, lm)
            for lam in TABLE_RATES_PER_MS for lm in TABLE_L_MAX]


def table6_grid(graphs: Sequence[str] = TABLE6_GRAPHS) -> list[GridPoint]:
    """Table VI: AboveNet, Bell Canada, GTS-CE (``C = round(0.4 #nodes)``:
    9, 19, 60 servers) at lambda in {0.1, 0.5} req/s, ``l_max`` in
    {64, 128}."""
    return [GridPoint(g, lam, lm) for g in graphs
            for lam in TABLE_RATES_PER_MS for lm in TABLE_L_MAX]


def servers_grid(graph: str = "Abvt",
                 servers: Sequence[int] = (6, 10, 15, 20, 22),
                 rate_per_ms: float = 5e-4,
                 l_max: int = 128) -> list[GridPoint]:
    """The authors' cluster-size sweep (spec §12: Abvt, ``C`` in
    {6, 10, 15, 20, 22}, 0.5 req/s)."""
    return [GridPoint(graph, rate_per_ms, l_max, int(c)) for c in servers]


def replicate_seed(base_seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` (0-based): ``base_seed + replicate``."""
    if replicate < 0:
        raise ValueError(f"replicate: must be >= 0, got {replicate}")
    return int(base_seed) + int(replicate)


def allocation_aware_r(scenario: Scenario, rate_per_ms: float) -> int:
    """CG-BP's design load when Little's law counts the allocation delay.

    The authors' rule (spec §4) sizes ``R = round(mu + sqrt(mu))`` from
    ``mu = lambda T1`` where ``T1`` leaves out the allocation delay ``A``
    that every request is charged (⚠ spec §14.13).  This variant uses
    ``mu = lambda (T1 + A)`` with the proposed method's ``A``, the same
    rounding and cap ``R_max``, and then lowers ``R`` to the largest value
    for which CG-BP succeeds (``R_max`` only bounds the total memory; with
    few servers CG-BP can fail below it).

    Notes
    -----
    ``mu`` is obtained from the authors' rule at the rate
    ``lambda (T1 + A) / T1``.  A diagnostic variant used to explain the
    equal-settings results, not a method of the paper.
    """
    d = design_r(scenario, rate_per_ms)
    A = scenario.params.allocation_delay_proposed_ms
    R = design_r(scenario, rate_per_ms * (d.T1_ms + A) / d.T1_ms).R
    while R > d.R:
        try:
            cg_bp(scenario, R)
            break
        except InfeasibleError:
            R -= 1
    return R


def _method(name: str) -> str:
    return PROPOSED_A if name == PROPOSED_A else canonical_method(name)


def _run(scen: Scenario, arrivals: Any, methods: Sequence[str],
         order: Sequence[int], rate: float, settings: str) -> list[Any]:
    """``run_methods`` plus the :data:`PROPOSED_A` variant, in order."""
    plain = [m for m in methods if m != PROPOSED_A]
    got = iter(run_methods(scen, arrivals, plain, join_order=order,
                           rate_per_ms=rate, settings=settings)
               if plain else ())
    out = []
    for m in methods:
        if m == PROPOSED_A:
            r = allocation_aware_r(scen.with_settings(settings), rate)
            (v,) = run_methods(scen, arrivals, ["cg-bp+ws-rr"],
                               rate_per_ms=rate, r_design=r,
                               settings=settings)
            out.append(dataclasses.replace(v, method=PROPOSED_A))
        else:
            out.append(next(got))
    return out


def run_point(point: GridPoint, seed: int, *, requests: int = 100,
              methods: Sequence[str] = TABLE_METHODS,
              settings: Sequence[str] = tuple(Settings)) -> list[dict[str, Any]]:
    """Run one replicate of one grid point under every setting.

    Parameters
    ----------
    point
        The grid point.
    seed
        Seed of the replicate's one random stream.  Scattered scenarios draw
        topology, arrivals and PETALS' join order from it in the authors'
        order (:func:`~bprr_opt.online.experiment.run_replicate`); the
        clustered scenario is fixed and draws arrivals, then the order.
    requests
        Requests per run.  Default 100.
    methods
        Online method names, or :data:`PROPOSED_A`.  Default the proposed
        method, PETALS and :data:`PROPOSED_A`.
    settings
        Settings to run on the same draws.  Default both.

    Returns
    -------
    list of dict
        One record per (settings, method): the point's keys (``n_servers``
        is the actual count), ``n_a100``, ``requests``, ``seed``,
        ``settings``, ``method`` and :data:`RUN_METRICS` (times in ms).
    """
    methods = [_method(m) for m in methods]
    settings = list(settings)
    if not settings:
        raise ValueError("settings: at least one is needed")
    for s in settings:
        if s not in tuple(Settings):
            raise ValueError(f"settings: must be in {', '.join(Settings)}, "
                             f"got {s!r}")
    if point.scenario == CLUSTERED:
        scen = clustered_scenario(requests, point.l_max)
        rng = np.random.default_rng(seed)
        arrivals = poisson_arrivals(requests, point.rate_per_ms, rng=rng)
        order = tuple(int(j) for j in
                      rng.permutation(scen.instance.num_servers))
    else:   # the replicate's draws only (no method run)
        rep = run_replicate(ReplicateConfig(
            graph=point.scenario, n_servers=point.n_servers, eta=ETA,
            rate_per_ms=point.rate_per_ms, requests=requests,
            l_max=point.l_max), (), seed)
        scen, arrivals, order = rep.scenario, rep.arrivals, rep.join_order
    hw = scen.hardware
    base = {"scenario": point.scenario, "rate_per_ms": point.rate_per_ms,
            "l_max": point.l_max, "n_servers": len(hw),
            "n_a100": sum(h == "a100" for h in hw), "requests": requests,
            "seed": int(seed)}
    out = []
    for s in settings:
        for m in _run(scen, arrivals, methods, order, point.rate_per_ms, s):
            d = m.to_dict()
            out.append({**base, "settings": s, "method": m.method,
                        **{k: d[k] for k in RUN_METRICS}})
    return out


def run_grid(points: Iterable[GridPoint], runs: int, *, requests: int = 100,
             base_seed: int = 42, methods: Sequence[str] = TABLE_METHODS,
             settings: Sequence[str] = tuple(Settings)) -> Any:
    """Run ``runs`` Monte-Carlo replicates of every grid point.

    Parameters
    ----------
    points
        Grid points (:func:`table3_grid`, :func:`table6_grid`, ...).
    runs
        Replicates per point (>= 1; >= 2 for a confidence interval).
    requests
        Requests per run.  Default 100.
    base_seed
        Replicate ``r`` uses seed ``base_seed + r`` (:func:`replicate_seed`).
        Default 42 (the authors' sweeps use 42 or 44).
    methods, settings
        As :func:`run_point` (default the proposed method, PETALS and
        :data:`PROPOSED_A`, under both settings).

    Returns
    -------
    runs : pandas.DataFrame
        One row per (point, replicate, settings, method), in that order; a
        ``replicate`` column holds ``r``.  Same arguments, same frame (no
        wall-clock column).

    Notes
    -----
    Cost: ``len(points) * runs`` replicates, each simulating every method
    once per setting (``O(requests)`` routed requests each).
    """
    import pandas as pd

    points = list(points)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs: must be an integer >= 1, got {runs!r}")
    if isinstance(requests, bool) or not isinstance(requests, int) \
            or requests < 1:
        raise ValueError(f"requests: must be an integer >= 1, got "
                         f"{requests!r}")
    if not points:
        raise ValueError("points: the grid is empty")
    rows: list[dict[str, Any]] = []
    for p in points:
        for r in range(runs):
            rows += [{**rec, "replicate": r} for rec in run_point(
                p, replicate_seed(base_seed, r), requests=requests,
                methods=methods, settings=settings)]
    df = pd.DataFrame(rows)
    df["planned_R"] = df["planned_R"].astype("Int64")
    return df


def _check_frame(df: Any, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"runs: missing column(s) {', '.join(missing)}")
    if df.empty:
        raise ValueError("runs: no rows")


def summarize_runs(runs: Any, metrics: Sequence[str] = ("avg_per_token_ms",),
                   level: float = 0.95) -> Any:
    """Mean, sample std and Student-t CI of each metric per table cell.

    Parameters
    ----------
    runs
        Frame of :func:`run_grid` (or any frame with the :data:`KEYS`,
        ``settings``, ``method`` and metric columns).
    metrics
        Columns to summarise.  Default the per-token time.
    level
        Confidence level.  Default 0.95.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (cell, metric), in order of first appearance:
        :data:`KEYS`, ``settings``, ``method``, ``metric``, ``n`` (finite
        values), ``mean``, ``std`` (``N - 1`` normalisation), ``ci_lo``,
        ``ci_hi`` (``mean -/+ t_{(1+level)/2, n-1} std / sqrt(n)``; NaN
        when ``n < 2``).

    Notes
    -----
    The interval treats the replicates as independent draws (they are:
    each has its own seed) and the per-run metric as approximately normal;
    with 30+ runs the t interval is robust to moderate skew.
    """
    import pandas as pd

    by = list(KEYS) + ["settings", "method"]
    _check_frame(runs, by + list(metrics))
    rows = []
    for key, grp in runs.groupby(by, sort=False, dropna=False):
        for metric in metrics:
            x = pd.to_numeric(grp[metric], errors="coerce").to_numpy(
                dtype=float)
            x = x[np.isfinite(x)]
            mean, lo, hi = mean_ci(x, level)
            std = float(x.std(ddof=1)) if x.size > 1 else math.nan
            rows.append({**dict(zip(by, key)), "metric": metric,
                         "n": int(x.size), "mean": mean, "std": std,
                         "ci_lo": lo, "ci_hi": hi})
    return pd.DataFrame(rows)


def paired_reduction(runs: Any, methods: Sequence[str] | None = None,
                     baseline: str = "petals",
                     metric: str = "avg_per_token_ms",
                     level: float = 0.95) -> Any:
    """Relative reduction of ``metric`` by each method over ``baseline``.

    Each replicate gives a paired reduction ``1 - x_method / x_baseline``
    (same topology, arrivals and join order); the result is their mean and
    Student-t CI per (point, settings, method).

    Parameters
    ----------
    runs
        Frame of :func:`run_grid`.
    methods
        Methods compared with the baseline.  Default every other method of
        ``runs``.
    baseline
        Default PETALS.
    metric, level
        Default the per-token time, 95 %.

    Returns
    -------
    reductions : pandas.DataFrame
        :data:`KEYS`, ``settings``, ``method``, ``n`` (paired replicates),
        ``mean``, ``ci_lo``, ``ci_hi`` (fractions: 0.7 = 70 % lower; < 0
        when the method is slower), and ``of_means`` =
        ``1 - mean(x_method) / mean(x_baseline)`` (the reduction read off
        the table of means; it weights replicates by their baseline value,
        so it may differ from ``mean``).
    """
    import pandas as pd

    by = list(KEYS) + ["settings"]
    _check_frame(runs, by + ["replicate", "method", metric])
    baseline = _method(baseline)
    if methods is None:
        methods = [m for m in dict.fromkeys(runs["method"]) if m != baseline]
    methods = [_method(m) for m in methods]
    rows = []
    for key, grp in runs.groupby(by, sort=False, dropna=False):
        wide = grp.pivot_table(index="replicate", columns="method",
                               values=metric, aggfunc="first")
        if baseline not in wide:
            continue
        b = wide[baseline].to_numpy(float)
        for m in methods:
            if m not in wide:
                continue
            x = wide[m].to_numpy(float)
            ok = np.isfinite(x) & np.isfinite(b) & (b > 0)
            mean, lo, hi = mean_ci(1.0 - x[ok] / b[ok], level)
            rows.append({**dict(zip(by, key)), "method": m,
                         "n": int(ok.sum()), "mean": mean, "ci_lo": lo,
                         "ci_hi": hi,
                         "of_means": 1.0 - x[ok].mean() / b[ok].mean()
                         if ok.any() else math.nan})
    if not rows:
        raise ValueError(f"runs: no replicate has {baseline!r} and one of "
                         f"{', '.join(map(repr, methods))}")
    return pd.DataFrame(rows)


def diagnostics(runs: Any) -> Any:
    """Per-cell means of the quantities that explain the per-token times.

    Returns
    -------
    pandas.DataFrame
        :data:`KEYS`, ``settings``, ``method``, ``per_token_ms``,
        ``without_A_ms`` (per-token time minus ``A / l_max``: every request
        is charged the allocation delay ``A`` once, so this is exactly the
        part of the per-token time that is not ``A``), ``waiting_ms``
        (backoff ``B(W)``), ``max_concurrency`` and ``planned_R`` (CG-BP's
        design load; missing for PETALS).
    """
    by = list(KEYS) + ["settings", "method"]
    cols = ["avg_per_token_ms", "allocation_delay_ms", "avg_waiting_ms",
            "max_concurrency", "planned_R"]
    _check_frame(runs, by + cols)
    df = runs.assign(without_A_ms=runs["avg_per_token_ms"]
                     - runs["allocation_delay_ms"] / runs["l_max"],
                     planned_R=runs["planned_R"].astype("Float64"))
    return df.groupby(by, sort=False).agg(
        per_token_ms=("avg_per_token_ms", "mean"),
        without_A_ms=("without_A_ms", "mean"),
        waiting_ms=("avg_waiting_ms", "mean"),
        max_concurrency=("max_concurrency", "mean"),
        planned_R=("planned_R", "mean")).reset_index()


def _rate_label(rate_per_ms: float) -> str:
    return f"{rate_per_ms * 1000:g}"


def _select(df: Any, **eq: Any) -> Any:
    sel = np.ones(len(df), bool)
    for k, v in eq.items():
        sel &= (df[k] == v).to_numpy()
    return df[sel]


def _mean_pm(row: Any, scale: float, digits: int) -> str:
    if row.empty or not math.isfinite(float(row["mean"].iloc[0])):
        return "n/a"
    mean, lo, hi = (float(row[c].iloc[0]) * scale
                    for c in ("mean", "ci_lo", "ci_hi"))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {(hi - lo) / 2:.{digits}f}"


def _percent(row: Any) -> str:
    if row.empty or not math.isfinite(float(row["mean"].iloc[0])):
        return "n/a"
    # round() to an int: no "-0" for small negative values
    mean, lo, hi = (100 * float(row[c].iloc[0])
                    for c in ("mean", "ci_lo", "ci_hi"))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{round(mean)} %"
    return f"{round(mean)} % [{round(lo)}, {round(hi)}]"


def markdown_table(summary: Any, reductions: Any | None = None, *,
                   settings: str = "authors",
                   methods: Sequence[str] = TABLE_METHODS,
                   baseline: str = "petals",
                   metric: str = "avg_per_token_ms") -> str:
    """Markdown table of one setting: one row per grid point.

    Cells are ``mean ± CI half-width`` (per-token times in seconds, the
    paper's unit) for each method, then, if ``reductions`` is given, the
    paired reduction of each non-baseline method over ``baseline`` in
    percent with its CI in brackets.
    """
    s = _select(summary, metric=metric, settings=settings)
    _check_frame(s, list(KEYS) + ["method", "mean", "ci_lo", "ci_hi"])
    methods = [_method(m) for m in methods]
    baseline = _method(baseline)
    others = [m for m in methods if m != baseline]
    scale = 1e-3 if metric.endswith("_ms") else 1.0
    unit = " (s)" if metric.endswith("_ms") else ""
    head = ["scenario", "C", "λ (req/s)", "l_max"]
    head += [f"{LABELS.get(m, m)}{unit}" for m in methods]
    if reductions is not None:
        head += [f"reduction, {LABELS.get(m, m)}" for m in others]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" for _ in head) + "|"]
    for _, p in s[list(KEYS)].drop_duplicates().iterrows():
        at = {k: p[k] for k in KEYS}
        cells = [str(p["scenario"]), str(int(p["n_servers"])),
                 _rate_label(float(p["rate_per_ms"])), str(int(p["l_max"]))]
        cells += [_mean_pm(_select(s, method=m, **at), scale, 2)
                  for m in methods]
        if reductions is not None:
            r = _select(reductions, settings=settings, **at)
            cells += [_percent(_select(r, method=m)) for m in others]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _figure(width: float, height: float, nrows: int, ncols: int) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _errors(rows: Any, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Means and (lower, upper) error-bar lengths; 0 where no CI."""
    mean = rows["mean"].to_numpy(float)
    lo = np.nan_to_num(mean - rows["ci_lo"].to_numpy(float))
    hi = np.nan_to_num(rows["ci_hi"].to_numpy(float) - mean)
    return mean * scale, np.vstack([lo, hi]) * scale


def bar_chart(summary: Any, *, methods: Sequence[str] = TABLE_METHODS,
              settings: Sequence[str] = tuple(Settings),
              metric: str = "avg_per_token_ms") -> Any:
    """Grouped bars of the mean with CI error bars.

    One panel per (scenario, settings): rows are scenarios, columns
    settings; within a panel one group per grid point (``lambda``,
    ``l_max``), one bar per method.  Times in seconds.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (save it with
        :func:`bprr_opt.experiments.plots.save_figure`).

    Raises
    ------
    ValueError
        If a method lacks a grid point another method has.
    """
    s = _select(summary, metric=metric)
    _check_frame(s, list(KEYS) + ["settings", "method", "mean"])
    methods = [_method(m) for m in methods]
    scale = 1e-3 if metric.endswith("_ms") else 1.0
    scenarios = list(dict.fromkeys(s["scenario"]))
    fig, axes = _figure(4.6 * len(settings), 2.9 * len(scenarios),
                        len(scenarios), len(settings))
    width = 0.8 / len(methods)
    for i, sc in enumerate(scenarios):
        for j, st in enumerate(settings):
            ax = axes[i][j]
            cell = _select(s, scenario=sc, settings=st)
            points = cell[list(KEYS)].drop_duplicates()
            pos = np.arange(len(points))
            for k, m in enumerate(methods):
                rows = _select(cell, method=m)
                if len(rows) != len(points):
                    raise ValueError(f"summary: {m!r} has {len(rows)} of the "
                                     f"{len(points)} points of {sc}, {st}")
                mean, err = _errors(rows, scale)
                ax.bar(pos + (k - (len(methods) - 1) / 2) * width, mean,
                       width, yerr=err, capsize=3, label=LABELS.get(m, m))
            ax.set_xticks(pos, [f"λ={_rate_label(r)}\nl_max={int(lm)}"
                                for r, lm in zip(points["rate_per_ms"],
                                                 points["l_max"])],
                          fontsize=8)
            C = ", ".join(str(int(c)) for c in
                          dict.fromkeys(points["n_servers"]))
            ax.set_title(f"{sc} (C = {C}), {st} settings", fontsize=9)
            ax.set_ylabel("per-token time (s)" if scale != 1.0 else metric,
                          fontsize=8)
            ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    return fig


def sweep_chart(summary: Any, *, x: str = "n_servers",
                methods: Sequence[str] = TABLE_METHODS,
                settings: Sequence[str] = tuple(Settings),
                metric: str = "avg_per_token_ms") -> Any:
    """Mean and CI error bars of ``metric`` against ``x``: one panel per
    setting, one line per method (times in seconds)."""
    s = _select(summary, metric=metric)
    _check_frame(s, ["settings", "method", "mean", x])
    methods = [_method(m) for m in methods]
    scale = 1e-3 if metric.endswith("_ms") else 1.0
    fig, axes = _figure(4.6 * len(settings), 3.6, 1, len(settings))
    for j, st in enumerate(settings):
        ax = axes[0][j]
        for m in methods:
            rows = _select(s, settings=st, method=m).sort_values(x)
            mean, err = _errors(rows, scale)
            ax.errorbar(rows[x].to_numpy(float), mean, yerr=err, marker="o",
                        capsize=3, label=LABELS.get(m, m))
        ax.set_xlabel("number of servers C" if x == "n_servers" else x)
        ax.set_ylabel("per-token time (s)" if scale != 1.0 else metric)
        ax.set_title(f"{st} settings", fontsize=9)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def save_results(directory: str | Path, name: str, runs: Any,
                 summary: Any | None = None,
                 reductions: Any | None = None) -> list[Path]:
    """Write ``<name>_runs.csv`` (and ``_summary``, ``_reduction``) atomically.

    Floats are written with 10 significant digits, so the same runs give
    the same bytes.

    Returns
    -------
    list of Path
        The files written.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for suffix, df in (("runs", runs), ("summary", summary),
                       ("reduction", reductions)):
        if df is None:
            continue
        p = d / f"{name}_{suffix}.csv"
        atomic_write_text(p, df.to_csv(index=False, float_format="%.10g",
                                       lineterminator="\n"))
        out.append(p)
    return out

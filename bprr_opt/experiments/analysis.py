"""Tables derived from the store: configurations, per-instance matrices, CIs;
and the statistics of the paper reproduction's runs frames
(:func:`summarize_runs`, :func:`paired_reduction`, :func:`diagnostics`).

A *configuration* is what a comparison compares: the method, plus each
option (solver, time limit, ...) that takes more than one value among that
method's rows.  Seeds and repetitions are replications, not
configurations.  All functions take the :class:`pandas.DataFrame` of
:meth:`ResultStore.frame <bprr_opt.experiments.store.ResultStore.frame>`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..online.policies import canonical_policy
from .grids import KEYS

__all__ = ["METRICS", "SUCCESS", "TIE_RTOL", "add_config", "diagnostics",
           "mean_ci", "metric_matrix", "paired_reduction", "summarize_runs",
           "wins"]

METRICS = ("value", "runtime_s", "gap")
SUCCESS = ("feasible", "optimal")
# Two values within this relative distance are a tie (the evaluator sums
# the same terms in a route-dependent order, so equal costs may differ in
# the last bits).
TIE_RTOL = 1e-9


def add_config(df: Any) -> Any:
    """Return ``df`` with a ``config`` column (see module docstring).

    Labels are ``method`` or ``method solver=gurobi time_limit=60.0``; the
    kind is appended as ``[kind]`` when the frame holds several kinds.
    """
    df = df.copy()
    if df.empty:
        df["config"] = []
        return df
    opts = [dict(json.loads(p), solver=s)
            for p, s in zip(df["params"], df["solver"])]
    several_kinds = df["kind"].nunique() > 1
    labels = []
    varying: dict[str, list[str]] = {}
    for method in df["method"].unique():
        rows = [o for o, m in zip(opts, df["method"]) if m == method]
        keys = sorted({k for o in rows for k in o})
        varying[method] = [
            k for k in keys
            if len({json.dumps(o.get(k), sort_keys=True) for o in rows}) > 1]
    for o, m, k in zip(opts, df["method"], df["kind"]):
        parts = [m] + [f"{key}={o.get(key)}" for key in varying[m]]
        if several_kinds:
            parts.append(f"[{k}]")
        labels.append(" ".join(parts))
    df["config"] = labels
    return df


def _succeeded(df: Any, success: str) -> Any:
    if success not in SUCCESS:
        raise ValueError(f"success: must be one of {', '.join(SUCCESS)}, "
                         f"got {success!r}")
    if success == "optimal":
        return df["status"] == "optimal"
    return df["feasible"].map(lambda x: x is True or x == 1)


def metric_matrix(df: Any, metric: str = "value",
                  success: str = "feasible") -> Any:
    """Instances x configurations matrix of a metric, failures as ``inf``.

    Parameters
    ----------
    df
        Store frame (a ``config`` column is added if missing).
    metric
        ``"value"``, ``"runtime_s"`` or ``"gap"``.
    success
        A run counts when its solution is feasible (``"feasible"``) or when
        it is proven optimal (``"optimal"``).

    Returns
    -------
    matrix : pandas.DataFrame
        Index ``instance_hash``, one column per configuration.  A cell is
        the mean of the metric over the cell's runs (seeds, repetitions)
        when all of them succeeded, ``inf`` when one did not, and ``NaN``
        when the configuration has no run on that instance.
    """
    import pandas as pd

    if metric not in METRICS:
        raise ValueError(f"metric: must be one of {', '.join(METRICS)}, "
                         f"got {metric!r}")
    if "config" not in df:
        df = add_config(df)
    ok = _succeeded(df, success)
    vals = pd.to_numeric(df[metric], errors="coerce").astype(float)
    vals = vals.where(ok & np.isfinite(vals), math.inf)
    tmp = pd.DataFrame({"instance_hash": df["instance_hash"],
                        "config": df["config"], "v": vals})
    # mean of finite runs; a single inf run makes the mean inf
    return tmp.pivot_table(index="instance_hash", columns="config",
                           values="v", aggfunc="mean", dropna=False,
                           sort=True)


def wins(matrix: Any, rtol: float = TIE_RTOL) -> dict[str, int]:
    """Instances on which each configuration has the best value.

    A configuration wins an instance when its cell is finite and within
    ``rtol`` (relative) of the row minimum; ties count for every tied
    configuration.  Instances where no configuration succeeded count for
    nobody.
    """
    out = {str(c): 0 for c in matrix.columns}
    for _, row in matrix.iterrows():
        finite = row[np.isfinite(row.to_numpy(dtype=float))]
        if finite.empty:
            continue
        best = float(finite.min())
        for c, v in finite.items():
            if v <= best + rtol * max(1.0, abs(best)):
                out[str(c)] += 1
    return out


def mean_ci(values: Iterable[float],
            level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the finite ``values``.

    Returns
    -------
    mean, lo, hi : float
        ``mean -/+ t_{(1+level)/2, n-1} s / sqrt(n)`` with ``s`` the sample
        standard deviation.  With one value the interval is undefined
        (``lo = hi = nan``); with none all three are ``nan``.

    Notes
    -----
    Assumes independent runs; the t quantile makes it exact for normal
    data and conservative-ish for small samples of other shapes.
    """
    from scipy import stats

    if not 0 < level < 1:
        raise ValueError(f"level: must be in (0, 1), got {level!r}")
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf((1 + level) / 2, n - 1) * x.std(ddof=1)
                 / math.sqrt(n))
    return mean, mean - half, mean + half


# -- the paper reproduction's runs frames ------------------------------------

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
    baseline = canonical_policy(baseline)
    if methods is None:
        methods = [m for m in dict.fromkeys(runs["method"]) if m != baseline]
    methods = [canonical_policy(m) for m in methods]
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

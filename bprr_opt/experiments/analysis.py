"""Tables derived from the store: configurations, per-instance matrices, CIs.

A *configuration* is what a comparison compares: the method, plus each
option (solver, time limit, ...) that takes more than one value among that
method's rows.  Seeds and repetitions are replications, not
configurations.  All functions take the :class:`pandas.DataFrame` of
:meth:`ResultStore.frame <bprr_opt.experiments.store.ResultStore.frame>`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["METRICS", "SUCCESS", "TIE_RTOL", "add_config", "mean_ci",
           "metric_matrix", "wins"]

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

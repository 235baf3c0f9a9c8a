"""Tables and charts of the paper reproduction (Markdown, matplotlib).

Built from the frames of :func:`bprr_opt.experiments.analysis.
summarize_runs` and :func:`~bprr_opt.experiments.analysis.paired_reduction`;
figures are made without pyplot (save them with
:func:`bprr_opt.experiments.plots.save_figure`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..online.policies import PROPOSED_A, canonical_policy
from ..scenario import Settings
from .analysis import _check_frame
from .grids import KEYS, TABLE_METHODS

__all__ = ["LABELS", "bar_chart", "markdown_table", "sweep_chart"]

LABELS = {"cg-bp+ws-rr": "CG-BP + WS-RR", "petals": "PETALS",
          PROPOSED_A: "CG-BP + WS-RR, R counts A",
          "opt-order": "Opt Order", "opt-num": "Opt Num", "opt-rr": "Opt RR"}


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
    methods = [canonical_policy(m) for m in methods]
    baseline = canonical_policy(baseline)
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
    methods = [canonical_policy(m) for m in methods]
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
    methods = [canonical_policy(m) for m in methods]
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

"""Summary table of a results store, as text or Markdown.

Per configuration (see :func:`~bprr_opt.experiments.analysis.add_config`):
jobs, errors, feasible runs, mean value, mean gap to the best bound known
for the instance, wins, and mean runtime.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .analysis import TIE_RTOL, add_config, metric_matrix, wins

__all__ = ["Report", "best_bounds", "format_markdown", "format_text",
           "summarize"]


@dataclass(frozen=True)
class Report:
    """The summary of a store.

    Attributes
    ----------
    table
        One row per configuration: ``config, jobs, errors, feasible,
        mean_value, mean_gap_best_bound, gap_runs, wins, mean_runtime_s``.
    n_rows, n_instances
        Job rows and distinct instances summarised.
    warnings
        Inconsistencies found (a bound above another run's feasible value).
    """

    table: Any
    n_rows: int
    n_instances: int
    warnings: tuple[str, ...] = field(default_factory=tuple)


def best_bounds(df: Any) -> dict[str, float]:
    """Best (largest) lower bound per instance hash over all rows.

    ``+inf`` (a proof of infeasibility) counts; NaN/None and ``-inf`` do not.
    """
    out: dict[str, float] = {}
    for h, b in zip(df["instance_hash"], df["bound"]):
        if b is None or not isinstance(b, (int, float)):
            continue
        b = float(b)
        if math.isnan(b) or b == -math.inf:
            continue
        out[h] = max(out.get(h, -math.inf), b)
    return out


def summarize(df: Any) -> Report:
    """Build the :class:`Report` of a store frame.

    Notes
    -----
    *Mean value* averages the evaluated value of the feasible runs.  *Gap to
    best bound* of a feasible run on instance ``p`` is ``(v - B_p) / v``
    with ``B_p`` the largest bound any run reported on ``p``; runs on
    instances without a bound are left out (``gap_runs`` counts the
    others).  A negative gap would mean a "lower bound" above a feasible
    value: it is reported as is and listed in ``warnings``.  *Wins*: the
    configuration's mean value on an instance (all its runs feasible) is
    the best one up to a relative ``1e-9``; ties count for all.
    """
    import pandas as pd

    df = add_config(df)
    bb = best_bounds(df)
    matrix = metric_matrix(df, "value", "feasible")
    won = wins(matrix, TIE_RTOL)
    rows = []
    warnings: list[str] = []
    for config in sorted(df["config"].unique()):
        sub = df[df["config"] == config]
        feas = sub[sub["feasible"].map(lambda x: x is True)]
        values = pd.to_numeric(feas["value"], errors="coerce").astype(float)
        gaps = []
        for h, v, key in zip(feas["instance_hash"], values, feas["key"]):
            if h in bb and math.isfinite(v) and v > 0:
                g = (v - bb[h]) / v
                if g < -TIE_RTOL:
                    warnings.append(
                        f"{config}: value {v!r} of job {key[:12]} is below "
                        f"the best bound {bb[h]!r} on instance {h[:12]}")
                gaps.append(g)
        runtimes = pd.to_numeric(sub["runtime_s"], errors="coerce")
        rows.append({
            "config": config,
            "jobs": int(len(sub)),
            "errors": int((sub["status"] == "error").sum()),
            "feasible": int(len(feas)),
            "mean_value": float(values.mean()) if len(values) else math.nan,
            "mean_gap_best_bound": float(np.mean(gaps)) if gaps else math.nan,
            "gap_runs": len(gaps),
            "wins": won.get(config, 0),
            "mean_runtime_s": float(runtimes.mean())
            if runtimes.notna().any() else math.nan,
        })
    table = pd.DataFrame(rows, columns=[
        "config", "jobs", "errors", "feasible", "mean_value",
        "mean_gap_best_bound", "gap_runs", "wins", "mean_runtime_s"])
    return Report(table=table, n_rows=int(len(df)),
                  n_instances=int(df["instance_hash"].nunique()),
                  warnings=tuple(warnings))


_HEADERS = ("config", "jobs", "errors", "feasible", "mean value",
            "mean gap to best bound", "wins", "mean runtime (s)")


def _cells(report: Report) -> list[list[str]]:
    def num(x: float, fmt: str) -> str:
        return "-" if x is None or not math.isfinite(x) else format(x, fmt)

    out = []
    for r in report.table.itertuples(index=False):
        # NaN = no bound known; -inf (a run contradicting an infeasibility
        # proof) is shown, never hidden
        gap = "-" if math.isnan(r.mean_gap_best_bound) else (
            f"{100 * r.mean_gap_best_bound:.3f}% ({r.gap_runs})")
        out.append([r.config, str(r.jobs), str(r.errors), str(r.feasible),
                    num(r.mean_value, ".6f"), gap, str(r.wins),
                    num(r.mean_runtime_s, ".4f")])
    return out


def _header(report: Report) -> str:
    return (f"{report.n_rows} runs on {report.n_instances} instances; wins "
            f"count instances where a configuration has the best value "
            f"(ties count for all)")


def format_text(report: Report) -> str:
    """Fixed-width table (numbers right-aligned) with warnings below."""
    cells = _cells(report)
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(_HEADERS)]
    def line(row: list[str] | tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths)))
    lines = [_header(report), "", line(_HEADERS),
             "  ".join("-" * w for w in widths)]
    lines += [line(c) for c in cells]
    lines += [f"warning: {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"


def format_markdown(report: Report) -> str:
    """GitHub-flavoured Markdown table with warnings as a list."""
    def esc(s: str) -> str:
        return s.replace("|", "\\|")

    lines = [_header(report), "",
             "| " + " | ".join(_HEADERS) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(_HEADERS) - 1)) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |"
              for row in _cells(report)]
    if report.warnings:
        lines.append("")
        lines += [f"- warning: {esc(w)}" for w in report.warnings]
    return "\n".join(lines) + "\n"

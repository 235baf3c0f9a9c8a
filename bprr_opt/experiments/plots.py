"""Figures for placements and sweep results (matplotlib, no screen needed).

Figures are built with :class:`matplotlib.figure.Figure` directly (no
``pyplot`` state, no GUI backend) and written by :func:`save_figure`
atomically: a failed save leaves no partial file.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BprrError
from ..evaluate import evaluate
from ..instance import Instance
from ..fileio import atomic_write_bytes
from ..solution import Solution
from .analysis import add_config, mean_ci, metric_matrix
from .performance_profiles import performance_profile, performance_ratios, profile_taus

__all__ = ["bars_figure", "cdf_figure", "placement_figure", "profile_figure",
           "save_figure"]

PROFILE_METRICS = ("runtime_s", "value")
# runtimes below this are clamped in profiles (timer noise, not speed)
RUNTIME_FLOOR_S = 1e-6

_LABELS = {"value": "per-token time (ms)", "runtime_s": "runtime (s)",
           "gap": "reported gap"}


def _figure(width: float = 7.0, height: float = 4.5) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Any, path: str | Path, dpi: int = 150) -> None:
    """Render ``fig`` in memory, then write it to ``path`` atomically.

    The format comes from the suffix (``.png``, ``.pdf``, ``.svg``, ...).

    Raises
    ------
    BprrError
        If the suffix is not a format matplotlib can write.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    canvas = FigureCanvasAgg(fig)
    if fmt not in canvas.get_supported_filetypes():
        raise BprrError(
            f"output: unsupported figure format {p.suffix!r} (use one of "
            f"{', '.join(sorted(canvas.get_supported_filetypes()))})")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    atomic_write_bytes(p, buf.getvalue())


# -- one solution ------------------------------------------------------------------

def placement_figure(instance: Instance, solution: Solution,
                     title: str | None = None) -> Any:
    """Blocks x servers chart of a placement.

    Each server is a column covering its blocks ``a_j .. a_j + m_j - 1``,
    coloured by memory use ``(s_m m_j + s_c sum_r k_j^r) / M_j`` (13b) and
    labelled with the number of requests routed through it.  The value in
    the title is the evaluator's.
    """
    ev = evaluate(instance, solution, allow_unused=True)
    n, L = instance.num_servers, instance.L
    fig = _figure(max(5.0, 0.5 * n + 2.5), 4.5)
    ax = fig.add_subplot()
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cmap = colormaps["viridis"]
    norm = Normalize(0.0, 1.0)
    sessions = [0] * n
    for r in solution.routes:
        for j in r.servers:
            if 0 <= j < n:
                sessions[j] += r.count
    pl = solution.placement
    for j in range(n):
        if pl.num_blocks[j] <= 0:
            continue
        use = ev.memory_used[j] / instance.servers[j].memory
        ax.bar(j, pl.num_blocks[j], bottom=pl.first_block[j] - 0.5, width=0.8,
               color=cmap(norm(min(use, 1.0))),
               edgecolor="red" if use > 1 + 1e-9 else "black")
        ax.text(j, pl.first_block[j] - 0.5 + pl.num_blocks[j] / 2,
                str(sessions[j]), ha="center", va="center", fontsize=8,
                color="white" if use < 0.6 else "black")
    ax.set_xticks(range(n), [s.id for s in instance.servers],
                  rotation=90 if n > 12 else 0)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0.5, L + 0.5)
    ax.set_xlabel("server (label: requests routed through it)")
    ax.set_ylabel("block")
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                 label="memory use / M_j")
    verdict = (f"{ev.avg_per_token_ms:.4f} ms/token" if ev.feasible
               else "INFEASIBLE")
    ax.set_title(title or f"{instance.name}: {verdict}", fontsize=10)
    return fig


# -- sweep results -----------------------------------------------------------------

def _need_rows(df: Any, what: str) -> None:
    if df.empty:
        raise BprrError(f"plot: no {what} to plot")


def cdf_figure(df: Any, metric: str = "value") -> Any:
    """Empirical CDF of a metric over the feasible runs, one line per config."""
    import pandas as pd

    df = add_config(df)
    feas = df[df["feasible"].map(lambda x: x is True)]
    _need_rows(feas, "feasible run")
    fig = _figure()
    ax = fig.add_subplot()
    for config in sorted(feas["config"].unique()):
        x = pd.to_numeric(feas.loc[feas["config"] == config, metric],
                          errors="coerce").to_numpy(dtype=float)
        x = np.sort(x[np.isfinite(x)])
        if x.size == 0:
            continue
        y = np.arange(1, x.size + 1) / x.size
        ax.step(np.concatenate([[x[0]], x]), np.concatenate([[0.0], y]),
                where="post", label=f"{config} (n={x.size})")
    ax.set_xlabel(_LABELS.get(metric, metric))
    ax.set_ylabel("fraction of runs")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"CDF of {_LABELS.get(metric, metric)} over feasible runs",
                 fontsize=10)
    return fig


def bars_figure(df: Any, metric: str = "value", level: float = 0.95) -> Any:
    """Mean of a metric per configuration with a Student-t CI (feasible runs).

    Configurations with a single run get no error bar (the interval is
    undefined).
    """
    import pandas as pd

    df = add_config(df)
    feas = df[df["feasible"].map(lambda x: x is True)]
    _need_rows(feas, "feasible run")
    configs = sorted(feas["config"].unique())
    means, lo_err, hi_err, ns = [], [], [], []
    for config in configs:
        x = pd.to_numeric(feas.loc[feas["config"] == config, metric],
                          errors="coerce").to_numpy(dtype=float)
        m, lo, hi = mean_ci(x, level)
        means.append(m)
        lo_err.append(0.0 if math.isnan(lo) else m - lo)
        hi_err.append(0.0 if math.isnan(hi) else hi - m)
        ns.append(int(np.isfinite(x).sum()))
    fig = _figure(max(5.0, 1.2 * len(configs) + 2), 4.5)
    ax = fig.add_subplot()
    pos = np.arange(len(configs))
    ax.bar(pos, means, yerr=[lo_err, hi_err], capsize=4, color="tab:blue",
           alpha=0.8)
    ax.set_xticks(pos, [f"{c}\n(n={n})" for c, n in zip(configs, ns)],
                  fontsize=8)
    ax.set_ylabel(f"mean {_LABELS.get(metric, metric)}")
    ax.set_title(f"mean {_LABELS.get(metric, metric)}, "
                 f"{100 * level:g}% confidence interval", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return fig


def profile_figure(df: Any, metric: str = "runtime_s",
                   success: str = "feasible") -> Any:
    """Dolan–Moré performance profile of the configurations.

    Problems are the instances every configuration ran; a run that did not
    succeed (``success``: feasible or proven optimal) is a failure
    (``inf``).  ``x`` is ``tau`` on a log2 axis, ``y`` is ``rho_s(tau)``.
    Runtimes are clamped below at 1 microsecond (ratios need positive
    costs); a zero value is refused.

    References
    ----------
    .. [1] Dolan & Moré (2002), Math. Programming 91:201–213.
    """
    if metric not in PROFILE_METRICS:
        raise BprrError(f"metric: a profile needs positive costs, use one of "
                        f"{', '.join(PROFILE_METRICS)}, got {metric!r}")
    matrix = metric_matrix(df, metric, success).dropna(axis=0, how="any")
    _need_rows(matrix, "instance run by every configuration")
    try:
        ratios = performance_ratios(
            matrix.to_numpy(dtype=float),
            floor=RUNTIME_FLOOR_S if metric == "runtime_s" else 0.0)
    except ValueError as exc:
        raise BprrError(f"profile: {exc}") from None
    taus = profile_taus(ratios)
    top = float(taus.max()) * 1.25 if taus.max() > 1 else 2.0
    taus = np.append(taus, top)
    rho = performance_profile(ratios, taus)
    fig = _figure()
    ax = fig.add_subplot()
    for s, config in enumerate(matrix.columns):
        ax.step(taus, rho[s], where="post", label=str(config))
    ax.set_xscale("log", base=2)
    ax.set_xlim(1, top)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"tau (ratio to the best {_LABELS.get(metric, metric)})")
    ax.set_ylabel("rho(tau): share of instances")
    ax.set_title(f"performance profile on {_LABELS.get(metric, metric)} "
                 f"({len(matrix)} instances, success = {success})",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig

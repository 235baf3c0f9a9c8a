"""Result files of the paper reproduction: CSVs with fixed float formatting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..fileio import atomic_write_text

__all__ = ["save_results"]


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

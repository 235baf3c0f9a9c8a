"""A rich progress bar for sweeps: ETA and done / failed / skipped counts."""

from __future__ import annotations

from typing import Any

from .runner import SweepCallbacks, SweepSummary

__all__ = ["RichProgress"]


class RichProgress(SweepCallbacks):
    """Sweep callbacks drawing a :mod:`rich` progress bar on ``console``.

    The bar counts the jobs that have to run (stored ones are shown as
    skipped, not as progress, so the ETA reflects real work).  Each failure
    is printed above the bar with its error.

    Parameters
    ----------
    console
        A :class:`rich.console.Console`; default one on stderr.
    label
        Text in front of the bar (the sweep name).
    """

    def __init__(self, console: Any = None, label: str = "sweep") -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.label = label
        self._progress: Any = None
        self._task: Any = None
        self._counts = {"done": 0, "failed": 0, "skipped": 0}

    def on_start(self, total: int, skipped: int) -> None:
        """Start the progress bar."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._counts["skipped"] = skipped
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[done]} done[/] "
                       "[red]{task.fields[failed]} failed[/] "
                       "[dim]{task.fields[skipped]} skipped[/]"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, transient=False)
        self._progress.start()
        self._task = self._progress.add_task(
            self.label, total=total - skipped, **self._counts)

    def on_row(self, row: dict[str, Any], stored: bool) -> None:
        """Advance the bar; print failed jobs above it."""
        if not stored:
            self._counts["skipped"] += 1
        elif row["status"] == "error":
            self._counts["failed"] += 1
            from rich.markup import escape

            self._progress.console.print(
                f"[red]failed[/] {escape(str(row['method']))} on "
                f"{escape(str(row['instance_name']))} (key {row['key'][:12]}): "
                f"{escape(str(row['error']))}", highlight=False)
        else:
            self._counts["done"] += 1
        self._progress.update(self._task, advance=1, **self._counts)

    def on_end(self, summary: SweepSummary) -> None:
        """Stop the progress bar."""
        if self._progress is not None:
            self._progress.stop()

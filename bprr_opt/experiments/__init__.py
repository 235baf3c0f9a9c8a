"""Experiments at scale: sweeps, a crash-safe results store, reports, plots.

The pipeline of ``bprr sweep``::

    load_spec(path) -> SweepSpec            spec.py    (validation, key paths)
    expand_jobs(spec) -> [Job]              jobs.py    (idempotency keys)
    run_sweep(jobs, ResultStore, backend)   runner.py  (process pool or Dask)
    summarize(store.frame())                report.py  (``bprr report``)
    *_figure(...), save_figure(...)         plots.py   (``bprr plot``)

Job kinds (what one job does) are registered in :data:`kinds.KINDS`.
"""

from .analysis import add_config, mean_ci, metric_matrix, wins
from .jobs import (
    InstanceItem,
    Job,
    expand_instances,
    expand_jobs,
    job_key,
    run_job,
)
from .kinds import KINDS, Axis, JobKind, Outcome, get_kind
from .performance_profiles import performance_profile, performance_ratios, profile_taus
from .report import Report, format_markdown, format_text, summarize
from .runner import (
    DaskBackend,
    ProcessPoolBackend,
    SweepCallbacks,
    SweepSummary,
    make_backend,
    run_sweep,
)
from .spec import SpecError, SweepSpec, load_spec, spec_from_dict
from .store import DETERMINISTIC_COLUMNS, ResultStore, StoreError

__all__ = [
    "DETERMINISTIC_COLUMNS",
    "KINDS",
    "Axis",
    "DaskBackend",
    "InstanceItem",
    "Job",
    "JobKind",
    "Outcome",
    "ProcessPoolBackend",
    "Report",
    "ResultStore",
    "SpecError",
    "StoreError",
    "SweepCallbacks",
    "SweepSpec",
    "SweepSummary",
    "add_config",
    "expand_instances",
    "expand_jobs",
    "format_markdown",
    "format_text",
    "get_kind",
    "job_key",
    "load_spec",
    "make_backend",
    "mean_ci",
    "metric_matrix",
    "performance_profile",
    "performance_ratios",
    "profile_taus",
    "run_job",
    "run_sweep",
    "spec_from_dict",
    "summarize",
    "wins",
]

"""Experiments at scale: sweeps, a crash-safe results store, reports, plots.

The pipeline of ``bprr sweep``::

    load_spec(path) -> SweepSpec            spec.py    (validation, key paths)
    expand_jobs(spec) -> [Job]              jobs.py    (idempotency keys)
    run_sweep(jobs, ResultStore, backend)   runner.py  (process pool or Dask)
    summarize(store.frame())                report.py  (``bprr report``)
    *_figure(...), save_figure(...)         plots.py   (``bprr plot``)

Job kinds (what one job does) are registered in :data:`kinds.KINDS`.

The paper's online tables run on the same machinery::

    table3_grid() / table6_grid() / servers_grid()   grids.py       -> [GridPoint]
    run_grid(points, runs, requests=, base_seed=)     grid_runs.py   -> runs frame
    summarize_runs / paired_reduction / diagnostics   analysis.py
    markdown_table / bar_chart / sweep_chart          rendering.py
    save_results                                      result_files.py
"""

from .analysis import (
    add_config,
    diagnostics,
    mean_ci,
    metric_matrix,
    paired_reduction,
    summarize_runs,
    wins,
)
from .grid_runs import run_grid
from .grids import (
    KEYS,
    PROPOSED_A,
    RUN_METRICS,
    TABLE_METHODS,
    GridPoint,
    replicate_seed,
    servers_grid,
    table3_grid,
    table6_grid,
)
from .jobs import (
    InstanceItem,
    Job,
    expand_instances,
    expand_jobs,
    job_key,
    run_job,
)
from .kinds import KINDS, Axis, JobKind, Outcome, get_kind
from .performance_profiles import (
    performance_profile,
    performance_ratios,
    profile_taus,
)
from .rendering import bar_chart, markdown_table, sweep_chart
from .replicates import ReplicateConfig, ReplicateResult, run_point, run_replicate
from .report import Report, format_markdown, format_text, summarize
from .result_files import save_results
from .runner import (
    DaskBackend,
    InProcessBackend,
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
    "KEYS",
    "KINDS",
    "PROPOSED_A",
    "RUN_METRICS",
    "TABLE_METHODS",
    "Axis",
    "DaskBackend",
    "GridPoint",
    "InProcessBackend",
    "InstanceItem",
    "Job",
    "JobKind",
    "Outcome",
    "ProcessPoolBackend",
    "ReplicateConfig",
    "ReplicateResult",
    "Report",
    "ResultStore",
    "SpecError",
    "StoreError",
    "SweepCallbacks",
    "SweepSpec",
    "SweepSummary",
    "add_config",
    "bar_chart",
    "diagnostics",
    "expand_instances",
    "expand_jobs",
    "format_markdown",
    "format_text",
    "get_kind",
    "job_key",
    "load_spec",
    "make_backend",
    "markdown_table",
    "mean_ci",
    "metric_matrix",
    "paired_reduction",
    "performance_profile",
    "performance_ratios",
    "profile_taus",
    "replicate_seed",
    "run_grid",
    "run_job",
    "run_point",
    "run_replicate",
    "run_sweep",
    "save_results",
    "servers_grid",
    "spec_from_dict",
    "summarize",
    "summarize_runs",
    "sweep_chart",
    "table3_grid",
    "table6_grid",
    "wins",
]

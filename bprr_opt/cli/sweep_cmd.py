"""``bprr sweep spec.yaml [--store results.db] [--dask local|ADDRESS]``."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from typing import Any

from ._common import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep", help="run an experiment grid into a results store",
        description="Expand a sweep spec (YAML or JSON) into jobs and run "
                    "those not yet in the store.  Exit 0 when every job "
                    "ran, 1 when some failed (their error is stored), 2 on "
                    "a bad spec, 130 when interrupted.")
    p.add_argument("spec", help="sweep spec file (.yaml/.yml or .json)")
    p.add_argument("--store", default=None,
                   help="SQLite results store (default: <sweep name>.db)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="worker processes (default: CPU count)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run on Dask distributed: 'local' starts a "
                        "LocalCluster, else a scheduler address "
                        "(tcp://host:8786)")
    p.add_argument("--retry-failed", action="store_true",
                   help="run again the jobs stored with status 'error'")
    p.add_argument("--dry-run", action="store_true",
                   help="validate and count the jobs; run nothing")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it is also off when stderr is "
                        "not a terminal)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..experiments.jobs import expand_instances, expand_jobs
    from ..experiments.runner import SweepCallbacks, make_backend, run_sweep
    from ..experiments.spec import load_spec
    from ..experiments.store import ResultStore

    # Everything that can reject the spec happens before the store exists.
    spec = load_spec(args.spec)
    items = expand_instances(spec)
    jobs = expand_jobs(spec, items)
    store_path = args.store or f"{spec.name}.db"
    if args.dry_run:
        print(f"sweep {spec.name}: {len(items)} instances, {len(jobs)} jobs "
              f"(kind {spec.kind}); store {store_path}")
        return 0
    backend = make_backend(args.dask, args.workers)

    class _Failures(SweepCallbacks):
        def on_row(self, row: dict[str, Any], stored: bool) -> None:
            if stored and row["status"] == "error":
                print(f"failed {row['method']} on {row['instance_name']} "
                      f"(key {row['key'][:12]}): {row['error']}",
                      file=sys.stderr)

    if not args.no_progress and sys.stderr.isatty():
        from ..experiments.progress import RichProgress

        callbacks: SweepCallbacks = RichProgress(label=spec.name)
    else:
        callbacks = _Failures()
    with ExitStack() as stack:
        if args.dask and args.dask != "local":
            stack.enter_context(backend)  # an unreachable cluster: no store
        store = stack.enter_context(ResultStore(store_path, create=True))
        summary = run_sweep(jobs, store, backend, instances=items,
                            callbacks=callbacks,
                            retry_failed=args.retry_failed)
    print(f"sweep {spec.name}: {summary.line()} -> {store_path}")
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0

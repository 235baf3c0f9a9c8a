"""``bprr report results.db [--markdown] [--export table.parquet]``."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="summary table of a results store",
        description="Per configuration: jobs, errors, feasible runs, mean "
                    "value, mean gap to the best bound known per instance, "
                    "wins and mean runtime.")
    p.add_argument("store", help="SQLite results store of bprr sweep")
    p.add_argument("--markdown", action="store_true",
                   help="Markdown table instead of fixed-width text")
    p.add_argument("--sweep", default=None, help="only this sweep")
    p.add_argument("--kind", default=None, help="only this job kind")
    p.add_argument("--export", default=None, metavar="FILE",
                   help="also write every job row to FILE (.csv or .parquet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..experiments.report import format_markdown, format_text, summarize
    from ..experiments.store import ResultStore

    with ResultStore(args.store) as store:
        df = store.frame(sweep=args.sweep, kind=args.kind)
        if args.export:
            n = store.export(args.export)
            print(f"exported {n} rows to {args.export}", file=sys.stderr)
    report = summarize(df)
    sys.stdout.write(format_markdown(report) if args.markdown
                     else format_text(report))
    return 0

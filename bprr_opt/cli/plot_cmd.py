"""``bprr plot {placement,cdf,bars,profile} ... -o figure.png``."""

from __future__ import annotations

import argparse

from ..experiments.analysis import METRICS, SUCCESS
from ..experiments.plots import PROFILE_METRICS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="draw a placement or sweep results")
    psub = p.add_subparsers(dest="plot", metavar="PLOT")
    psub.required = True

    pl = psub.add_parser("placement",
                         help="blocks x servers chart of one solution")
    pl.add_argument("instance", help="bprr-instance/1 JSON file")
    pl.add_argument("result", help="bprr-result/1 or bprr-solution/1 JSON")
    pl.add_argument("--title", default=None)

    cdf = psub.add_parser("cdf", help="CDF of a metric per configuration")
    cdf.add_argument("--metric", choices=METRICS, default="value")

    bars = psub.add_parser("bars", help="mean per configuration with CI")
    bars.add_argument("--metric", choices=METRICS, default="value")
    bars.add_argument("--level", type=float, default=0.95,
                      help="confidence level (default 0.95)")

    prof = psub.add_parser("profile",
                           help="Dolan-More performance profile")
    prof.add_argument("--metric", choices=PROFILE_METRICS,
                      default="runtime_s")
    prof.add_argument("--success", choices=SUCCESS, default="feasible",
                      help="what counts as solved (default feasible)")

    for q in (cdf, bars, prof):
        q.add_argument("store", help="SQLite results store of bprr sweep")
        q.add_argument("--sweep", default=None, help="only this sweep")
        q.add_argument("--kind", default=None, help="only this job kind")
    for q in (pl, cdf, bars, prof):
        q.add_argument("-o", "--output", required=True,
                       help="figure file (.png, .pdf, .svg, ...)")
        q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..experiments import plots
    from ..experiments.store import ResultStore

    if args.plot == "placement":
        from ..instance import load_instance
        from ..solution import load_solution

        inst = load_instance(args.instance)
        fig = plots.placement_figure(inst, load_solution(inst, args.result),
                                     title=args.title)
    else:
        with ResultStore(args.store) as store:
            df = store.frame(sweep=args.sweep, kind=args.kind)
        if args.plot == "cdf":
            fig = plots.cdf_figure(df, args.metric)
        elif args.plot == "bars":
            fig = plots.bars_figure(df, args.metric, args.level)
        else:
            fig = plots.profile_figure(df, args.metric, args.success)
    plots.save_figure(fig, args.output)
    print(f"wrote {args.output}")
    return 0

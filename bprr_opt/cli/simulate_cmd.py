"""``bprr simulate scenario.json --algorithm NAME --rate 0.5 --requests 100 --seed 1``.

Runs the online simulator (``bprr_opt.online``) on one scenario for one or
more methods on the same arrivals and prints the paper's metrics: mean
per-token time over all tokens, time to first token, remaining-token time,
waiting time, max concurrency, planned ``R``, runtime.
"""

from __future__ import annotations

import argparse
import json
import math

from ..fileio import atomic_write_text
from ..online.arrivals import trace_arrivals
from ..online.policies import (
    ALIASES,
    PAPER_POLICIES,
    POLICIES,
    OnlineRunParams,
    canonical_policy,
    draw_run,
    run_policies,
)
from ..params import Engine
from ..scenario import Settings, load_scenario
from ._common import positive_float, positive_int

FORMAT = "bprr-simulation/1"


def _policy_list() -> str:
    width = max(len(p) for p in POLICIES)
    lines = [f"  {p.name:<{width}}  {p.summary}" for p in POLICIES.values()]
    lines.append("aliases: " + ", ".join(f"{a} (= {n})"
                                         for a, n in ALIASES.items()))
    lines.append("all: " + ", ".join(PAPER_POLICIES))
    return "policies:\n" + "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate", help="simulate online methods on a scenario",
        description="Simulate online block placement + request routing "
                    "methods on one scenario (bprr generate topology / "
                    "clustered --variant online) and one arrival sequence.",
        epilog=_policy_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="scenario file (bprr-instance/1 with an "
                                    "'online' field)")
    p.add_argument("--algorithm", action="append", default=None,
                   metavar="NAME",
                   help="a policy listed below, or all; repeat or "
                        "comma-separate for several (default cg-bp+ws-rr)")
    p.add_argument("--rate", type=positive_float, default=None,
                   help="Poisson arrival rate in requests per second "
                        "(default 0.5); with --trace it only sets CG-BP's R")
    p.add_argument("--requests", type=positive_int, default=100,
                   help="number of requests (default 100)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the arrivals and of PETALS' join order")
    p.add_argument("--trace", default=None,
                   help="replay the TIMESTAMP column of a CSV trace (e.g. the "
                        "Azure LLM inference trace) instead of Poisson")
    p.add_argument("--trace-start", type=int, default=0,
                   help="first trace row to replay (default 0)")
    p.add_argument("--time-scale", type=positive_float, default=1.0,
                   help="stretch the trace's gaps by this factor (default 1)")
    p.add_argument("--settings", choices=(*Settings, "both"),
                   default="authors",
                   help="authors' constants, equal settings for all methods, "
                        "or both (default authors)")
    p.add_argument("--r-design", type=positive_int, default=None,
                   help="impose CG-BP's design load R (default: from the rate)")
    p.add_argument("--engine", choices=tuple(Engine), default=Engine.NUMBA)
    p.add_argument("--json", action="store_true",
                   help="print the machine-readable JSON document")
    p.add_argument("-o", "--output", default=None,
                   help="also write the JSON document to this file")
    p.set_defaults(func=run)


def _methods(raw: list[str] | None) -> list[str]:
    names: list[str] = []
    for item in raw or ["cg-bp+ws-rr"]:
        for name in item.split(","):
            name = name.strip()
            if name == "all":
                names.extend(PAPER_POLICIES)
            elif name:
                names.append(canonical_policy(name))
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace) -> int:
    methods = _methods(args.algorithm)
    scen = load_scenario(args.scenario)
    rate_s = args.rate
    if args.trace:
        trace = trace_arrivals(args.trace, args.requests,
                               start=args.trace_start,
                               time_scale=args.time_scale)
        draws = draw_run(scen, args.seed, arrivals=trace)
        source = {"trace": args.trace, "start": args.trace_start,
                  "time_scale": args.time_scale}
    else:
        rate_s = 0.5 if rate_s is None else rate_s
        draws = draw_run(scen, args.seed, requests=args.requests,
                         rate_per_ms=rate_s / 1000.0)
        source = {"poisson_rate_per_s": rate_s}
    arrivals = draws.arrivals
    order = list(draws.join_order)
    settings = list(Settings) if args.settings == "both" \
        else [args.settings]
    rows = []
    for s in settings:
        rows.extend(run_policies(scen, arrivals, methods, OnlineRunParams(
            settings=s, rate_per_ms=None if rate_s is None
            else rate_s / 1000.0, r_design=args.r_design,
            join_order=draws.join_order, engine=args.engine)))
    doc = {"format": FORMAT, "scenario": scen.instance.name,
           "requests": len(arrivals), "seed": args.seed, "arrivals": source,
           "join_order": order,
           "results": [_clean(r.to_dict()) for r in rows]}
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    if args.output:
        atomic_write_text(args.output, text)
    if args.json:
        print(text, end="")
    else:
        print(_table(doc))
    return 0


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in d.items()}


def _table(doc: dict) -> str:
    head = ("method", "settings", "per_token_ms", "ttft_ms", "remain_ms",
            "waiting_ms", "max_conc", "R", "A_ms", "runtime_s")
    lines = [f"scenario {doc['scenario']}: {doc['requests']} requests, "
             f"seed {doc['seed']}, arrivals {doc['arrivals']}"]
    rows = []
    for r in doc["results"]:
        def f(x: float | None, d: int = 3) -> str:
            return "-" if x is None else f"{x:.{d}f}"
        rows.append((r["method"], r["settings"], f(r["avg_per_token_ms"]),
                     f(r["avg_ttft_ms"], 1), f(r["avg_remaining_token_ms"]),
                     f(r["avg_waiting_ms"], 1), str(r["max_concurrency"]),
                     "-" if r["planned_R"] is None else str(r["planned_R"]),
                     f(r["allocation_delay_ms"], 0), f(r["runtime_s"], 4)))
    widths = [max(len(h), *(len(row[i]) for row in rows))
              for i, h in enumerate(head)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for row in rows:
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    return "\n".join(lines)

"""``bprr solve [instance.json] --method NAME [options] [--json]``."""

from __future__ import annotations

import argparse
import os
import sys

from ..fileio import atomic_write_text
from ..params import SolveParams
from ..solution import load_solution
from ..solve import ALIASES, METHODS, solve
from ._common import (
    add_instance_arg,
    add_output_args,
    positive_float,
    positive_int,
    read_instance,
)


def _method_list() -> str:
    width = max(len(m) for m in METHODS)
    lines = [f"  {m.name:<{width}}  {m.summary}" for m in METHODS.values()]
    lines.append("deprecated names: " + ", ".join(
        f"{old} (= {new})" for old, new in ALIASES.items()))
    return "methods:\n" + "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve an instance with one method",
                       epilog=_method_list(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_instance_arg(p, optional=True)
    p.add_argument("--method", default="cg-bprr",
                   choices=sorted([*METHODS, *ALIASES]), metavar="NAME",
                   help="method (listed below; default cg-bprr)")
    p.add_argument("--solver", default="highs",
                   help="Pyomo solver for exact methods (default highs)")
    p.add_argument("--time-limit", type=positive_float, default=None,
                   help="seconds")
    p.add_argument("--mip-gap", type=float, default=None)
    p.add_argument("--threads", type=positive_int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--r-design", type=positive_int, default=None,
                   help="CG-BPRR design load (default |R|)")
    p.add_argument("--warm-start", default=None,
                   help="solution/result JSON to start from, or a method "
                        "name (e.g. cg-bprr) whose solution to start from")
    p.add_argument("--placement", default=None, metavar="FILE",
                   help="rr-ilp: solution/result JSON holding the placement "
                        "to route")
    p.add_argument("--allow-unused", action="store_true",
                   help="let servers host no block")
    p.add_argument("--verbose", action="store_true", help="solver log")
    add_output_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inst = read_instance(args.instance)
    warm = args.warm_start
    is_name = warm in METHODS or warm in ALIASES
    if warm is not None and not (is_name and not os.path.exists(warm)):
        warm = load_solution(inst, warm)  # a file of that name wins
    placement = None
    if args.placement is not None:
        placement = load_solution(inst, args.placement).placement
    elif args.method == "rr-ilp" and warm is not None:
        print("warning: rr-ilp: taking the placement from --warm-start is "
              "deprecated, use --placement FILE", file=sys.stderr)
    params = SolveParams(solver=args.solver, time_limit=args.time_limit,
                         mip_gap=args.mip_gap, threads=args.threads,
                         seed=args.seed, r_design=args.r_design,
                         warm_start=warm, allow_unused=args.allow_unused,
                         verbose=args.verbose)
    res = solve(inst, args.method, params, placement=placement)
    text = res.to_json()
    if args.output:
        atomic_write_text(args.output, text)
    print(text if args.json else res.summary(), end="" if args.json else "\n")
    return 0 if res.status.value in ("optimal", "feasible") else 1

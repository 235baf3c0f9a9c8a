"""``bprr solve [instance.json] --method NAME [options] [--json]``."""

from __future__ import annotations

import argparse
import os

from ..fileio import atomic_write_text
from ..params import SolveParams
from ..solution import load_solution
from ..solve import METHODS, solve
from ._common import (
    add_instance_arg,
    add_output_args,
    positive_float,
    positive_int,
    read_instance,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve an instance with one method")
    add_instance_arg(p, optional=True)
    p.add_argument("--method", default="cg-bprr", choices=sorted(METHODS),
                   help="default cg-bprr")
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
    p.add_argument("--allow-unused", action="store_true",
                   help="let servers host no block")
    p.add_argument("--verbose", action="store_true", help="solver log")
    add_output_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inst = read_instance(args.instance)
    warm = args.warm_start
    if warm is not None and not (warm in METHODS
                                 and not os.path.exists(warm)):
        warm = load_solution(inst, warm)
    params = SolveParams(solver=args.solver, time_limit=args.time_limit,
                         mip_gap=args.mip_gap, threads=args.threads,
                         seed=args.seed, r_design=args.r_design,
                         warm_start=warm, allow_unused=args.allow_unused,
                         verbose=args.verbose)
    res = solve(inst, args.method, params)
    text = res.to_json()
    if args.output:
        atomic_write_text(args.output, text)
    print(text if args.json else res.summary(), end="" if args.json else "\n")
    return 0 if res.status.value in ("optimal", "feasible") else 1

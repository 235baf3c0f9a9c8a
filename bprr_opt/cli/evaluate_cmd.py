"""``bprr evaluate instance.json solution.json [--json]``."""

from __future__ import annotations

import argparse
import time

from ..evaluate import evaluate
from ..instance import load_instance
from ..fileio import atomic_write_text
from ..result import Result, Status
from ..solution import load_solution
from ._common import add_output_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate",
                       help="judge a placement + routing with the evaluator")
    p.add_argument("instance")
    p.add_argument("solution",
                   help="bprr-solution/1 or bprr-result/1 JSON file")
    p.add_argument("--require-all-used", action="store_true",
                   help="reject servers hosting no block (paper's m_j >= 1)")
    add_output_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inst = load_instance(args.instance)
    sol = load_solution(inst, args.solution)
    t0 = time.perf_counter()
    ev = evaluate(inst, sol, allow_unused=not args.require_all_used)
    status = Status.FEASIBLE if ev.feasible else Status.INFEASIBLE
    res = Result(inst, "evaluate", status, sol, ev, None,
                 time.perf_counter() - t0)
    if args.output:
        atomic_write_text(args.output, res.to_json())
    if args.json:
        print(res.to_json(), end="")
    else:
        print(ev.summary())
    return 0 if ev.feasible else 1

"""``bprr bound [instance.json] [--methods NAME ...] [--json] [-o FILE]``."""

from __future__ import annotations

import argparse
import json
import math

from ..bounds import BOUNDS, best_lower_bound
from ..fileio import atomic_write_text
from ._common import add_instance_arg, add_output_args, read_instance


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bound", help="proven lower bounds on the optimal avg per-token time")
    add_instance_arg(p, optional=True)
    p.add_argument("--methods", nargs="+", choices=sorted(BOUNDS),
                   default=None, metavar="NAME",
                   help=f"bounds to run ({', '.join(BOUNDS)}); default "
                        "chain-dp and transport, plus lp-paper on small "
                        "instances")
    add_output_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inst = read_instance(args.instance)
    lbs = best_lower_bound(inst, methods=args.methods)
    doc = {"instance": inst.name, **lbs.to_dict()}
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    if args.output:
        atomic_write_text(args.output, text)
    if args.json:
        print(text, end="")
        return 0
    width = max(len("best"), *(len(k) for k in lbs.bounds))
    print(f"instance: {inst.name}  (lower bounds on avg_per_token_ms)")
    for name, value in lbs.bounds.items():
        print(f"  {name:<{width}}  {_show(value)}  "
              f"({lbs.runtime_s[name]:.3f} s)")
    print(f"  {'best':<{width}}  {_show(lbs.best)}  ({lbs.best_method})")
    if lbs.proves_infeasible:
        print("the instance has no feasible solution")
    return 0


def _show(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.6f}"

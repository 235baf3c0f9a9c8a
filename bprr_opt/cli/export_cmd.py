"""``bprr export [instance.json] --format mps|lp -o model.mps``."""

from __future__ import annotations

import argparse
import sys

from ..exact.export import EXPORT_FORMATS, EXPORT_MODELS, export_model, model_text
from ._common import add_instance_arg, read_instance


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="write the MILP as an MPS or LP file",
        description="Write the paper's MILP (13) -- or the interval-flow "
                    "MILP with --model interval -- of an instance as MPS or "
                    "LP (objective (13a) = l_max * |R| * avg_per_token_ms).")
    add_instance_arg(p, optional=True)
    p.add_argument("--format", choices=EXPORT_FORMATS, default=None,
                   help="default: from the suffix of -o, else mps")
    p.add_argument("--model", choices=EXPORT_MODELS, default="paper",
                   help="formulation (default paper)")
    p.add_argument("--allow-unused", action="store_true",
                   help="let servers host no block (m_j >= 0)")
    p.add_argument("-o", "--output", default=None,
                   help="output file (default: standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inst = read_instance(args.instance)
    if args.output:
        fmt = export_model(inst, args.output, args.format, model=args.model,
                           allow_unused=args.allow_unused)
        print(f"wrote {args.output} ({fmt}, model {args.model})",
              file=sys.stderr)
    else:
        sys.stdout.write(model_text(inst, args.format or "mps",
                                    model=args.model,
                                    allow_unused=args.allow_unused))
    return 0

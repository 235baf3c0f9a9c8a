"""``bprr generate {random,clustered,partition,topology} ... -o file.json``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..generators import GENERATORS, MEMORY_REGIMES, generate
from ..instance import Instance, save_instance
from ._common import nonneg_int, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write a seeded instance")
    # the subcommands name registry generators (bprr_opt.generators)
    gsub = p.add_subparsers(dest="kind", metavar="KIND")
    gsub.required = True

    r = gsub.add_parser("random", help=GENERATORS["random"].summary)
    r.add_argument("--servers", type=positive_int, default=5)
    r.add_argument("--clients", type=positive_int, default=1)
    r.add_argument("--requests", type=nonneg_int, default=3,
                   help="requests per client (default 3)")
    r.add_argument("--L", dest="L", type=positive_int, default=8)
    r.add_argument("--regime", choices=MEMORY_REGIMES, default="medium")
    r.add_argument("--l-max", type=positive_int, default=1)
    r.add_argument("--prefill", action="store_true")
    r.add_argument("--seed", type=int, required=True)

    c = gsub.add_parser("clustered", help=GENERATORS["clustered"].summary)
    c.add_argument("--variant", choices=("offline", "online"), default="offline")
    c.add_argument("--clients", type=positive_int, default=1)
    c.add_argument("--requests", type=nonneg_int, default=3)
    c.add_argument("--l-max", type=positive_int, default=None)
    c.add_argument("--L", dest="L", type=positive_int, default=70)
    c.add_argument("--seed", type=int, default=0)

    g = gsub.add_parser("partition", help=GENERATORS["partition"].summary)
    g.add_argument("weights", type=int, nargs="+",
                   help="positive integers with an even sum")

    t = gsub.add_parser("topology", help=GENERATORS["topology"].summary
                        + " (bprr simulate)")
    t.add_argument("--graph", default="Abvt",
                   help="Abvt (AboveNet), Bellcanada, GtsCe or AttMpls")
    t.add_argument("--servers", type=positive_int, default=None,
                   help="servers C (default round(0.4 * nodes))")
    t.add_argument("--eta", type=float, default=0.2,
                   help="fraction of A100 servers (default 0.2)")
    t.add_argument("--l-max", type=positive_int, default=128)
    t.add_argument("--l-in", type=nonneg_int, default=20)
    t.add_argument("--memory", choices=("main", "single", "large"),
                   default="main", help="GPU memory preset (default main)")
    t.add_argument("--seed", type=int, required=True)

    for q in (r, c, g, t):
        q.add_argument("-o", "--output", default=None,
                       help="output file (default: stdout)")
        q.add_argument("--name", default=None)
        q.set_defaults(func=run)


def generator_call(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The registry generator and keyword arguments a parsed command means.

    Arguments equal to the generator function's own defaults are left out,
    so the same command always gives the same (shortest) parameters.
    """
    if args.kind == "random":
        kind, params = "random", dict(
            n_servers=args.servers, n_clients=args.clients,
            requests=args.requests, L=args.L, regime=args.regime,
            seed=args.seed, l_max=args.l_max, prefill=args.prefill,
            name=args.name)
    elif args.kind == "clustered":
        kind, params = "clustered", dict(
            n_clients=args.clients, requests=args.requests,
            l_max=args.l_max, L=args.L, variant=args.variant, seed=args.seed,
            name=args.name)
    elif args.kind == "topology":
        kind, params = "topology", dict(
            graph=args.graph, n_servers=args.servers, eta=args.eta,
            seed=args.seed, l_max=args.l_max, l_in=args.l_in,
            memory=args.memory, name=args.name)
    else:
        kind, params = "partition", dict(weights=args.weights,
                                         name=args.name)
    return kind, GENERATORS[kind].minimal(params)


def write_instance(inst: Instance, output: str | None) -> None:
    """Save ``inst`` to ``output`` atomically, or print it."""
    if output:
        save_instance(inst, output)
    else:
        sys.stdout.write(inst.to_json())


def run(args: argparse.Namespace) -> int:
    kind, params = generator_call(args)
    write_instance(generate(kind, params), args.output)
    return 0

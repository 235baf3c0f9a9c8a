"""``bprr generate {random,clustered,partition,topology} ... -o file.json``."""

from __future__ import annotations

import argparse
import sys

from ..generators import (
    MEMORY_REGIMES,
    clustered_instance,
    partition_instance,
    random_instance,
)
from ..instance import save_instance
from ._common import nonneg_int, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write a seeded instance")
    gsub = p.add_subparsers(dest="kind", metavar="KIND")
    gsub.required = True

    r = gsub.add_parser("random", help="random instance")
    r.add_argument("--servers", type=positive_int, default=5)
    r.add_argument("--clients", type=positive_int, default=1)
    r.add_argument("--requests", type=nonneg_int, default=3,
                   help="requests per client (default 3)")
    r.add_argument("--L", dest="L", type=positive_int, default=8)
    r.add_argument("--regime", choices=MEMORY_REGIMES, default="medium")
    r.add_argument("--l-max", type=positive_int, default=1)
    r.add_argument("--prefill", action="store_true")
    r.add_argument("--seed", type=int, required=True)

    c = gsub.add_parser("clustered", help="the paper's 7 MIG + 2 A100 scenario")
    c.add_argument("--variant", choices=("offline", "online"), default="offline")
    c.add_argument("--clients", type=positive_int, default=1)
    c.add_argument("--requests", type=nonneg_int, default=3)
    c.add_argument("--l-max", type=positive_int, default=None)
    c.add_argument("--L", dest="L", type=positive_int, default=70)
    c.add_argument("--seed", type=int, default=0)

    g = gsub.add_parser("partition", help="PARTITION reduction gadget")
    g.add_argument("weights", type=int, nargs="+",
                   help="positive integers with an even sum")

    t = gsub.add_parser("topology", help="scattered online scenario on a "
                        "Topology Zoo graph (bprr simulate)")
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


def run(args: argparse.Namespace) -> int:
    if args.kind == "random":
        inst = random_instance(args.servers, args.clients, args.requests, args.L,
                               regime=args.regime, seed=args.seed,
                               l_max=args.l_max, prefill=args.prefill,
                               name=args.name)
    elif args.kind == "clustered":
        inst = clustered_instance(args.clients, args.requests, args.l_max,
                                  L=args.L, variant=args.variant,
                                  seed=args.seed, name=args.name)
    elif args.kind == "topology":
        from ..generators.topology import topology_scenario

        inst = topology_scenario(args.graph, args.servers, args.eta,
                                 seed=args.seed, l_max=args.l_max,
                                 l_in=args.l_in, memory=args.memory,
                                 name=args.name).to_instance()
    else:
        inst = partition_instance(args.weights, name=args.name)
    if args.output:
        save_instance(inst, args.output)
    else:
        sys.stdout.write(inst.to_json())
    return 0

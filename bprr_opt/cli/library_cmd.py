"""``bprr library {list,verify,generate}``: the certified instance library."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..generators import GENERATORS, generate
from ..library import load_index, verify_library
from ._common import positive_int
from .generate_cmd import write_instance


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("library", help="the instance library (instances/)")
    lsub = p.add_subparsers(dest="action", metavar="ACTION")
    lsub.required = True

    ls = lsub.add_parser("list", help="table of the library's index")
    v = lsub.add_parser(
        "verify", help="re-evaluate every stored solution and re-check the "
                       "index (hashes, generators, values, bounds, statuses)")
    for q in (ls, v):
        q.add_argument("--dir", default="instances",
                       help="library folder holding index.json "
                            "(default instances)")
    v.add_argument("--no-regenerate", action="store_true",
                   help="skip re-running the generator commands")
    ls.set_defaults(func=run_list)
    v.set_defaults(func=run_verify)

    g = lsub.add_parser("generate", help="write an instance of a library "
                        "family that bprr generate does not cover")
    gsub = g.add_subparsers(dest="kind", metavar="KIND")
    gsub.required = True
    w = gsub.add_parser("worst-case", help=GENERATORS["worst-case"].summary)
    w.add_argument("--L", dest="L", type=positive_int, required=True)
    w.add_argument("--t", type=float, default=10.0, help="RTT (default 10)")
    w.add_argument("--tau", type=float, default=1.0,
                   help="per-block time (default 1)")
    t = gsub.add_parser("topology",
                        help=GENERATORS["offline-topology"].summary)
    t.add_argument("--graph", default="Abvt")
    t.add_argument("--servers", type=positive_int, default=None)
    t.add_argument("--eta", type=float, default=0.2)
    t.add_argument("--requests", type=int, default=10)
    t.add_argument("--l-max", type=positive_int, default=128)
    t.add_argument("--seed", type=int, required=True)
    for q in (w, t):
        q.add_argument("-o", "--output", default=None,
                       help="output file (default: stdout)")
        q.add_argument("--name", default=None)
        q.set_defaults(func=run_generate)


def _num(x: float | None, fmt: str = ".6f") -> str:
    return "-" if x is None else format(x, fmt)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
                     .rstrip() for r in rows)


_HEAD = ("name", "family", "servers", "clients", "requests", "L",
         "best_known", "best_bound", "gap", "status")


def _cells(e) -> tuple[str, ...]:
    gap = "-" if e.gap is None else f"{100 * e.gap:.3f}%"
    return (e.name, e.family, str(e.size["servers"]), str(e.size["clients"]),
            str(e.size["requests"]), str(e.size["L"]), _num(e.best_known),
            _num(e.best_bound), gap, e.status)


def run_list(args: argparse.Namespace) -> int:
    entries = load_index(args.dir)
    print(_table([_HEAD, *(_cells(e) for e in entries)]))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    rows = verify_library(args.dir, regenerate=not args.no_regenerate)
    table = [(*_HEAD, "evaluated", "check")]
    for r in rows:
        table.append((*_cells(r.entry), _num(r.value),
                      "ok" if r.ok else "FAIL"))
    print(_table(table))
    problems = [p for r in rows for p in r.problems]
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    bad = sum(not r.ok for r in rows)
    print(f"{len(rows) - bad} of {len(rows)} entries verified"
          + (f", {len(problems)} problem(s)" if problems else ""))
    return 1 if problems else 0


def generator_call(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The registry generator and keyword arguments of a parsed
    ``bprr library generate`` command (defaults left out)."""
    if args.kind == "worst-case":
        kind, params = "worst-case", dict(L=args.L, t=args.t, tau=args.tau,
                                          name=args.name)
    else:
        kind, params = "offline-topology", dict(
            graph=args.graph, n_servers=args.servers, eta=args.eta,
            requests=args.requests, seed=args.seed, l_max=args.l_max,
            name=args.name)
    return kind, GENERATORS[kind].minimal(params)


def run_generate(args: argparse.Namespace) -> int:
    kind, params = generator_call(args)
    write_instance(generate(kind, params), args.output)
    return 0

"""``bprr validate file.json``."""

from __future__ import annotations

import argparse

from ..instance import load_instance


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check an instance file")
    p.add_argument("instance")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inst = load_instance(args.instance)
    print(f"ok: {inst.name}: {inst.num_servers} servers, {inst.num_clients} "
          f"clients, {inst.num_requests} requests, L = {inst.L}")
    return 0

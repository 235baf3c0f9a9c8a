"""The ``bprr`` command line: thin argparse layer over library functions.

Each subcommand lives in its own module of this package exposing
``register(subparsers)``; the module sets ``func`` on its parser, a function
``(args) -> int``.  Errors raised on purpose (:class:`BprrError`, bad values)
are printed as one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import BprrError

__all__ = ["COMMANDS", "main"]

# Subcommand modules, in help order.  Missing modules are skipped, so parts of
# the package can be built independently.
COMMANDS = ("generate", "validate", "evaluate", "solve", "bound", "export",
            "simulate", "sweep", "report", "plot", "library", "bench")

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """Argparse with the package's error convention: one line on stderr
    (``error: <prog>: <problem>``), exit code 2; ``--help`` shows usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(
        prog="bprr",
        description="Block placement and request routing for distributed "
                    "LLM inference.")
    parser.add_argument("--version", action="version",
                        version=f"bprr-opt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        modname = f"{__name__}.{name}_cmd"
        if importlib.util.find_spec(modname) is None:
            continue
        importlib.import_module(modname).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 failure, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (BprrError, ValueError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into head
        return 0

"""The ``bprr`` command line: thin argparse layer over library functions.

Each subcommand lives in its own module of this package exposing
``register(subparsers)``; the module sets ``func`` on its parser, a function
``(args) -> int``.  :data:`COMMANDS` lists them in help order.  Errors raised
on purpose (:class:`BprrError`, bad values) are printed as one line on stderr
with exit code 2; warnings (deprecated names) as one line each.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from .._version import __version__
from ..errors import BprrError
from . import (
    bound_cmd,
    evaluate_cmd,
    export_cmd,
    generate_cmd,
    library_cmd,
    plot_cmd,
    report_cmd,
    simulate_cmd,
    solve_cmd,
    sweep_cmd,
    validate_cmd,
)

__all__ = ["COMMANDS", "main"]

# Subcommand modules, in help order.
COMMANDS = (generate_cmd, validate_cmd, evaluate_cmd, solve_cmd, bound_cmd,
            export_cmd, simulate_cmd, sweep_cmd, report_cmd, plot_cmd,
            library_cmd)

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """Argparse with the package's error convention: one line on stderr
    (``error: <prog>: <problem>``), exit code 2; ``--help`` shows usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``bprr`` parser with every subcommand of :data:`COMMANDS`."""
    parser = _Parser(
        prog="bprr",
        description="Block placement and request routing for distributed "
                    "LLM inference.")
    parser.add_argument("--version", action="version",
                        version=f"bprr-opt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMANDS:
        module.register(sub)
    return parser


def _one_line(message: Any, category: type[Warning], *args: Any,
              **kwargs: Any) -> None:
    print(f"warning: {str(message).splitlines()[0]}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 failure, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("once", FutureWarning)
        warnings.showwarning = _one_line
        try:
            return int(args.func(args) or 0)
        except (BprrError, ValueError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"error: {msg}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:  # e.g. piped into head
            return 0

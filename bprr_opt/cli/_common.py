"""Argument helpers shared by subcommands."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from ..instance import Instance, load_instance

DEFAULT_INSTANCE = "clustered-9s-3r"


def default_instance_path() -> Path:
    """The bundled default instance (the authors' 9-server MILP test case)."""
    return Path(str(resources.files("bprr_opt").joinpath(
        "data", f"{DEFAULT_INSTANCE}.json")))


def add_instance_arg(p: argparse.ArgumentParser, optional: bool = False) -> None:
    """Add the positional instance file argument (optional: the bundled default)."""
    if optional:
        p.add_argument("instance", nargs="?", default=None,
                       help="bprr-instance/1 JSON file (default: the bundled "
                            f"{DEFAULT_INSTANCE} instance)")
    else:
        p.add_argument("instance", help="bprr-instance/1 JSON file")


def read_instance(path: str | None) -> Instance:
    """Load the instance at ``path``, or the bundled default when ``None``."""
    return load_instance(path if path is not None else default_instance_path())


def add_output_args(p: argparse.ArgumentParser) -> None:
    """Add ``--json`` and ``-o/--output``."""
    p.add_argument("--json", action="store_true",
                   help="print the machine-readable JSON document")
    p.add_argument("-o", "--output", default=None,
                   help="also write the JSON document to this file")


def positive_int(text: str) -> int:
    """Argparse type: an integer >= 1."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}")
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def nonneg_int(text: str) -> int:
    """Argparse type: an integer >= 0."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}")
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def positive_float(text: str) -> float:
    """Argparse type: a number > 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}")
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v

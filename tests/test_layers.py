"""Tests of the package architecture: the import-linter layer contract of
``pyproject.toml`` holds, and no module-level import cycle exists anywhere
in the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parent.parent


def test_layer_contract_is_kept():
    """Tests that ``lint-imports`` (the [tool.importlinter] contract: one-way
    layers, lazy imports included) passes on the package."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename='pyproject.toml', "
            "no_cache=True, no_logo=True))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_no_module_level_import_cycle():
    """Tests that the module import graph of the whole package (every
    module, not only between subpackages; function-level imports count)
    has no cycle."""
    graph = grimp.build_graph("bprr_opt", cache_dir=None)
    g = nx.DiGraph()
    for m in graph.modules:
        g.add_node(m)
        for d in graph.find_modules_directly_imported_by(m):
            g.add_edge(m, d)
    cycles = list(nx.simple_cycles(g))
    assert cycles == [], cycles[:5]

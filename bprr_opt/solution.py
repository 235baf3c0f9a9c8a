"""Placement + routing: the one solution type every algorithm returns.

Internally servers and clients are referred to by their position in the
instance (fast, numpy-friendly); JSON documents name them by id.  A
:class:`Solution` holds raw decisions only -- whether it is feasible and what
it costs is for :func:`bprr_opt.evaluate.evaluate` alone to say.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SolutionError
from .fileio import atomic_write_text, read_json
from .instance import Instance
from .numerics import memory_fits

__all__ = [
    "SOLUTION_FORMAT",
    "Placement",
    "Route",
    "Solution",
    "load_solution",
    "save_solution",
    "solution_from_dict",
    "solution_to_dict",
    "with_idle_blocks",
]

SOLUTION_FORMAT = "bprr-solution/1"


@dataclass(frozen=True)
class Placement:
    """Block placement: server ``j`` hosts blocks ``a_j .. a_j + m_j - 1``.

    ``first_block[j]`` is 1-based; a server with ``num_blocks[j] == 0`` hosts
    nothing (its ``first_block`` is then 0 by convention and is ignored).
    """

    first_block: tuple[int, ...]
    num_blocks: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.first_block) != len(self.num_blocks):
            raise SolutionError(
                "placement: first_block and num_blocks differ in length, got "
                f"{len(self.first_block)} and {len(self.num_blocks)}")
        object.__setattr__(self, "first_block",
                           tuple(int(a) for a in self.first_block))
        object.__setattr__(self, "num_blocks",
                           tuple(int(m) for m in self.num_blocks))

    @classmethod
    def from_arrays(cls, first_block: Iterable[Any],
                    num_blocks: Iterable[Any]) -> Placement:
        """Build from any integer sequences (e.g. numpy arrays)."""
        m = [int(x) for x in num_blocks]
        a = [int(x) if mj > 0 else 0 for x, mj in zip(first_block, m)]
        return cls(tuple(a), tuple(m))

    def end(self, j: int) -> int:
        """Return ``a_j + m_j``, the first block *after* server ``j``'s range."""
        return self.first_block[j] + self.num_blocks[j]

    def is_used(self, j: int) -> bool:
        """Whether server ``j`` hosts at least one block."""
        return self.num_blocks[j] > 0


@dataclass(frozen=True)
class Route:
    """``count`` requests of client ``client`` traverse ``servers`` in order."""

    client: int
    servers: tuple[int, ...]
    count: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "servers", tuple(int(j) for j in self.servers))


@dataclass(frozen=True)
class Solution:
    """A placement and a list of routes (several per client allowed)."""

    placement: Placement
    routes: tuple[Route, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", tuple(self.routes))


def with_idle_blocks(instance: Instance, solution: Solution
                     ) -> tuple[Solution, tuple[str, ...], tuple[str, ...]]:
    """Give every server that hosts nothing one idle block (block 1).

    This is how a solution with idle servers meets the paper's convention
    ``m_j >= 1``: no route uses an idle block, so only the server's memory
    changes (by ``s_m``), never a cost.

    Returns
    -------
    (padded, given, unable)
        The padded solution, the ids of the servers that got a block, and
        the ids of idle servers that cannot hold one (``M_j < s_m``; they
        are left empty, so the padded solution still breaks ``m_j >= 1``).
    """
    a = list(solution.placement.first_block)
    m = list(solution.placement.num_blocks)
    given: list[str] = []
    unable: list[str] = []
    for j, s in enumerate(instance.servers):
        if m[j] == 0:
            if memory_fits(instance.s_m, s.memory):
                a[j], m[j] = 1, 1
                given.append(s.id)
            else:
                unable.append(s.id)
    if not given:
        return solution, (), tuple(unable)
    return (Solution(Placement(tuple(a), tuple(m)), solution.routes),
            tuple(given), tuple(unable))


# ---------------------------------------------------------------------------
# JSON (ids, 1-based blocks)
# ---------------------------------------------------------------------------

def solution_to_dict(instance: Instance, solution: Solution) -> dict[str, Any]:
    """Return ``{"placement": [...], "routes": [...]}`` naming servers by id.

    Servers that host nothing are left out of ``placement``.
    """
    pl = solution.placement
    placement = [
        {"server": instance.servers[j].id,
         "first_block": pl.first_block[j],
         "num_blocks": pl.num_blocks[j]}
        for j in range(len(pl.num_blocks)) if pl.num_blocks[j] > 0
    ]
    routes = [
        {"client": instance.clients[r.client].id,
         "count": r.count,
         "servers": [instance.servers[j].id for j in r.servers]}
        for r in solution.routes
    ]
    return {"placement": placement, "routes": routes}


def _int_field(value: Any, path: str) -> int:
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    ):
        raise SolutionError(f"{path}: must be an integer, got {value!r}")
    return int(value)


def solution_from_dict(instance: Instance, doc: Any) -> Solution:
    """Parse the ``placement`` and ``routes`` of a solution or result document.

    Accepts a ``bprr-solution/1`` document or a ``bprr-result/1`` one (its
    ``placement``/``routes`` fields).  Servers absent from ``placement`` host
    nothing.  Only the *shape* is checked here (known ids, integer fields);
    feasibility is the evaluator's job.

    Raises
    ------
    SolutionError
        One-line message naming the bad field and value.
    """
    if not isinstance(doc, Mapping):
        raise SolutionError(f"solution: must be a JSON object, got {doc!r}")
    n = instance.num_servers
    a = [0] * n
    m = [0] * n
    placement = doc.get("placement")
    if not isinstance(placement, Sequence) or isinstance(placement, str):
        raise SolutionError(f"placement: must be a list, got {placement!r}")
    seen: set[int] = set()
    for i, row in enumerate(placement):
        p = f"placement[{i}]"
        if not isinstance(row, Mapping):
            raise SolutionError(f"{p}: must be an object, got {row!r}")
        sid = row.get("server")
        try:
            j = instance.server_index(sid)
        except (KeyError, TypeError):
            raise SolutionError(f"{p}.server: unknown server {sid!r}") from None
        if j in seen:
            raise SolutionError(f"{p}.server: listed twice, got {sid!r}")
        seen.add(j)
        if "num_blocks" not in row:
            raise SolutionError(f"{p}.num_blocks: missing required field")
        m[j] = _int_field(row["num_blocks"], f"{p}.num_blocks")
        fb = row.get("first_block", 0 if m[j] == 0 else None)
        if fb is None:
            raise SolutionError(f"{p}.first_block: missing required field")
        a[j] = _int_field(fb, f"{p}.first_block")
    routes_raw = doc.get("routes")
    if not isinstance(routes_raw, Sequence) or isinstance(routes_raw, str):
        raise SolutionError(f"routes: must be a list, got {routes_raw!r}")
    routes = []
    for i, row in enumerate(routes_raw):
        p = f"routes[{i}]"
        if not isinstance(row, Mapping):
            raise SolutionError(f"{p}: must be an object, got {row!r}")
        cid = row.get("client")
        try:
            c = instance.client_index(cid)
        except (KeyError, TypeError):
            raise SolutionError(f"{p}.client: unknown client {cid!r}") from None
        count = _int_field(row.get("count"), f"{p}.count")
        chain = row.get("servers")
        if not isinstance(chain, Sequence) or isinstance(chain, str):
            raise SolutionError(f"{p}.servers: must be a list, got {chain!r}")
        idx = []
        for h, sid in enumerate(chain):
            try:
                idx.append(instance.server_index(sid))
            except (KeyError, TypeError):
                raise SolutionError(
                    f"{p}.servers[{h}]: unknown server {sid!r}") from None
        routes.append(Route(c, tuple(idx), count))
    return Solution(Placement(tuple(a), tuple(m)), tuple(routes))


def load_solution(instance: Instance, path: str | Path) -> Solution:
    """Read a solution (or result) JSON file for ``instance``."""
    return solution_from_dict(instance, read_json(path, SolutionError))


def save_solution(instance: Instance, solution: Solution,
                  path: str | Path) -> None:
    """Write ``solution`` as a ``bprr-solution/1`` document, atomically."""
    doc = {"format": SOLUTION_FORMAT, "instance": instance.name}
    doc.update(solution_to_dict(instance, solution))
    atomic_write_text(path, json.dumps(doc, indent=1) + "\n")

"""The certified instance library: index, generators of its own families, verify.

A library is a folder (``instances/`` in the repository) holding

* ``index.json`` (``bprr-library/1``): one entry per instance with its file
  and SHA-256, family, size, the command that regenerates it byte for byte,
  the best known value (``avg_per_token_ms``), the best proven lower bound,
  ``status`` (``proven_optimal`` or ``open``), which method and solver found
  the value, and the stored solution;
* ``problems/<name>.json``: the instances (``bprr-instance/1``);
* ``solutions/<name>.json``: the best known solutions (``bprr-solution/1``).

:func:`verify_library` re-checks all of it without solving anything: the
evaluator re-judges every stored solution, the values and bounds must agree
with the index, the files must hash to the index's SHA-256 and the generator
commands must regenerate the same bytes.  PARTITION gadgets also have their
known answer re-derived by a subset-sum DP.

Two families have no ``bprr generate`` command of their own: the paper's
worst-case family of CG-BPRR
(:func:`~bprr_opt.generators.worst_case_instance`) and offline instances on
the Topology Zoo scenarios
(:func:`~bprr_opt.generators.offline_topology_instance`); ``bprr library
generate`` writes them.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §3 (Theorem 3.5 and the
       worst-case family), §5 (scenarios).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BprrError
from .evaluate import evaluate
from .fileio import read_json
from .instance import Instance, load_instance
from .solution import load_solution

__all__ = [
    "INDEX_FILE",
    "LIBRARY_FORMAT",
    "STATUSES",
    "LibraryEntry",
    "LibraryError",
    "VerifyRow",
    "file_sha256",
    "load_index",
    "partition_answer",
    "verify_library",
]

LIBRARY_FORMAT = "bprr-library/1"
INDEX_FILE = "index.json"
STATUSES = ("proven_optimal", "open")
REL_TOL = 1e-6  # value vs index, bound vs value (as build_result)


class LibraryError(BprrError, ValueError):
    """Malformed library index; one line naming the entry and field."""


# ---------------------------------------------------------------------------
# the library's own families
# ---------------------------------------------------------------------------

def partition_answer(weights: Sequence[int]) -> bool:
    """Whether some subset of ``weights`` sums to half their total.

    Subset-sum DP over reachable sums, ``O(n sum(weights))``.
    """
    total = sum(weights)
    if total % 2:
        return False
    reach = 1  # bit s set: some subset sums to s
    for w in weights:
        reach |= reach << w
    return bool(reach >> (total // 2) & 1)


# ---------------------------------------------------------------------------
# the index
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LibraryEntry:
    """One instance of the library, as the index describes it.

    Attributes
    ----------
    name, family
        Instance name (unique) and family (``tiny-random``, ``clustered``,
        ...).
    file, sha256
        Instance file (relative to the library folder) and its SHA-256.
    size
        ``servers``, ``clients``, ``requests`` and ``L``.
    command
        ``bprr ...`` command that writes the instance to stdout (or with
        ``-o FILE``), byte for byte; ``None`` for hand-made instances.
    seed
        The generator's seed (``None`` if it has none).
    best_known, best_bound
        Best known ``avg_per_token_ms`` (``None`` if no solution is known)
        and the best proven lower bound.
    status
        ``proven_optimal`` (bound meets value) or ``open``.
    solution
        Stored solution file (relative), or ``None``.
    found_by, bound_by
        Provenance of the value and of the bound (method, solver, version).
    known_answer
        Facts known independently (PARTITION: ``{"partition": bool,
        "threshold": 2W}``).
    raw
        The whole index entry.
    """

    name: str
    family: str
    file: str
    sha256: str
    size: Mapping[str, int]
    command: str | None
    seed: int | None
    best_known: float | None
    best_bound: float | None
    status: str
    solution: str | None
    found_by: Mapping[str, Any] = field(default_factory=dict)
    bound_by: Mapping[str, Any] = field(default_factory=dict)
    known_answer: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def gap(self) -> float | None:
        """``(best_known - best_bound) / best_known`` (``None`` if unknown)."""
        v, b = self.best_known, self.best_bound
        if v is None or b is None or not math.isfinite(b):
            return None
        return 0.0 if v == 0 else max(0.0, (v - b) / v)


def _field(doc: Mapping[str, Any], key: str, path: str,
           kinds: tuple[type, ...], optional: bool = False) -> Any:
    if key not in doc or doc[key] is None:
        if optional:
            return None
        raise LibraryError(f"{path}.{key}: missing required field")
    value = doc[key]
    if isinstance(value, bool) and bool not in kinds or \
            not isinstance(value, kinds):
        raise LibraryError(f"{path}.{key}: must be "
                           f"{' or '.join(k.__name__ for k in kinds)}, "
                           f"got {value!r}")
    return value


def _entry(doc: Any, path: str) -> LibraryEntry:
    if not isinstance(doc, Mapping):
        raise LibraryError(f"{path}: must be an object, got {doc!r}")
    name = _field(doc, "name", path, (str,))
    status = _field(doc, "status", path, (str,))
    if status not in STATUSES:
        raise LibraryError(f"{path}.status: must be one of "
                           f"{', '.join(STATUSES)}, got {status!r}")
    size = _field(doc, "size", path, (dict,))
    for k in ("servers", "clients", "requests", "L"):
        _field(size, k, f"{path}.size", (int,))
    gen = _field(doc, "generator", path, (dict,), optional=True) or {}
    num = (int, float)
    return LibraryEntry(
        name=name, family=_field(doc, "family", path, (str,)),
        file=_field(doc, "file", path, (str,)),
        sha256=_field(doc, "sha256", path, (str,)), size=size,
        command=_field(gen, "command", f"{path}.generator", (str,), True),
        seed=_field(gen, "seed", f"{path}.generator", (int,), True),
        best_known=_field(doc, "best_known", path, num, True),
        best_bound=_field(doc, "best_bound", path, num, True),
        status=status,
        solution=_field(doc, "solution", path, (str,), True),
        found_by=_field(doc, "found_by", path, (dict,), True) or {},
        bound_by=_field(doc, "bound_by", path, (dict,), True) or {},
        known_answer=_field(doc, "known_answer", path, (dict,), True) or {},
        raw=doc)


def _read_index(directory: str | Path) -> Mapping[str, Any]:
    path = Path(directory) / INDEX_FILE
    doc = read_json(path, LibraryError)
    if not isinstance(doc, Mapping) or doc.get("format") != LIBRARY_FORMAT:
        got = doc.get("format") if isinstance(doc, Mapping) else doc
        raise LibraryError(f"{path}: format must be {LIBRARY_FORMAT!r}, "
                           f"got {got!r}")
    if not isinstance(doc.get("allow_unused", True), bool):
        raise LibraryError(f"{path}: allow_unused: must be true or false, "
                           f"got {doc['allow_unused']!r}")
    return doc


def load_index(directory: str | Path = "instances") -> list[LibraryEntry]:
    """Read and check the shape of ``<directory>/index.json``.

    Raises
    ------
    LibraryError
        If the index is missing, not JSON, of another format, or an entry
        lacks a field or repeats a name (one line naming it).
    """
    return _entries(_read_index(directory), Path(directory) / INDEX_FILE)


def _entries(doc: Mapping[str, Any], path: Path) -> list[LibraryEntry]:
    raw = doc.get("instances")
    if not isinstance(raw, list):
        raise LibraryError(f"{path}: instances: must be a list, got {raw!r}")
    entries = [_entry(e, f"instances[{i}]") for i, e in enumerate(raw)]
    seen: set[str] = set()
    for i, e in enumerate(entries):
        if e.name in seen:
            raise LibraryError(f"instances[{i}].name: listed twice, got "
                               f"{e.name!r}")
        seen.add(e.name)
    return entries


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_command(command: str) -> bytes:
    """Run a ``bprr ...`` generator command in-process; return what it writes.

    Raises
    ------
    LibraryError
        If the command is not a ``bprr generate``/``bprr library generate``
        command or fails.
    """
    from .cli import main

    argv = shlex.split(command)
    ok = (argv[:2] == ["bprr", "generate"]
          or argv[:3] == ["bprr", "library", "generate"])
    if not ok or "-o" in argv or "--output" in argv:
        raise LibraryError(f"generator.command: must be 'bprr generate ...' "
                           f"or 'bprr library generate ...' without -o, got "
                           f"{command!r}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "instance.json"
        err = io.StringIO()
        with contextlib.redirect_stderr(err), \
                contextlib.redirect_stdout(io.StringIO()):
            code = main([*argv[1:], "-o", str(out)])
        if code != 0 or not out.exists():
            raise LibraryError(f"generator.command: {command!r} failed "
                               f"({err.getvalue().strip() or code})")
        return out.read_bytes()


# ---------------------------------------------------------------------------
# verify
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifyRow:
    """Outcome of :func:`verify_library` for one entry.

    ``value`` is what the evaluator gives the stored solution; ``problems``
    are one-line messages, each starting with the entry's name.
    """

    entry: LibraryEntry
    value: float | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= REL_TOL * max(1.0, abs(x), abs(y))


def _check(entry: LibraryEntry, root: Path, regenerate: bool,
           allow_unused: bool) -> tuple[float | None, list[str]]:
    out: list[str] = []
    path = root / entry.file
    if not path.is_file():
        return None, [f"instance file {entry.file} is missing"]
    digest = file_sha256(path)
    if digest != entry.sha256:
        out.append(f"instance file {entry.file} has SHA-256 {digest[:12]}..., "
                   f"index says {entry.sha256[:12]}...")
    try:
        inst = load_instance(path)
    except BprrError as exc:
        return None, [*out, f"instance file {entry.file}: {exc}"]
    if inst.name != entry.name:
        out.append(f"instance is named {inst.name!r}, index says "
                   f"{entry.name!r}")
    size = {"servers": inst.num_servers, "clients": inst.num_clients,
            "requests": inst.num_requests, "L": inst.L}
    for k, v in size.items():
        if entry.size.get(k) != v:
            out.append(f"size.{k}: instance has {v}, index says "
                       f"{entry.size.get(k)}")
    if regenerate and entry.command is not None:
        try:
            if run_command(entry.command) != path.read_bytes():
                out.append(f"generator command does not reproduce "
                           f"{entry.file} byte for byte: {entry.command}")
        except BprrError as exc:
            out.append(str(exc))

    value = None
    if entry.solution is None:
        if entry.best_known is not None:
            out.append(f"best_known is {entry.best_known!r} but no solution "
                       "file is given")
    else:
        try:
            sol = load_solution(inst, root / entry.solution)
        except BprrError as exc:
            return None, [*out, f"solution file: {exc}"]
        ev = evaluate(inst, sol, allow_unused=allow_unused)
        if not ev.feasible:
            out.append(f"stored solution is infeasible: "
                       f"{ev.violations[0].message}")
        else:
            value = ev.avg_per_token_ms
            if entry.best_known is None:
                out.append("a solution is stored but best_known is empty")
            elif not _close(value, entry.best_known):
                out.append(f"stored solution evaluates to {value!r}, index "
                           f"says best_known {entry.best_known!r}")
    v, b = entry.best_known, entry.best_bound
    if v is not None and b is not None and b > v and not _close(b, v):
        out.append(f"best_bound {b!r} exceeds best_known {v!r}")
    if entry.status == "proven_optimal":
        if v is None or b is None or not _close(b, v):
            out.append(f"status proven_optimal but best_bound {b!r} does "
                       f"not meet best_known {v!r}")
    elif v is not None and b is not None and _close(b, v):
        out.append(f"status open but best_bound {b!r} meets best_known "
                   f"{v!r} (should be proven_optimal)")
    out += _check_known(entry, inst)
    return value, out


def _check_known(entry: LibraryEntry, inst: Instance) -> list[str]:
    known = entry.known_answer
    if "partition" not in known:
        return []
    gen = inst.extra.get("generator", {})
    weights = gen.get("weights") if isinstance(gen, Mapping) else None
    if not isinstance(weights, list):
        return ["known_answer.partition: the instance lists no weights"]
    yes = partition_answer(weights)
    W2 = sum(weights)
    out = []
    if known["partition"] is not yes:
        out.append(f"known_answer.partition: index says "
                   f"{known['partition']}, subset-sum DP says {yes}")
    v = entry.best_known
    if yes and (v is None or not _close(v, W2)):
        out.append(f"a half exists, so the optimum is 2W = {W2}; "
                   f"best_known is {v!r}")
    if not yes and v is not None and v < W2 + 1 - REL_TOL:
        out.append(f"no half exists, so the optimum is >= 2W + 1 = "
                   f"{W2 + 1}; best_known is {v!r}")
    return out


def verify_library(directory: str | Path = "instances", *,
                   regenerate: bool = True) -> list[VerifyRow]:
    """Re-check every entry of a library against its files (no solving).

    Parameters
    ----------
    directory
        The library folder (holding ``index.json``).  Default
        ``"instances"``.
    regenerate
        Also run every generator command and compare the bytes.  Default
        True.

    Returns
    -------
    rows : list of VerifyRow
        One per entry, in index order; ``problems`` empty when it checks.

    Raises
    ------
    LibraryError
        If the index itself is malformed.

    Notes
    -----
    Per entry: the instance file hashes to ``sha256`` and has the listed
    name and size; the command regenerates it byte for byte; the stored
    solution is feasible under :func:`~bprr_opt.evaluate.evaluate` (unused
    servers allowed, as the library's values are) and evaluates to
    ``best_known`` within ``1e-6`` relative; ``best_bound <= best_known``;
    ``status`` is ``proven_optimal`` exactly when the bound meets the value;
    a PARTITION gadget's answer matches a subset-sum DP, and its value is
    ``2W`` (yes) or at least ``2W + 1`` (no).  Time: one evaluation per
    entry, plus the generators.
    """
    root = Path(directory)
    doc = _read_index(root)
    allow_unused = doc.get("allow_unused", True)
    rows = []
    for entry in _entries(doc, root / INDEX_FILE):
        value, problems = _check(entry, root, regenerate, allow_unused)
        rows.append(VerifyRow(entry, value,
                              tuple(f"{entry.name}: {p}" for p in problems)))
    return rows

"""The library's index (``bprr-library/1``): entries, statuses, reading.

A library is a folder (``instances/`` in the repository) holding
``index.json``: one entry per instance with its file and SHA-256, family,
size, its generator (registry ``kind``, structured ``params`` and the
equivalent ``bprr ...`` command), the best known value
(``avg_per_token_ms``), the best proven lower bound, ``status``
(``proven_optimal`` or ``open``), which method and solver found the value,
and the stored solution.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BprrError
from ..fileio import read_json

__all__ = [
    "INDEX_FILE",
    "LIBRARY_FORMAT",
    "STATUSES",
    "LibraryEntry",
    "LibraryError",
    "file_sha256",
    "load_index",
    "entries_of",
    "read_index",
]

LIBRARY_FORMAT = "bprr-library/1"
INDEX_FILE = "index.json"
STATUSES = ("proven_optimal", "open")


class LibraryError(BprrError, ValueError):
    """Malformed library index; one line naming the entry and field."""


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
    generator_kind, generator_params
        The same generator as a :data:`~bprr_opt.generators.GENERATORS`
        name and its keyword arguments (regeneration calls it directly);
        ``None`` for hand-made instances.
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
    generator_kind: str | None = None
    generator_params: Mapping[str, Any] | None = None
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
        generator_kind=_field(gen, "kind", f"{path}.generator", (str,), True),
        generator_params=_field(gen, "params", f"{path}.generator", (dict,),
                                True),
        raw=doc)


def read_index(directory: str | Path) -> Mapping[str, Any]:
    """Read ``<directory>/index.json`` and check its format and flags.

    Raises
    ------
    LibraryError
        If it is missing, not JSON, or of another format.
    """
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
    return entries_of(read_index(directory), Path(directory) / INDEX_FILE)


def entries_of(doc: Mapping[str, Any], path: Path) -> list[LibraryEntry]:
    """The checked entries of an index document read from ``path``."""
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

"""Verify a library without solving anything.

:func:`verify_library` re-checks every entry: the evaluator re-judges every
stored solution, the values and bounds must agree with the index, the files
must hash to the index's SHA-256 and the generator -- the registry entry
named by ``generator.kind``, called with ``generator.params``
(:data:`bprr_opt.generators.GENERATORS`) -- must regenerate the same bytes.
PARTITION gadgets also have their known answer re-derived by a subset-sum
DP.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §3 (Theorem 3.5 and the
       worst-case family), §5 (scenarios).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import BprrError
from ..evaluate import evaluate
from ..generators import generate
from ..instance import Instance, instance_to_json, load_instance
from ..solution import load_solution
from ..status import REL_TOL
from .index import (
    INDEX_FILE,
    LibraryEntry,
    LibraryError,
    entries_of,
    file_sha256,
    read_index,
)

__all__ = ["VerifyRow", "partition_answer", "regenerated_bytes",
           "verify_library"]


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


def regenerated_bytes(entry: LibraryEntry) -> bytes:
    """The instance bytes ``entry``'s generator writes.

    Raises
    ------
    LibraryError
        If the entry has no structured generator, or it rejects its
        parameters.
    """
    if entry.generator_kind is None or entry.generator_params is None:
        raise LibraryError(f"generator: no kind and params to regenerate "
                           f"{entry.name!r} from")
    try:
        inst = generate(entry.generator_kind, entry.generator_params)
    except (BprrError, ValueError, TypeError) as exc:
        raise LibraryError(f"generator: {entry.generator_kind} "
                           f"{dict(entry.generator_params)} failed "
                           f"({exc})") from None
    return instance_to_json(inst).encode("utf-8")


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
        """Whether the entry checked without problems."""
        return not self.problems


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= REL_TOL * max(1.0, abs(x), abs(y))


def _check(entry: LibraryEntry, root: Path, again: bool,
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
    if again and entry.command is not None:
        try:
            if regenerated_bytes(entry) != path.read_bytes():
                out.append(f"generator command does not reproduce "
                           f"{entry.file} byte for byte (regenerated from "
                           f"its params): {entry.command}")
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
    doc = read_index(root)
    allow_unused = doc.get("allow_unused", True)
    rows = []
    for entry in entries_of(doc, root / INDEX_FILE):
        value, problems = _check(entry, root, regenerate, allow_unused)
        rows.append(VerifyRow(entry, value,
                              tuple(f"{entry.name}: {p}" for p in problems)))
    return rows

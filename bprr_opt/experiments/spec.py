"""Declarative sweep specs (YAML or JSON) and their validation.

A spec names the instances (generators with parameter grids and seeds, or
instance files), the job kind, and a grid of methods and options::

    name: small
    kind: solve                  # default
    repetitions: 1               # default
    instances:
      - generator: random
        params: {n_servers: [4, 6], requests: 3, L: 8,
                 regime: [tight, medium]}
        seeds: {from: 0, to: 4}
      - file: ../instances/foo.json      # relative to the spec file
      - glob: "lib/*.json"
    grid:
      methods: [cg-bprr, milp-paper]
      solvers: [highs]
      time_limits: [10]
      seeds: [0]

Value syntax, everywhere a grid axis is expected: a scalar (one value), a
list (one value per element), ``{from: a, to: b, step: s}`` (integers,
inclusive) or ``{value: x}`` (``x`` taken literally, e.g. a list argument).
``grid`` may also be a list of such mappings, each expanded on its own.

Every problem raises :class:`SpecError` with one line naming the key path,
e.g. ``grid.methods[2]: unknown method 'foo' (choose from ...)``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import BprrError
from ..generators import GENERATORS
from .kinds import KINDS, JobKind, get_kind

__all__ = ["GridSpec", "InstanceSpec", "SpecError",
           "SweepSpec", "load_spec", "spec_from_dict"]


class SpecError(BprrError, ValueError):
    """Malformed sweep spec; the message is one line naming the key path."""


_TOP_KEYS = ("name", "description", "kind", "repetitions", "instances", "grid")
_INSTANCE_KEYS = {"generator": ("generator", "params", "seeds"),
                  "file": ("file",), "glob": ("glob",)}


@dataclass(frozen=True)
class InstanceSpec:
    """One entry of ``instances``.

    Exactly one of ``generator`` (with ``params`` axes and ``seeds``) and
    ``files`` (resolved paths) is set.  ``path`` is the key path
    (``instances[0]``) used in error messages.
    """

    path: str
    generator: str | None = None
    params: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    seeds: tuple[int, ...] | None = None
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class GridSpec:
    """One grid: methods times the product of the kind's option axes."""

    path: str
    methods: tuple[str, ...]
    axes: tuple[tuple[str, tuple[Any, ...]], ...]


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (see the module docstring for the format)."""

    name: str
    kind: str
    repetitions: int
    instances: tuple[InstanceSpec, ...]
    grids: tuple[GridSpec, ...]
    description: str = ""


# -- reading -------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML keeps the last)."""


def _construct_unique(loader: yaml.SafeLoader, node: yaml.MappingNode,
                      deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise SpecError(f"line {key_node.start_mark.line + 1}: duplicate "
                            f"key {key!r}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec file (``.json``, else YAML).

    Relative instance paths are resolved against the spec's folder; the
    default sweep name is the file stem.

    Raises
    ------
    SpecError
        If the file is missing or unreadable, does not parse, or any key is
        malformed (one line naming the key path).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{p}: cannot read ({exc})") from None
    if p.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{p}: not valid JSON (line {exc.lineno}: "
                            f"{exc.msg})") from None
    else:
        try:
            doc = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506
        except SpecError as exc:
            raise SpecError(f"{p}: {exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            what = getattr(exc, "problem", None) or type(exc).__name__
            raise SpecError(f"{p}: not valid YAML ({where}{what})") from None
    return spec_from_dict(doc, base_dir=p.parent, default_name=p.stem)


def spec_from_dict(doc: Any, *, base_dir: str | Path = ".",
                   default_name: str = "sweep") -> SweepSpec:
    """Validate a parsed spec document.

    Raises
    ------
    SpecError
        One line naming the key path of the first problem found.
    """
    if not isinstance(doc, Mapping):
        raise SpecError(f"spec: must be a mapping, got {_show(doc)}")
    _no_unknown(doc, _TOP_KEYS, "")
    name = doc.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"name: must be a non-empty string, got {_show(name)}")
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"description: must be a string, got "
                        f"{_show(description)}")
    kind_name = doc.get("kind", "solve")
    in_specs = sorted(k for k, v in KINDS.items() if v.in_specs)
    if kind_name not in in_specs:
        raise SpecError(f"kind: unknown job kind {_show(kind_name)} (choose "
                        f"from {', '.join(in_specs)})")
    kind = get_kind(kind_name)
    reps = doc.get("repetitions", 1)
    if not _is_int(reps) or reps < 1:
        raise SpecError(f"repetitions: must be an integer >= 1, got "
                        f"{_show(reps)}")
    instances = _instances(_require(doc, "instances", ""), Path(base_dir))
    grid_raw = _require(doc, "grid", "")
    if isinstance(grid_raw, Mapping):
        grids = (_grid(grid_raw, "grid", kind),)
    elif isinstance(grid_raw, list) and grid_raw:
        grids = tuple(_grid(g, f"grid[{i}]", kind)
                      for i, g in enumerate(grid_raw))
    else:
        raise SpecError(f"grid: must be a mapping or a non-empty list of "
                        f"mappings, got {_show(grid_raw)}")
    return SweepSpec(name=name, kind=kind_name, repetitions=int(reps),
                     instances=instances, grids=grids,
                     description=description)


# -- instances -----------------------------------------------------------------

def _instances(raw: Any, base: Path) -> tuple[InstanceSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"instances: must be a non-empty list, got {_show(raw)}")
    return tuple(_instance(item, f"instances[{i}]", base)
                 for i, item in enumerate(raw))


def _instance(raw: Any, path: str, base: Path) -> InstanceSpec:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{path}: must be a mapping, got {_show(raw)}")
    which = [k for k in _INSTANCE_KEYS if k in raw]
    if len(which) != 1:
        raise SpecError(f"{path}: needs exactly one of 'generator', 'file', "
                        f"'glob', got {sorted(map(str, raw))}")
    which_key = which[0]
    _no_unknown(raw, _INSTANCE_KEYS[which_key], path)
    if which_key == "file":
        f = raw["file"]
        if not isinstance(f, str) or not f:
            raise SpecError(f"{path}.file: must be a path string, got "
                            f"{_show(f)}")
        fp = base / f
        if not fp.is_file():
            raise SpecError(f"{path}.file: no such file {str(fp)!r}")
        return InstanceSpec(path=path, files=(fp,))
    if which_key == "glob":
        g = raw["glob"]
        if not isinstance(g, str) or not g:
            raise SpecError(f"{path}.glob: must be a pattern string, got "
                            f"{_show(g)}")
        files = tuple(sorted(p for p in base.glob(g) if p.is_file()))
        if not files:
            raise SpecError(f"{path}.glob: no file matches {g!r} in "
                            f"{str(base)!r}")
        return InstanceSpec(path=path, files=files)
    return _generator_instance(raw, path)


def _generator_instance(raw: Mapping[str, Any], path: str) -> InstanceSpec:
    gen = raw["generator"]
    if not isinstance(gen, str) or gen not in GENERATORS:
        raise SpecError(f"{path}.generator: unknown generator {_show(gen)} "
                        f"(choose from {', '.join(GENERATORS)})")
    sig = GENERATORS[gen].params
    params_raw = raw.get("params", {})
    if not isinstance(params_raw, Mapping):
        raise SpecError(f"{path}.params: must be a mapping, got "
                        f"{_show(params_raw)}")
    params = []
    for key, value in params_raw.items():
        kp = f"{path}.params.{key}"
        if key == "seed":
            raise SpecError(f"{kp}: give seeds in {path}.seeds")
        if key not in sig:
            allowed = ", ".join(k for k in sig if k != "seed")
            raise SpecError(f"{kp}: unknown parameter of generator {gen!r} "
                            f"(allowed: {allowed})")
        params.append((key, tuple(axis_values(value, kp))))
    if "seed" in sig:
        seeds = tuple(int_values(_require(raw, "seeds", path),
                                 f"{path}.seeds"))
    else:
        if "seeds" in raw:
            raise SpecError(f"{path}.seeds: generator {gen!r} takes no seed")
        seeds = None
    return InstanceSpec(path=path, generator=gen, params=tuple(params),
                        seeds=seeds)


def generator_function(name: str) -> Any:
    """The generator function called ``name`` in a spec."""
    return GENERATORS[name].function


# -- grid ----------------------------------------------------------------------

def _grid(raw: Any, path: str, kind: JobKind) -> GridSpec:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{path}: must be a mapping, got {_show(raw)}")
    _no_unknown(raw, ("methods", *kind.axes), path)
    methods_raw = _require(raw, "methods", path)
    if isinstance(methods_raw, str):
        methods_raw = [methods_raw]
    if not isinstance(methods_raw, list) or not methods_raw:
        raise SpecError(f"{path}.methods: must be a non-empty list of method "
                        f"names, got {_show(methods_raw)}")
    known = list(kind.methods())
    methods = []
    for i, m in enumerate(methods_raw):
        mp = f"{path}.methods[{i}]"
        if not isinstance(m, str) or m not in known:
            raise SpecError(f"{mp}: unknown method {_show(m)} (choose from "
                            f"{', '.join(known)})")
        methods.append(m)
    axes = []
    for key, axis in kind.axes.items():
        if key not in raw:
            axes.append((axis.name, (axis.default,)))
            continue
        kp = f"{path}.{key}"
        values = axis_values(raw[key], kp)
        for i, v in enumerate(values):
            _check_value(v, axis.type, f"{kp}[{i}]")
            if kind.check is not None:
                try:
                    kind.check(axis.name, v)
                except (ValueError, TypeError) as exc:
                    msg = str(exc).splitlines()[0] if str(exc) else repr(exc)
                    prefix = f"{axis.name}: "
                    if msg.startswith(prefix):
                        msg = msg[len(prefix):]
                    raise SpecError(f"{kp}[{i}]: {msg}") from None
        if axis.type.startswith("number"):
            # 10 and 10.0 are the same option: one canonical form per value
            values = [None if v is None else float(v) for v in values]
        if len(set(map(repr, values))) != len(values):
            raise SpecError(f"{kp}: repeated values {values!r}")
        axes.append((axis.name, tuple(values)))
    return GridSpec(path=path, methods=tuple(methods), axes=tuple(axes))


def _check_value(v: Any, type_: str, path: str) -> None:
    base, _, null = type_.partition("|")
    if v is None:
        if null:
            return
        raise SpecError(f"{path}: must not be null")
    ok = {
        "str": lambda x: isinstance(x, str) and bool(x),
        "int": _is_int,
        "number": lambda x: (isinstance(x, (int, float))
                             and not isinstance(x, bool) and math.isfinite(x)),
        "bool": lambda x: isinstance(x, bool),
    }[base](v)
    if not ok:
        what = {"str": "a non-empty string", "int": "an integer",
                "number": "a finite number", "bool": "true or false"}[base]
        raise SpecError(f"{path}: must be {what}"
                        f"{' or null' if null else ''}, got {_show(v)}")


# -- value syntax --------------------------------------------------------------

def axis_values(raw: Any, path: str) -> list[Any]:
    """Expand one axis: scalar, list, ``{from, to[, step]}`` or ``{value}``.

    Raises
    ------
    SpecError
        If the range is malformed or a list is empty.
    """
    if isinstance(raw, Mapping):
        if set(raw) == {"value"}:
            return [raw["value"]]
        if "from" in raw or "to" in raw:
            return _range(raw, path)
        raise SpecError(f"{path}: a mapping must be {{from, to[, step]}} or "
                        f"{{value}}, got keys {sorted(map(str, raw))}")
    if isinstance(raw, list):
        if not raw:
            raise SpecError(f"{path}: must not be empty")
        out = []
        for i, x in enumerate(raw):
            if isinstance(x, Mapping):
                if set(x) != {"value"}:
                    raise SpecError(f"{path}[{i}]: only {{value: ...}} may "
                                    f"appear inside a list")
                out.append(x["value"])
            else:
                out.append(x)
        return out
    return [raw]


def int_values(raw: Any, path: str) -> list[int]:
    """Expand an integer axis (seeds); same syntax as :func:`axis_values`."""
    values = axis_values(raw, path)
    for i, v in enumerate(values):
        if not _is_int(v):
            where = path if len(values) == 1 and not isinstance(raw, list) \
                else f"{path}[{i}]"
            raise SpecError(f"{where}: must be an integer, got {_show(v)}")
    if len(set(values)) != len(values):
        raise SpecError(f"{path}: repeated values {values!r}")
    return [int(v) for v in values]


def _range(raw: Mapping[str, Any], path: str) -> list[int]:
    _no_unknown(raw, ("from", "to", "step"), path)
    lo = _require(raw, "from", path)
    hi = _require(raw, "to", path)
    step = raw.get("step", 1)
    for key, v in (("from", lo), ("to", hi), ("step", step)):
        if not _is_int(v):
            raise SpecError(f"{path}.{key}: must be an integer, got {_show(v)}")
    if step < 1:
        raise SpecError(f"{path}.step: must be >= 1, got {step}")
    if hi < lo:
        raise SpecError(f"{path}.to: must be >= from ({lo}), got {hi}")
    return list(range(lo, hi + 1, step))


# -- helpers -------------------------------------------------------------------

def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _show(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _require(raw: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in raw:
        raise SpecError(f"{_join(path, key)}: missing required key")
    return raw[key]


def _no_unknown(raw: Mapping[str, Any], allowed: Sequence[str],
                path: str) -> None:
    for key in raw:
        if key not in allowed:
            raise SpecError(f"{_join(path, str(key))}: unknown key (allowed: "
                            f"{', '.join(allowed)})")

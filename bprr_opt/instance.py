"""The BPRR instance: servers, clients and model constants (``bprr-instance/1``).

An :class:`Instance` is immutable and validated when built.  It is read from and
written to JSON exactly as ``shared/spec/instance-format.md`` describes; fields
this version does not know are kept (in ``extra``) and written back on save, so
other tools can annotate instances without losing data here.

Every validation failure raises :class:`~bprr_opt.errors.InstanceError` with a
one-line message ``<field path>: <problem>, got <value>``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InstanceError
from .fileio import atomic_write_text, read_json

__all__ = [
    "FORMAT",
    "Client",
    "Instance",
    "InstanceArrays",
    "Server",
    "instance_from_dict",
    "instance_to_dict",
    "instance_to_json",
    "load_instance",
    "save_instance",
]

FORMAT = "bprr-instance/1"

_TOP_KNOWN = ("format", "name", "L", "s_m", "s_c", "l_max", "l_in",
              "servers", "clients")
_SERVER_KNOWN = ("id", "memory", "tau", "tau_prefill")
_CLIENT_KNOWN = ("id", "requests", "rtt", "rtt_prefill")


@dataclass(frozen=True)
class Server:
    """A GPU server ``j``.

    Attributes
    ----------
    id
        Unique name.
    memory
        GPU memory ``M_j`` in GB.
    tau
        Per-block per-token decode time ``tau_j`` in ms.
    tau_prefill
        Per-block prefill time ``tau^I_j`` in ms, or ``None``.
    extra
        Fields not defined by ``bprr-instance/1``, kept verbatim.
    """

    id: str
    memory: float
    tau: float
    tau_prefill: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Client:
    """A client ``c`` with ``requests`` sessions and its RTT to every server.

    ``rtt[j]`` is the per-token round trip ``t_cj`` (ms) to server ``j`` in
    server order; ``rtt_prefill`` (optional, same shape) is ``t^I_cj``.
    """

    id: str
    requests: int
    rtt: tuple[float, ...]
    rtt_prefill: tuple[float, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class InstanceArrays:
    """Numeric view of an instance for the numerical kernels.

    Shapes: ``n`` servers, ``C`` clients.  ``rtt`` is ``(C, n)``.
    """

    L: int
    s_m: float
    s_c: float
    l_max: int
    l_in: int
    memory: np.ndarray  # (n,) float64
    tau: np.ndarray  # (n,) float64
    tau_prefill: np.ndarray | None  # (n,) float64
    rtt: np.ndarray  # (C, n) float64
    rtt_prefill: np.ndarray | None  # (C, n) float64
    requests: np.ndarray  # (C,) int64


@dataclass(frozen=True)
class Instance:
    """A validated BPRR instance (see ``shared/spec/bprr-model.md`` §1).

    Build it from keyword arguments, :func:`instance_from_dict` or
    :func:`load_instance`; change it with :meth:`replace`, which validates
    again.

    Raises
    ------
    InstanceError
        If any field is malformed (one-line message naming the field).
    """

    name: str
    L: int
    s_m: float
    s_c: float
    l_max: int
    servers: tuple[Server, ...]
    clients: tuple[Client, ...]
    l_in: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Round-trip through the dict validator: one code path for all checks.
        checked = instance_from_dict(instance_to_dict(self), _skip_build=True)
        del checked

    # -- convenience -------------------------------------------------------
    @property
    def num_servers(self) -> int:
        """Number of servers ``|V_s|``."""
        return len(self.servers)

    @property
    def num_clients(self) -> int:
        """Number of clients ``|V_c|``."""
        return len(self.clients)

    @property
    def num_requests(self) -> int:
        """Total number of requests ``|R| = sum_c N_c``."""
        return sum(c.requests for c in self.clients)

    @property
    def has_prefill(self) -> bool:
        """Whether prefill times are given for every server and client."""
        return all(s.tau_prefill is not None for s in self.servers) and all(
            c.rtt_prefill is not None for c in self.clients
        )

    def server_index(self, server_id: str) -> int:
        """Return the position of the server named ``server_id``."""
        return self._server_pos[server_id]

    def client_index(self, client_id: str) -> int:
        """Return the position of the client named ``client_id``."""
        return self._client_pos[client_id]

    @property
    def _server_pos(self) -> dict[str, int]:
        cache = self.__dict__.get("_spos")
        if cache is None:
            cache = {s.id: j for j, s in enumerate(self.servers)}
            object.__setattr__(self, "_spos", cache)
        return cache

    @property
    def _client_pos(self) -> dict[str, int]:
        cache = self.__dict__.get("_cpos")
        if cache is None:
            cache = {c.id: k for k, c in enumerate(self.clients)}
            object.__setattr__(self, "_cpos", cache)
        return cache

    def replace(self, **changes: Any) -> Instance:
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_arrays(self) -> InstanceArrays:
        """Return the numeric arrays used by the kernels (fresh copies)."""
        arrays = self.__dict__.get("_arrays")
        if arrays is None:
            arrays = _build_arrays(self)
            object.__setattr__(self, "_arrays", arrays)
        return dataclasses.replace(
            arrays,
            memory=arrays.memory.copy(),
            tau=arrays.tau.copy(),
            tau_prefill=None if arrays.tau_prefill is None
            else arrays.tau_prefill.copy(),
            rtt=arrays.rtt.copy(),
            rtt_prefill=None if arrays.rtt_prefill is None
            else arrays.rtt_prefill.copy(),
            requests=arrays.requests.copy(),
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``bprr-instance/1`` document (:func:`instance_to_dict`)."""
        return instance_to_dict(self)

    def to_json(self) -> str:
        """The JSON text, deterministic (:func:`instance_to_json`)."""
        return instance_to_json(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instance):
            return NotImplemented
        return instance_to_dict(self) == instance_to_dict(other)

    def __hash__(self) -> int:
        return hash(instance_to_json(self))


def _build_arrays(inst: Instance) -> InstanceArrays:
    n = len(inst.servers)
    tau_p = None
    if all(s.tau_prefill is not None for s in inst.servers) and n:
        tau_p = np.array([s.tau_prefill for s in inst.servers], dtype=np.float64)
    rtt_p = None
    if inst.clients and all(c.rtt_prefill is not None for c in inst.clients):
        rtt_p = np.array([c.rtt_prefill for c in inst.clients],
                         dtype=np.float64).reshape(len(inst.clients), n)
    return InstanceArrays(
        L=inst.L,
        s_m=inst.s_m,
        s_c=inst.s_c,
        l_max=inst.l_max,
        l_in=inst.l_in,
        memory=np.array([s.memory for s in inst.servers], dtype=np.float64),
        tau=np.array([s.tau for s in inst.servers], dtype=np.float64),
        tau_prefill=tau_p,
        rtt=np.array([c.rtt for c in inst.clients],
                     dtype=np.float64).reshape(len(inst.clients), n),
        rtt_prefill=rtt_p,
        requests=np.array([c.requests for c in inst.clients], dtype=np.int64),
    )


# ---------------------------------------------------------------------------
# validation helpers: each returns the clean value or raises one-line errors
# ---------------------------------------------------------------------------

def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _fail(path: str, problem: str, value: Any = dataclasses.MISSING) -> None:
    if value is dataclasses.MISSING:
        raise InstanceError(f"{path}: {problem}")
    raise InstanceError(f"{path}: {problem}, got {_show(value)}")


def _req(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        _fail(path, "missing required field")
    return obj[key]


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, "must be a number", value)
    x = float(value)
    if not math.isfinite(x):
        _fail(path, "must be finite", value)
    return x


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool):
        _fail(path, "must be an integer", value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int):
        _fail(path, "must be an integer", value)
    return int(value)


def _positive(x: float, path: str, raw: Any) -> float:
    if not x > 0:
        _fail(path, "must be > 0", raw)
    return x


def _nonneg(x: float, path: str, raw: Any) -> float:
    if not x >= 0:
        _fail(path, "must be >= 0", raw)
    return x


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        _fail(path, "must be a non-empty string", value)
    return value


def _rtt_list(value: Any, path: str, n: int) -> tuple[float, ...]:
    if not isinstance(value, (list, tuple)):
        _fail(path, "must be a list of numbers", value)
    if len(value) != n:
        _fail(path, f"expected {n} values (one per server), got {len(value)}")
    out = []
    for j, v in enumerate(value):
        p = f"{path}[{j}]"
        out.append(_nonneg(_number(v, p), p, v))
    return tuple(out)


def _extra(obj: Mapping[str, Any], known: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in known}


def instance_from_dict(doc: Any, *, _skip_build: bool = False) -> Instance:
    """Validate a ``bprr-instance/1`` document and return the :class:`Instance`.

    Raises
    ------
    InstanceError
        On the first malformed field, naming it and its value.
    """
    if not isinstance(doc, Mapping):
        _fail("instance", "must be a JSON object", doc)
    fmt = _req(doc, "format", "format")
    if fmt != FORMAT:
        _fail("format", f'unknown version (expected "{FORMAT}")', fmt)
    name = doc.get("name", "unnamed")
    if not isinstance(name, str):
        _fail("name", "must be a string", name)

    L_raw = _req(doc, "L", "L")
    L = _integer(L_raw, "L")
    if L < 1:
        _fail("L", "must be >= 1", L_raw)
    s_m_raw = _req(doc, "s_m", "s_m")
    s_m = _positive(_number(s_m_raw, "s_m"), "s_m", s_m_raw)
    s_c_raw = _req(doc, "s_c", "s_c")
    s_c = _positive(_number(s_c_raw, "s_c"), "s_c", s_c_raw)
    lmax_raw = _req(doc, "l_max", "l_max")
    l_max = _integer(lmax_raw, "l_max")
    if l_max < 1:
        _fail("l_max", "must be >= 1", lmax_raw)
    lin_raw = doc.get("l_in", 0)
    l_in = _integer(lin_raw, "l_in")
    if l_in < 0:
        _fail("l_in", "must be >= 0", lin_raw)

    servers_raw = _req(doc, "servers", "servers")
    if not isinstance(servers_raw, (list, tuple)):
        _fail("servers", "must be a list", servers_raw)
    if len(servers_raw) == 0:
        _fail("servers", "must list at least one server")
    servers: list[Server] = []
    seen: set[str] = set()
    for j, s in enumerate(servers_raw):
        p = f"servers[{j}]"
        if not isinstance(s, Mapping):
            _fail(p, "must be an object", s)
        sid = _string(_req(s, "id", f"{p}.id"), f"{p}.id")
        if sid in seen:
            _fail(f"{p}.id", "duplicate server id", sid)
        seen.add(sid)
        mem_raw = _req(s, "memory", f"{p}.memory")
        mem = _positive(_number(mem_raw, f"{p}.memory"), f"{p}.memory", mem_raw)
        tau_raw = _req(s, "tau", f"{p}.tau")
        tau = _nonneg(_number(tau_raw, f"{p}.tau"), f"{p}.tau", tau_raw)
        tp = None
        if s.get("tau_prefill") is not None:
            tp_raw = s["tau_prefill"]
            tp = _nonneg(_number(tp_raw, f"{p}.tau_prefill"),
                         f"{p}.tau_prefill", tp_raw)
        servers.append(Server(sid, mem, tau, tp, _extra(s, _SERVER_KNOWN)))

    n = len(servers)
    clients_raw = _req(doc, "clients", "clients")
    if not isinstance(clients_raw, (list, tuple)):
        _fail("clients", "must be a list", clients_raw)
    if len(clients_raw) == 0:
        _fail("clients", "must list at least one client")
    clients: list[Client] = []
    seen = set()
    for k, c in enumerate(clients_raw):
        p = f"clients[{k}]"
        if not isinstance(c, Mapping):
            _fail(p, "must be an object", c)
        cid = _string(_req(c, "id", f"{p}.id"), f"{p}.id")
        if cid in seen:
            _fail(f"{p}.id", "duplicate client id", cid)
        seen.add(cid)
        req_raw = _req(c, "requests", f"{p}.requests")
        req = _integer(req_raw, f"{p}.requests")
        if req < 0:
            _fail(f"{p}.requests", "must be >= 0", req_raw)
        rtt = _rtt_list(_req(c, "rtt", f"{p}.rtt"), f"{p}.rtt", n)
        rtt_p = None
        if c.get("rtt_prefill") is not None:
            rtt_p = _rtt_list(c["rtt_prefill"], f"{p}.rtt_prefill", n)
        clients.append(Client(cid, req, rtt, rtt_p, _extra(c, _CLIENT_KNOWN)))

    if _skip_build:
        return None  # type: ignore[return-value]
    return Instance(
        name=name, L=L, s_m=s_m, s_c=s_c, l_max=l_max,
        servers=tuple(servers), clients=tuple(clients), l_in=l_in,
        extra=_extra(doc, _TOP_KNOWN),
    )


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    """Return the ``bprr-instance/1`` document of ``inst`` (key order fixed)."""
    servers = []
    for s in inst.servers:
        d: dict[str, Any] = {"id": s.id, "memory": s.memory, "tau": s.tau}
        if s.tau_prefill is not None:
            d["tau_prefill"] = s.tau_prefill
        d.update(s.extra)
        servers.append(d)
    clients = []
    for c in inst.clients:
        d = {"id": c.id, "requests": c.requests, "rtt": list(c.rtt)}
        if c.rtt_prefill is not None:
            d["rtt_prefill"] = list(c.rtt_prefill)
        d.update(c.extra)
        clients.append(d)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "name": inst.name,
        "L": inst.L,
        "s_m": inst.s_m,
        "s_c": inst.s_c,
        "l_max": inst.l_max,
        "l_in": inst.l_in,
        "servers": servers,
        "clients": clients,
    }
    doc.update(inst.extra)
    return doc


def instance_to_json(inst: Instance) -> str:
    """Serialize deterministically: same instance, same bytes."""
    return json.dumps(instance_to_dict(inst), indent=1, allow_nan=False) + "\n"


def load_instance(path: str | Path) -> Instance:
    """Read and validate a ``bprr-instance/1`` JSON file.

    Raises
    ------
    InstanceError
        If the file is missing, is not JSON, or holds a malformed instance.
    """
    return instance_from_dict(read_json(path, InstanceError))


def save_instance(inst: Instance, path: str | Path) -> None:
    """Write ``inst`` as JSON atomically (no partial file on failure)."""
    atomic_write_text(path, instance_to_json(inst))

"""Online scenarios: an instance plus the simulator's parameters.

A :class:`Scenario` is a ``bprr-instance/1`` instance (servers, clients, RTTs,
prefill times, ``L``, ``s_m``, ``s_c``, ``l_in``, ``l_max``) together with the
:class:`OnlineParams` the online simulator and the PETALS baseline need.  On
disk it *is* an instance document whose extra field ``online`` holds the
parameters, so ``bprr validate`` accepts a scenario file unchanged.

Every constant of the authors' simulator that is not derived from anything --
the allocation delays, the cache-memory model of PETALS, the backoff, the
PETALS routing constants -- is an explicit field here, with the authors' value
as default (``shared/spec/online-and-simulator.md`` §1, §6, §8, §14).
:meth:`OnlineParams.equal_settings` returns the parameters of the fair
comparison (one allocation delay and one memory model for every method).

PETALS' memory and routing constants form one :class:`PetalsParams` record,
shared by the offline PETALS baseline (which reads them from an instance's
extra fields, :meth:`PetalsParams.from_instance`) and online PETALS
(:attr:`OnlineParams.petals`).

References
----------
.. [1] Sun, He, Ji, Parag (2025). Optimizing Resource Allocation for
       Geographically-Distributed Inference by Large Language Models.
       arXiv:2512.21884.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InstanceError
from .fileio import atomic_write_text, read_json
from .instance import Instance, instance_from_dict, instance_to_json

__all__ = [
    "DEFAULT_THROUGHPUT",
    "CacheModel",
    "OnlineParams",
    "PetalsParams",
    "Scenario",
    "Settings",
    "Throughput",
    "load_scenario",
    "save_scenario",
    "scenario_from_instance",
]

GIB = float(2**30)
# BLOOM-176B's width: PETALS' autograd reserve is 2 GiB at this width
BLOOM_D_MODEL = 14336


class Settings(StrEnum):
    """Which constants an online comparison charges (module docstring)."""

    AUTHORS = "authors"  # the authors' allocation delays and cache model
    EQUAL = "equal"  # one delay and one memory model for every method


class CacheModel(StrEnum):
    """Cache memory of PETALS and its ablations (``petals_cache_model``)."""

    RESERVED = "reserved"  # a fixed-token cache per hosted block
    FREE = "free"  # all memory the weights leave


@dataclass(frozen=True)
class PetalsParams:
    """PETALS' memory rule and routing constants (spec §8.1, §8.5).

    Attributes
    ----------
    d_model, num_kv_groups
        Model width and query heads per KV head.
    cache_tokens
        Tokens of the per-block attention-cache reservation.
    hop_overhead_ms
        Serialization overhead per hop of PETALS' routing graph.
    penalty_ms
        ``P``: penalty on a server without a free session.
    """

    d_model: int = BLOOM_D_MODEL
    num_kv_groups: int = 1
    cache_tokens: int = 4096
    hop_overhead_ms: float = 18.0
    penalty_ms: float = 10_000.0

    @property
    def cache_gb(self) -> float:
        """``C^``: the cache reservation per hosted block (GB)."""
        return math.floor(2 * self.d_model * self.cache_tokens * 2
                          / self.num_kv_groups) / 1e9

    @property
    def reserve_gb(self) -> float:
        """The autograd reserve ``2 GiB * d_model / 14336`` (GB)."""
        return 2 * GIB * self.d_model / BLOOM_D_MODEL / 1e9

    @classmethod
    def from_instance(cls, instance: Instance) -> PetalsParams:
        """The constants the offline PETALS baseline reads from an instance.

        From the extra field ``online`` when present (unvalidated, as
        written), else the instance's own ``d_model`` extra field, else
        BLOOM-176B.  Without a ``petals_cache_tokens`` the cache holds
        4096 tokens, 16 384 with grouped-query attention
        (``num_kv_groups > 1``) -- unlike :class:`OnlineParams`, whose
        default is 4096 in both cases; each keeps its own rule.
        """
        online = instance.extra.get("online", {})
        if not isinstance(online, Mapping):
            online = {}
        d_model = int(online.get("d_model",
                                 instance.extra.get("d_model", BLOOM_D_MODEL)))
        kv = int(online.get("num_kv_groups", 1))
        tokens = int(online.get("petals_cache_tokens",
                                4096 if kv == 1 else 16384))
        return cls(d_model=d_model, num_kv_groups=kv, cache_tokens=tokens,
                   hop_overhead_ms=float(online.get("petals_hop_overhead_ms",
                                                    18.0)),
                   penalty_ms=float(online.get("petals_penalty_ms",
                                               10_000.0)))


@dataclass(frozen=True)
class Throughput:
    """PETALS' measured throughputs of one hardware type (requests/s)."""

    forward_rps: float
    network_rps: float


# PETALS throughput file "v5" of the authors' sweep scripts (spec §1.1).
DEFAULT_THROUGHPUT: dict[str, Throughput] = {
    "a100": Throughput(20829.38146541331, 3020.3700586885343),
    "mig": Throughput(2757.7243405599083, 3138.1039624670034),
}


@dataclass(frozen=True)
class OnlineParams:
    """Parameters of the online simulation (times in ms, memory in GB).

    Attributes
    ----------
    client_raw_rtt
        ``rho(c, j)``: raw round trip client ``c`` -> server ``j`` (ms), one row
        per client.  Only PETALS' routing graph uses it (``rho / 2``).
    server_rtt
        ``rho(i, j)``: raw round trip between servers (ms), ``n x n``.  Only
        PETALS' routing graph uses it.
    initial_delay_ms
        ``D_0``, paid once per request.  Default 70 (scattered scenario).
    allocation_delay_proposed_ms
        ``A`` charged to every request of the proposed method (CG-BP + WS-RR).
        ⚠ a constant of the authors' scripts, derived from nothing.
        Default 60 000.
    allocation_delay_petals_ms
        ``A`` charged to every request of PETALS and its ablations.  ⚠ as
        above.  Default 250 000.
    petals_cache_model
        Cache memory of PETALS, Opt Order and Opt RR: ``"reserved"`` (the
        authors' model: a 4096-token cache per hosted block, slot pool
        ``floor(m_j C^ / s_c)``) or ``"free"`` (all memory not used by
        weights, ``floor((M_j - m_j s_m) / s_c)``, the proposed method's
        model).  ⚠ Default ``"reserved"``.
    backoff_first_ms, backoff_cap_ms
        Retry with binary exponential backoff: steps of
        ``min(first 2^(n-1), cap)``.  Defaults 1000 and 60 000.
    last_hop_ms
        ``delta``: placeholder cost of WS-RR's edge into the sink (a dense
        Dijkstra treats a 0 entry as "no edge").  Default 1.
    petals_hop_overhead_ms
        Serialization overhead per hop in PETALS' routing graph.  Default 18.
    petals_penalty_ms
        ``P``: PETALS' penalty for a server without free session.
        Default 10 000.
    petals_cache_tokens
        Tokens of PETALS' per-block attention-cache reservation.  Default
        4096 (16 384 when ``num_kv_groups > 1``).
    d_model, num_kv_groups
        Model width and query heads per KV head (PETALS' memory rule).
        Defaults 14 336 and 1 (BLOOM-176B).
    mig_max_blocks
        Hard cap on the blocks of a server whose ``hardware`` is ``"mig"``
        (CG-BP, online PETALS, Opt Num); ``None``: no cap.  Default 4.
    throughput
        PETALS throughputs per hardware type (server extra field
        ``hardware``).  Default: the authors' file (:data:`DEFAULT_THROUGHPUT`).
    source
        Provenance (generator, topology, seed, RTT overheads); informative.
    """

    client_raw_rtt: tuple[tuple[float, ...], ...]
    server_rtt: tuple[tuple[float, ...], ...]
    initial_delay_ms: float = 70.0
    allocation_delay_proposed_ms: float = 60_000.0
    allocation_delay_petals_ms: float = 250_000.0
    petals_cache_model: CacheModel = CacheModel.RESERVED
    backoff_first_ms: float = 1000.0
    backoff_cap_ms: float = 60_000.0
    last_hop_ms: float = 1.0
    petals_hop_overhead_ms: float = 18.0
    petals_penalty_ms: float = 10_000.0
    petals_cache_tokens: int = 4096
    d_model: int = 14336
    num_kv_groups: int = 1
    mig_max_blocks: int | None = 4
    throughput: Mapping[str, Throughput] = field(
        default_factory=lambda: dict(DEFAULT_THROUGHPUT))
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "client_raw_rtt", tuple(
            tuple(float(x) for x in row) for row in self.client_raw_rtt))
        object.__setattr__(self, "server_rtt", tuple(
            tuple(float(x) for x in row) for row in self.server_rtt))
        for name in ("initial_delay_ms", "allocation_delay_proposed_ms",
                     "allocation_delay_petals_ms", "petals_hop_overhead_ms",
                     "petals_penalty_ms"):
            _check_nonneg(f"online.{name}", getattr(self, name))
        for name in ("backoff_first_ms", "backoff_cap_ms", "last_hop_ms"):
            _check_positive(f"online.{name}", getattr(self, name))
        if self.petals_cache_model not in tuple(CacheModel):
            raise InstanceError(
                "online.petals_cache_model: must be one of "
                f"{', '.join(CacheModel)}, got {self.petals_cache_model!r}")
        object.__setattr__(self, "petals_cache_model",
                           CacheModel(self.petals_cache_model))
        for name in ("petals_cache_tokens", "d_model", "num_kv_groups"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InstanceError(f"online.{name}: must be an integer >= 1, "
                                    f"got {v!r}")
        if self.mig_max_blocks is not None and (
                isinstance(self.mig_max_blocks, bool)
                or not isinstance(self.mig_max_blocks, int)
                or self.mig_max_blocks < 1):
            raise InstanceError("online.mig_max_blocks: must be an integer "
                                f">= 1 or null, got {self.mig_max_blocks!r}")
        for h, thr in self.throughput.items():
            _check_positive(f"online.throughput.{h}.forward_rps",
                            thr.forward_rps)
            _check_positive(f"online.throughput.{h}.network_rps",
                            thr.network_rps)
        for c, row in enumerate(self.client_raw_rtt):
            for j, x in enumerate(row):
                _check_nonneg(f"online.client_raw_rtt[{c}][{j}]", x)
        for i, row in enumerate(self.server_rtt):
            for j, x in enumerate(row):
                _check_nonneg(f"online.server_rtt[{i}][{j}]", x)

    # -- derived constants (spec §1) --------------------------------------
    @property
    def petals(self) -> PetalsParams:
        """PETALS' constants as the shared record."""
        return PetalsParams(d_model=self.d_model,
                            num_kv_groups=self.num_kv_groups,
                            cache_tokens=self.petals_cache_tokens,
                            hop_overhead_ms=self.petals_hop_overhead_ms,
                            penalty_ms=self.petals_penalty_ms)

    @property
    def petals_cache_gb(self) -> float:
        """``C^``: PETALS' cache reservation per hosted block (GB)."""
        return self.petals.cache_gb

    @property
    def petals_reserve_gb(self) -> float:
        """PETALS' autograd reserve ``2 GiB * d_model / 14336`` (GB)."""
        return self.petals.reserve_gb

    def allocation_delay_ms(self, family: str) -> float:
        """``A`` of a method family (``"proposed"`` or ``"petals"``)."""
        if family == "proposed":
            return self.allocation_delay_proposed_ms
        if family == "petals":
            return self.allocation_delay_petals_ms
        raise ValueError(f"family: must be 'proposed' or 'petals', got "
                         f"{family!r}")

    def replace(self, **changes: Any) -> OnlineParams:
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def equal_settings(self, allocation_delay_ms: float | None = None
                       ) -> OnlineParams:
        """Parameters of the fair comparison.

        Every method is charged the same allocation delay (default: the
        proposed method's, so the proposed method's numbers do not change)
        and PETALS uses all free memory for caches, as the proposed method
        does.  Only the algorithms (placement and routing) then differ.
        """
        a = (self.allocation_delay_proposed_ms if allocation_delay_ms is None
             else float(allocation_delay_ms))
        return self.replace(allocation_delay_proposed_ms=a,
                            allocation_delay_petals_ms=a,
                            petals_cache_model=CacheModel.FREE)

    def with_settings(self, settings: Settings | str) -> OnlineParams:
        """``"authors"`` (unchanged) or ``"equal"`` (:meth:`equal_settings`)."""
        if settings == Settings.AUTHORS:
            return self
        if settings == Settings.EQUAL:
            return self.equal_settings()
        raise ValueError(f"settings: must be one of {', '.join(Settings)}, "
                         f"got {settings!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the instance's ``online`` field)."""
        d: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "throughput":
                v = {h: {"forward_rps": t.forward_rps,
                         "network_rps": t.network_rps}
                     for h, t in sorted(v.items())}
            elif f.name in ("client_raw_rtt", "server_rtt"):
                v = [list(row) for row in v]
            elif f.name == "source":
                v = dict(v)
            elif f.name == "petals_cache_model":
                v = str(v)
            d[f.name] = v
        return d

    @classmethod
    def from_dict(cls, doc: Any) -> OnlineParams:
        """Validate the instance's ``online`` field.

        Raises
        ------
        InstanceError
            One line naming the field and value.
        """
        if not isinstance(doc, Mapping):
            raise InstanceError(f"online: must be an object, got {doc!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        for k in doc:
            if k not in known:
                raise InstanceError(f"online.{k}: unknown parameter")
        kw: dict[str, Any] = {}
        for k, v in doc.items():
            if k == "throughput":
                if not isinstance(v, Mapping):
                    raise InstanceError(
                        f"online.throughput: must be an object, got {v!r}")
                thr = {}
                for h, t in v.items():
                    if not isinstance(t, Mapping) or set(t) != {
                            "forward_rps", "network_rps"}:
                        raise InstanceError(
                            f"online.throughput.{h}: must have forward_rps "
                            f"and network_rps, got {t!r}")
                    thr[h] = Throughput(
                        _number(f"online.throughput.{h}.forward_rps",
                                t["forward_rps"]),
                        _number(f"online.throughput.{h}.network_rps",
                                t["network_rps"]))
                kw[k] = thr
            elif k in ("client_raw_rtt", "server_rtt"):
                kw[k] = _matrix(f"online.{k}", v)
            elif k in ("petals_cache_model",):
                kw[k] = v
            elif k == "source":
                if not isinstance(v, Mapping):
                    raise InstanceError(f"online.source: must be an object, "
                                        f"got {v!r}")
                kw[k] = dict(v)
            elif k in ("petals_cache_tokens", "d_model", "num_kv_groups",
                       "mig_max_blocks"):
                if v is not None and isinstance(v, float) and v.is_integer():
                    v = int(v)
                kw[k] = v
            else:
                kw[k] = _number(f"online.{k}", v)
        for req in ("client_raw_rtt", "server_rtt"):
            if req not in kw:
                raise InstanceError(f"online.{req}: missing required field")
        return cls(**kw)


def _number(path: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) \
            or not math.isfinite(float(v)):
        raise InstanceError(f"{path}: must be a finite number, got {v!r}")
    return float(v)


def _check_nonneg(path: str, v: float) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) \
            or not math.isfinite(v) or v < 0:
        raise InstanceError(f"{path}: must be a finite number >= 0, got {v!r}")


def _check_positive(path: str, v: float) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) \
            or not math.isfinite(v) or v <= 0:
        raise InstanceError(f"{path}: must be a finite number > 0, got {v!r}")


def _matrix(path: str, v: Any) -> tuple[tuple[float, ...], ...]:
    if not isinstance(v, Sequence) or isinstance(v, str):
        raise InstanceError(f"{path}: must be a list of lists, got {v!r}")
    rows = []
    for i, row in enumerate(v):
        if not isinstance(row, Sequence) or isinstance(row, str):
            raise InstanceError(f"{path}[{i}]: must be a list, got {row!r}")
        rows.append(tuple(_number(f"{path}[{i}][{j}]", x)
                          for j, x in enumerate(row)))
    return tuple(rows)


@dataclass(frozen=True)
class Scenario:
    """An online scenario: the instance and the simulator's parameters.

    The instance's ``clients[c].requests`` are ignored online (arrivals come
    from :mod:`bprr_opt.online.arrivals`).  Servers name their hardware type
    in the extra field ``hardware`` (``"a100"``, ``"mig"``, ...); PETALS'
    throughput and the MIG cap are looked up by it.

    Raises
    ------
    InstanceError
        If the parameters do not fit the instance (matrix shapes).
    """

    instance: Instance
    params: OnlineParams

    def __post_init__(self) -> None:
        inst, p = self.instance, self.params
        n, C = inst.num_servers, inst.num_clients
        if len(p.client_raw_rtt) != C or any(len(r) != n
                                             for r in p.client_raw_rtt):
            raise InstanceError(
                f"online.client_raw_rtt: expected {C} rows of {n} values "
                f"(clients x servers), got {[len(r) for r in p.client_raw_rtt]}")
        if len(p.server_rtt) != n or any(len(r) != n for r in p.server_rtt):
            raise InstanceError(
                f"online.server_rtt: expected {n} rows of {n} values, got "
                f"{[len(r) for r in p.server_rtt]}")

    @property
    def hardware(self) -> tuple[str, ...]:
        """Hardware type per server (``"default"`` when not given)."""
        return tuple(str(s.extra.get("hardware", "default"))
                     for s in self.instance.servers)

    def max_blocks(self, mig_cap: bool = True) -> np.ndarray:
        """Per-server block cap: ``mig_max_blocks`` for MIG slices, else L."""
        L = self.instance.L
        cap = self.params.mig_max_blocks
        return np.array([cap if (mig_cap and cap is not None and h == "mig")
                         else L for h in self.hardware], np.int64)

    def with_settings(self, settings: Settings | str) -> Scenario:
        """The scenario under ``"authors"`` or ``"equal"`` settings."""
        return Scenario(self.instance, self.params.with_settings(settings))

    def to_instance(self) -> Instance:
        """The instance document with ``online`` set to the parameters."""
        extra = dict(self.instance.extra)
        extra["online"] = self.params.to_dict()
        return self.instance.replace(extra=extra)

    def to_json(self) -> str:
        """The scenario's instance document as JSON text."""
        return instance_to_json(self.to_instance())


def scenario_from_instance(instance: Instance) -> Scenario:
    """Read the scenario stored in an instance.

    The parameters come from the extra field ``online``.  An instance made by
    ``clustered_instance(variant="online")`` (no ``online`` field) gets the
    clustered scenario's parameters (spec §2.2: ``D_0 = 100`` ms, raw RTTs =
    ``rtt - 50``, its ``server_rtt``).

    Raises
    ------
    InstanceError
        If neither is present or the parameters are malformed.
    """
    extra = instance.extra
    if "online" in extra:
        params = OnlineParams.from_dict(extra["online"])
    else:
        gen = extra.get("generator", {})
        if not (isinstance(gen, Mapping) and gen.get("kind") == "clustered"
                and gen.get("variant") == "online"):
            raise InstanceError(
                "online: missing required field (make a scenario with "
                "'bprr generate topology' or 'bprr generate clustered "
                "--variant online')")
        params = OnlineParams(
            client_raw_rtt=tuple(tuple(x - 50.0 for x in c.rtt)
                                 for c in instance.clients),
            server_rtt=_matrix("server_rtt", extra.get("server_rtt")),
            initial_delay_ms=float(extra.get("initial_delay_ms", 100.0)),
            source={"generator": "clustered-online",
                    "rtt_overhead_ms": 50.0,
                    "rtt_prefill_overhead_ms": 55.0})
    return Scenario(instance, params)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario (an instance file with an ``online`` field).

    Raises
    ------
    InstanceError
        Missing file, bad JSON, malformed instance or parameters.
    """
    return scenario_from_instance(instance_from_dict(
        read_json(path, InstanceError)))


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write ``scenario`` atomically as a ``bprr-instance/1`` document."""
    atomic_write_text(path, scenario.to_json())

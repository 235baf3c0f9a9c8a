"""Scattered scenarios on Internet Topology Zoo graphs (REPETITA format).

The graphs ship with the package (``bprr_opt/data/topologies``, see its
README for the source).  :func:`read_repetita` parses one into a networkx
graph whose edges carry the one-way propagation ``delay`` in ms;
:func:`raw_rtt_matrix` turns it into the raw round trips
``rho(u, v) = 2 * shortest-path delay`` (networkx's Floyd--Warshall, as the
authors do); :func:`topology_scenario` draws one scattered scenario exactly as
``shared/spec/online-and-simulator.md`` §2.1 describes (client, servers,
hardware types with MATLAB rounding, MIG-first re-indexing, RTT derivation).
:func:`topology_instance` is the same draw as an instance document (its
``online`` field carries the simulator's parameters, so sweeps and scripts
draw it like any other instance); :func:`offline_topology_instance` gives
its client offline requests (the library's topology family).

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5 (evaluation set-up).
.. [2] Knight et al. (2011). The Internet Topology Zoo. IEEE JSAC 29(9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np

from ..errors import InstanceError
from ..instance import Client, Instance, Server
from ..presets import GB, block_memory_gb, cache_memory_gb, load_llm
from ..scenario import DEFAULT_THROUGHPUT, OnlineParams, Scenario, Throughput

__all__ = [
    "GRAPHS",
    "HARDWARE",
    "MEMORY_PRESETS",
    "HardwareType",
    "graph_names",
    "load_topology",
    "matlab_round",
    "offline_topology_instance",
    "raw_rtt_matrix",
    "read_repetita",
    "topology_instance",
    "topology_scenario",
]

# Paper names -> file names of the shipped graphs.
GRAPHS = {"Abvt": "Abvt", "AboveNet": "Abvt", "Bellcanada": "Bellcanada",
          "BellCanada": "Bellcanada", "GtsCe": "GtsCe", "AttMpls": "AttMpls"}

TOKEN_OVERHEAD_MS = 100.0  # added to rho for t_cj (spec §1.2)
INITIAL_DELAY_MS = 70.0  # D_0 of the scattered scenario


def prefill_overhead_ms(l_in: int) -> float:
    """Per-input overhead added to ``rho`` for ``t^I_cj``: ``0.7049 l_in + 67``."""
    return 0.7049 * l_in + 67


@dataclass(frozen=True)
class HardwareType:
    """Timings of one server type in the scattered scenario (spec §1.1)."""

    name: str
    tau: float  # ms per block per token (decode)
    prefill_slope: float  # tau^I = slope * l_in + intercept
    prefill_intercept: float

    def tau_prefill(self, l_in: int) -> float:
        """Per-block prefill time for prompts of ``l_in`` tokens (ms)."""
        return self.prefill_slope * l_in + self.prefill_intercept


HARDWARE = {
    "a100": HardwareType("a100", 3.2197, 0.0743, 32.99),
    "mig": HardwareType("mig", 16.2488, 0.1041, 206.3547),
}

# GPU memory (GB) per script (spec §1.1, ⚠14.7) and its PETALS constants.
MEMORY_PRESETS: dict[str, dict] = {
    "main": {"a100": 86.13, "mig": 9.1},
    "single": {"a100": 79.13, "mig": 8.2},
    "large": {"a100": 84.973, "mig": 10.2,
              "allocation_delay_petals_ms": 350_000.0,
              "throughput": {
                  "a100": Throughput(20575.644111628837, 2555.208925125856),
                  "mig": Throughput(2734.9294575188906, 1636.225130062161)}},
}


def matlab_round(x: float) -> int:
    """MATLAB's ``round`` for ``x >= 0``: half away from zero."""
    return int(math.floor(x + 0.5))


def graph_names() -> list[str]:
    """Names of the shipped graphs."""
    return sorted(set(GRAPHS.values()))


def read_repetita(path: str | Path) -> nx.Graph:
    """Parse a REPETITA ``.graph`` file.

    Parameters
    ----------
    path
        File in the REPETITA text format (``NODES n`` / header / ``label x y``
        lines, then ``EDGES m`` / header / ``label src dest weight bw delay``).

    Returns
    -------
    G : networkx.Graph
        Nodes ``0..n-1`` with attributes ``label``, ``x``, ``y``; undirected
        edges with ``delay`` = one-way delay in **ms** (file: microseconds).
        A link listed in both directions keeps the last listed delay, as the
        authors' symmetric matrix does.

    Raises
    ------
    InstanceError
        If the file is missing or malformed (one line naming the line).
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise InstanceError(f"{path}: no such topology file") from None
    return _parse(lines, str(path))


def _parse(lines: list[str], where: str) -> nx.Graph:
    def bad(i: int, what: str) -> InstanceError:
        return InstanceError(f"{where}: line {i + 1}: {what}")

    i = 0
    if not lines or not lines[0].startswith("NODES"):
        raise bad(0, "expected 'NODES n'")
    try:
        n = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise bad(0, "expected 'NODES n'") from None
    G = nx.Graph()
    for k in range(n):
        i = 2 + k
        parts = lines[i].split() if i < len(lines) else []
        if len(parts) != 3:
            raise bad(i, "expected 'label x y'")
        G.add_node(k, label=parts[0], x=float(parts[1]), y=float(parts[2]))
    i = 2 + n
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not lines[i].startswith("EDGES"):
        raise bad(i, "expected 'EDGES m'")
    m = int(lines[i].split()[1])
    for k in range(m):
        li = i + 2 + k
        parts = lines[li].split() if li < len(lines) else []
        if len(parts) != 6:
            raise bad(li, "expected 'label src dest weight bw delay'")
        u, v, delay_us = int(parts[1]), int(parts[2]), float(parts[5])
        if not (0 <= u < n and 0 <= v < n):
            raise bad(li, f"node id out of range 0..{n - 1}")
        if delay_us < 0:
            raise bad(li, f"negative delay {delay_us}")
        G.add_edge(u, v, delay=delay_us / 1000.0)
    return G


def load_topology(name: str) -> nx.Graph:
    """Load a shipped graph by name (``Abvt``/``AboveNet``, ``Bellcanada``,
    ``GtsCe``, ``AttMpls``)."""
    if name not in GRAPHS:
        raise InstanceError(f"graph: unknown topology {name!r} (choose from "
                            f"{', '.join(sorted(GRAPHS))})")
    res = resources.files("bprr_opt").joinpath(
        "data", "topologies", f"{GRAPHS[name]}.graph")
    return _parse(res.read_text(encoding="utf-8").splitlines(), GRAPHS[name])


@lru_cache(maxsize=8)
def _rtt_cached(name: str) -> np.ndarray:
    return raw_rtt_matrix(load_topology(name))


def raw_rtt_matrix(G: nx.Graph) -> np.ndarray:
    """Raw RTTs ``rho(u, v) = 2 * shortest one-way delay`` (ms), ``n x n``.

    Notes
    -----
    Floyd--Warshall (``networkx.floyd_warshall_numpy``), ``O(n^3)``;
    unreachable pairs are ``inf``.
    """
    d = nx.floyd_warshall_numpy(G, nodelist=sorted(G.nodes), weight="delay")
    return 2.0 * np.asarray(d, dtype=np.float64)


def topology_scenario(graph: str = "Abvt", n_servers: int | None = None,
                      eta: float = 0.2, *, seed: int | None = 0,
                      rng: np.random.Generator | None = None,
                      l_max: int = 128, l_in: int = 20,
                      memory: str = "main", name: str | None = None
                      ) -> Scenario:
    """Draw a scattered scenario on a Topology Zoo graph (spec §2.1).

    Parameters
    ----------
    graph
        ``"Abvt"`` (AboveNet), ``"Bellcanada"``, ``"GtsCe"`` or ``"AttMpls"``.
    n_servers
        ``C``: servers drawn among the non-client nodes.  Default
        ``round(0.4 * #nodes)`` (Abvt 9, Bellcanada 19, GtsCe 60).
    eta
        Fraction of A100 servers: ``round(C eta)`` (MATLAB rounding, so
        ``C = 9, eta = 0.5`` gives 5).  Default 0.2.
    seed, rng
        Seed of a fresh ``numpy.random.default_rng``, or a generator to draw
        from (the Monte-Carlo replicate passes its own so the topology,
        arrivals and PETALS' join order come from one stream).
    l_max, l_in
        Output and prompt tokens per request.  Defaults 128 and 20; ``s_c``
        is sized for ``l_in + l_max`` tokens (GB).
    memory
        GPU memory preset: ``"main"`` (A100 86.13, MIG 9.1 GB; the sweeps),
        ``"single"`` (79.13 / 8.2) or ``"large"`` (84.973 / 10.2, with the
        "large" script's PETALS throughputs and 350 s PETALS allocation delay).
    name
        Instance name.  Default built from the arguments.

    Returns
    -------
    Scenario
        Servers re-indexed MIG first, then A100 (each in drawing order);
        ``t_cj = rho + 100``, ``t^I_cj = rho + 0.7049 l_in + 67``; raw RTTs in
        the parameters for PETALS' routing.

    Raises
    ------
    InstanceError
        Unknown graph or preset, or ``C`` not in ``1..#nodes - 1``.
    """
    if memory not in MEMORY_PRESETS:
        raise InstanceError(f"memory: unknown preset {memory!r} (choose from "
                            f"{', '.join(MEMORY_PRESETS)})")
    if not 0 <= eta <= 1:
        raise InstanceError(f"eta: must be in [0, 1], got {eta!r}")
    rho_all = _rtt_cached(graph if graph in GRAPHS else "?")
    n_nodes = rho_all.shape[0]
    C = matlab_round(0.4 * n_nodes) if n_servers is None else int(n_servers)
    if not 1 <= C <= n_nodes - 1:
        raise InstanceError(f"n_servers: must be in 1..{n_nodes - 1} for "
                            f"{graph}, got {C}")
    if rng is None:
        rng = np.random.default_rng(seed)
    # steps 4-6: client, servers (random order), hardware types
    client = int(rng.integers(n_nodes))
    others = np.array([v for v in range(n_nodes) if v != client], np.int64)
    drawn = rng.choice(others, size=C, replace=False)
    n_a100 = matlab_round(C * eta)
    is_a100 = np.zeros(C, bool)
    is_a100[rng.permutation(C)[:n_a100]] = True
    # step 7: MIG first, then A100, each in drawing order
    nodes = [int(v) for v, a in zip(drawn, is_a100) if not a] + \
            [int(v) for v, a in zip(drawn, is_a100) if a]
    kinds = ["mig"] * (C - n_a100) + ["a100"] * n_a100
    G = load_topology(graph)
    rho_c = [float(rho_all[client, v]) for v in nodes]
    preset = MEMORY_PRESETS[memory]
    llm = load_llm("bloom-176b")
    servers = []
    count = {"mig": 0, "a100": 0}
    for v, kind in zip(nodes, kinds):
        hw = HARDWARE[kind]
        servers.append(Server(
            f"{kind}-{count[kind]}", float(preset[kind]), hw.tau,
            hw.tau_prefill(l_in),
            extra={"hardware": kind, "node": G.nodes[v]["label"]}))
        count[kind] += 1
    pre = prefill_overhead_ms(l_in)
    client_obj = Client("c0", 0, tuple(r + TOKEN_OVERHEAD_MS for r in rho_c),
                        tuple(r + pre for r in rho_c),
                        extra={"node": G.nodes[client]["label"]})
    s_m = block_memory_gb(llm)
    s_c = cache_memory_gb(llm, l_in + l_max, unit=GB)
    src = {"generator": "topology", "graph": GRAPHS[graph], "seed": seed,
           "n_servers": C, "eta": eta, "memory": memory,
           "rtt_overhead_ms": TOKEN_OVERHEAD_MS,
           "rtt_prefill_overhead_ms": pre}
    params = OnlineParams(
        client_raw_rtt=(tuple(rho_c),),
        server_rtt=tuple(tuple(float(rho_all[u, v]) for v in nodes)
                         for u in nodes),
        initial_delay_ms=INITIAL_DELAY_MS,
        allocation_delay_petals_ms=preset.get("allocation_delay_petals_ms",
                                              250_000.0),
        throughput=preset.get("throughput", dict(DEFAULT_THROUGHPUT)),
        d_model=llm.d_model, num_kv_groups=llm.num_kv_groups,
        source=src)
    nm = name or f"topology-{GRAPHS[graph]}-C{C}-eta{eta:g}-l{l_max}-s{seed}"
    inst = Instance(name=nm, L=llm.L, s_m=s_m, s_c=s_c, l_max=l_max,
                    servers=tuple(servers), clients=(client_obj,), l_in=l_in,
                    extra={"generator": {"kind": "topology", **{
                        k: v for k, v in src.items() if k != "generator"}}})
    return Scenario(inst, params)


def topology_instance(graph: str = "Abvt", n_servers: int | None = None,
                      eta: float = 0.2, *, seed: int = 0, l_max: int = 128,
                      l_in: int = 20, memory: str = "main",
                      name: str | None = None) -> Instance:
    """Draw a scattered scenario and return it as an instance.

    Parameters are those of :func:`topology_scenario`: graph name
    (``Abvt``, ``Bellcanada``, ``GtsCe``, ``AttMpls``), servers ``C``
    (default ``round(0.4 * #nodes)``), A100 fraction ``eta``, seed, tokens,
    GPU-memory preset and name.  Same arguments, same bytes.
    """
    return topology_scenario(graph, n_servers, eta, seed=seed, l_max=l_max,
                             l_in=l_in, memory=memory, name=name).to_instance()


def offline_topology_instance(graph: str = "Abvt", n_servers: int | None = None,
                              eta: float = 0.2, *, requests: int = 10,
                              seed: int = 0, l_max: int = 128, l_in: int = 20,
                              name: str | None = None) -> Instance:
    """A scattered Topology Zoo scenario as an offline instance.

    The scenario of :func:`topology_scenario` (same arguments, memory preset
    ``main``) with ``requests`` requests for its one client.

    Raises
    ------
    InstanceError
        As :func:`topology_scenario`.
    ValueError
        If ``requests < 0``.
    """
    if requests < 0:
        raise ValueError(f"requests: must be >= 0, got {requests!r}")
    inst = topology_scenario(graph, n_servers, eta, seed=seed, l_max=l_max,
                             l_in=l_in).to_instance()
    clients = tuple(Client(c.id, requests, c.rtt, c.rtt_prefill, c.extra)
                    for c in inst.clients)
    nm = name or (f"topology-{graph}-C{inst.num_servers}-eta{eta:g}"
                  f"-r{requests}-s{seed}")
    return inst.replace(name=nm, clients=clients)

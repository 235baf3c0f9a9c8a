"""The paper's clustered scenario: 7 MIG slices + 2 A100 servers, BLOOM-176B.

Two variants (``shared/spec/online-and-simulator.md`` §2.2, §12.4):

``offline`` (default)
    The authors' MILP test case: ``t_cj = 25 + U[0, 5]`` ms to the MIG
    ("local") cluster and ``25 + U[100, 200]`` to the A100 ("remote") one,
    ``tau`` = 15 ms (MIG) and 15/7 ms (A100), ``M`` = 9.5 GB (MIG) and
    79.138427734375 (A100), ``s_m = 1.3233976672`` GB and a KV cache sized for
    ``cache_tokens`` (default 100) tokens in GiB, as the authors' offline script
    does; 1 client, 3 requests, ``l_max = 100``, ``L = 70``.
``online``
    The simulator's clustered switch: deterministic RTTs (client with the MIG
    cluster: raw RTT 5 ms to MIGs, 100 ms to A100s; ``t = raw + 50``,
    ``t^I = raw + 55``), ``tau`` 16.2488 / 2.2197 ms, prefill 51.2488 / 7.2197
    ms, ``M`` 9.1 / 79.138427734375 GB, ``l_in = 10``, ``l_max = 128``, cache
    sized for ``l_in + l_max`` tokens in GB.  Server-to-server raw RTTs (5 ms in
    a cluster, 100 ms across) are stored in the instance's ``server_rtt``.
"""

from __future__ import annotations

import numpy as np

from ..instance import Client, Instance, Server
from ..presets import GB, GIB, block_memory_gb, cache_memory_gb, load_gpu, load_llm
from ..scenario import Scenario, scenario_from_instance

__all__ = ["clustered_instance", "clustered_scenario"]

A100_MEM_PAPER = 79.138427734375  # a GiB figure used as GB by the authors


def clustered_instance(n_clients: int = 1, requests: int = 3,
                       l_max: int | None = None, *, L: int = 70,
                       variant: str = "offline", n_mig: int = 7,
                       n_a100: int = 2, cache_tokens: int | None = None,
                       seed: int = 0, name: str | None = None) -> Instance:
    """Build the clustered scenario.

    Parameters
    ----------
    n_clients, requests
        Clients (all located with the MIG cluster) and requests per client.
        Defaults 1 and 3 (the authors' MILP test case).
    l_max
        Output tokens per request.  Default 100 (offline) / 128 (online).
    L
        Blocks served (BLOOM-176B has 70).  Default 70.
    variant
        ``"offline"`` or ``"online"`` (see module docstring).
    n_mig, n_a100
        Cluster sizes.  Defaults 7 and 2.
    cache_tokens
        Tokens one KV cache holds.  Default 100 offline, ``l_in + l_max`` online.
    seed
        Seed of the RTT draws (offline variant).  Default 0.
    """
    if variant not in ("offline", "online"):
        raise ValueError(f"variant: must be 'offline' or 'online', got {variant!r}")
    for nm, v in (("n_clients", n_clients), ("L", L)):
        if v < 1:
            raise ValueError(f"{nm}: must be >= 1, got {v}")
    if requests < 0:
        raise ValueError(f"requests: must be >= 0, got {requests}")
    llm = load_llm("bloom-176b")
    s_m = block_memory_gb(llm)
    kinds = ["mig"] * n_mig + ["a100"] * n_a100
    ids = [f"mig-{i}" for i in range(n_mig)] + [f"a100-{i}" for i in range(n_a100)]
    rng = np.random.default_rng(seed)
    extra: dict = {"generator": {"kind": "clustered", "variant": variant,
                                 "seed": seed}}
    if variant == "offline":
        l_max = 100 if l_max is None else l_max
        tokens = 100 if cache_tokens is None else cache_tokens
        s_c = cache_memory_gb(llm, tokens, unit=GIB)
        l_in = 0
        mig, a100 = load_gpu("mig-1g10gb"), load_gpu("a100-80gb")
        servers = tuple(
            Server(i, mig.memory_gb if k == "mig" else A100_MEM_PAPER,
                   mig.tau("bloom-176b") if k == "mig" else a100.tau("bloom-176b"),
                   extra={"hardware": k})
            for i, k in zip(ids, kinds))
        clients = []
        for c in range(n_clients):
            local = rng.uniform(0, 5, size=n_mig)
            remote = rng.uniform(100, 200, size=n_a100)
            rtt = tuple(float(round(25 + x, 4))
                        for x in np.concatenate([local, remote]))
            clients.append(Client(f"c{c}", requests, rtt))
    else:
        l_max = 128 if l_max is None else l_max
        l_in = 10
        tokens = l_in + l_max if cache_tokens is None else cache_tokens
        s_c = cache_memory_gb(llm, tokens, unit=GB)
        servers = tuple(
            Server(i, 9.1 if k == "mig" else A100_MEM_PAPER,
                   16.2488 if k == "mig" else 2.2197,
                   51.2488 if k == "mig" else 7.2197,
                   extra={"hardware": k})
            for i, k in zip(ids, kinds))
        raw = [5.0 if k == "mig" else 100.0 for k in kinds]
        clients = [Client(f"c{c}", requests, tuple(r + 50.0 for r in raw),
                          tuple(r + 55.0 for r in raw)) for c in range(n_clients)]
        extra["server_rtt"] = [[0.0 if i == j else (5.0 if ki == kj else 100.0)
                                for j, kj in enumerate(kinds)]
                               for i, ki in enumerate(kinds)]
        extra["initial_delay_ms"] = 100.0
    total = n_clients * requests
    nm = name or f"clustered-{variant}-{n_mig + n_a100}s-{total}r-L{L}-s{seed}"
    return Instance(name=nm, L=L, s_m=s_m, s_c=s_c, l_max=l_max,
                    servers=servers, clients=tuple(clients), l_in=l_in,
                    extra=extra)


def clustered_scenario(requests: int = 100, l_max: int = 128) -> Scenario:
    """The authors' clustered online scenario (spec §2.2): 7 MIG + 2 A100,
    client with the MIG cluster, ``D_0 = 100`` ms (their run: 1e-3 req/ms,
    100 requests).  ``requests`` only fills the instance's request count."""
    return scenario_from_instance(clustered_instance(
        1, requests, l_max, variant="online"))

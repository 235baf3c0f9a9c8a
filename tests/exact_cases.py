"""Instance strategies for the exact-method tests (tiny enough for the oracle).

Sizes follow the brute force's range (L <= 4, <= 3 servers, <= 2 clients,
<= 3 requests per client).  The paper's MILP is weak: with three servers and
more than two requests HiGHS needs seconds per instance, so three-server
instances carry at most two requests in total (two-server instances take the
full range).  That keeps a few hundred exact solves inside the test budget.
Top level (like ``brute_force.py``) because the interval-formulation tests
use it too.
"""

from __future__ import annotations

from hypothesis import strategies as st

from bprr_opt.generators import MEMORY_REGIMES, random_instance
from bprr_opt.instance import Client, Instance, Server

__all__ = ["odd_memory_instances", "request_counts", "tiny_instances"]


@st.composite
def request_counts(draw, n_servers: int) -> list[int]:
    """Requests per client: up to 3 each, at most 2 in all on 3 servers."""
    C = draw(st.integers(1, 2))
    if n_servers >= 3:
        total = draw(st.integers(0, 2))
        first = draw(st.integers(0, total)) if C == 2 else total
        return [first, total - first][:C] if C == 2 else [total]
    return [draw(st.integers(0, 3)) for _ in range(C)]


@st.composite
def tiny_instances(draw) -> Instance:
    """The package's random generator in its three memory regimes."""
    n = draw(st.integers(1, 3))
    reqs = draw(request_counts(n))
    L = draw(st.integers(1, 4))
    regime = draw(st.sampled_from(MEMORY_REGIMES))
    seed = draw(st.integers(0, 2**31 - 1))
    inst = random_instance(n, len(reqs), max(reqs), L, regime=regime,
                           seed=seed)
    clients = tuple(Client(c.id, r, c.rtt) for c, r in zip(inst.clients, reqs))
    return inst.replace(clients=clients)


@st.composite
def odd_memory_instances(draw) -> Instance:
    """Memories placed on, just below and just above exact loads.

    ``M_j = s_m m + s_c k + delta`` with ``delta in {0, +-s_c/16}`` and binary
    fractions for ``s_m`` and ``s_c``, so every load ``s_m m + s_c K`` is an
    exact float: memory binds exactly, or misses by a sixteenth of a cache.
    ``m`` is mostly large enough for the servers to cover ``1..L`` (about
    half of the cases are feasible); ``m = 0`` gives servers smaller than one
    block (``M_j < s_m``).
    """
    n = draw(st.integers(1, 3))
    reqs = draw(request_counts(n))
    L = draw(st.integers(1, 4))
    R = sum(reqs)
    s_m = draw(st.sampled_from([0.5, 1.0, 2.0]))
    s_c = draw(st.sampled_from([0.125, 0.25, 0.5, 1.0]))
    servers = []
    lo = -(-L // n)  # blocks per server for the servers to cover 1..L
    for j in range(n):
        m = draw(st.one_of(st.integers(lo, L), st.integers(lo, L),
                           st.integers(0, L)))
        top = max(1, R) * max(1, m)  # caches for every request on all blocks
        k = draw(st.one_of(st.integers(0, top), st.integers(top // 2, top)))
        delta = draw(st.sampled_from([0.0, -s_c / 16, s_c / 16]))
        mem = s_m * m + s_c * k + delta
        if mem <= 0:
            mem = s_c / 4
        tau = draw(st.sampled_from([0.0, 1.0, 2.5, 10.0]))
        servers.append(Server(f"s{j}", mem, tau))
    rtt = st.integers(0, 60).map(float)
    clients = tuple(Client(f"c{c}", reqs[c], tuple(draw(rtt) for _ in range(n)))
                    for c in range(len(reqs)))
    return Instance(name="odd-memory", L=L, s_m=s_m, s_c=s_c,
                    l_max=draw(st.sampled_from([1, 3])),
                    servers=tuple(servers), clients=clients)

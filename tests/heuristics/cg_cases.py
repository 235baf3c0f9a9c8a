"""Instance strategies for the CG-BPRR and bounds tests.

``cg_instances`` mixes the package's random generator (tight / medium /
loose memory), arbitrary valid instances (odd values, servers too small for
one block), heterogeneous fleets (a few large and many small GPUs, fast and
slow), and memory figures placed within ``1e-9`` of the Step 1 boundary
``M_j = m (s_m + s_c R)`` where the floors are decided by the tolerance.
"""

from __future__ import annotations

from hypothesis import strategies as st
from strategies import generated_instances, raw_instances

from bprr_opt.instance import Client, Instance, Server

__all__ = ["boundary_instances", "cg_instances", "hetero_instances"]


@st.composite
def hetero_instances(draw, max_servers: int = 8, max_clients: int = 3,
                     max_requests: int = 4, max_L: int = 12) -> Instance:
    """Fleets of 'big' and 'small' GPUs with independent speeds and RTTs."""
    n = draw(st.integers(1, max_servers))
    C = draw(st.integers(1, max_clients))
    L = draw(st.integers(1, max_L))
    reqs = [draw(st.integers(0, max_requests)) for _ in range(C)]
    s_m = 1.0
    s_c = draw(st.sampled_from([0.01, 0.05, 0.2, 0.5]))
    unit = s_m + s_c * max(1, sum(reqs))
    servers = []
    for j in range(n):
        big = draw(st.booleans())
        blocks = draw(st.floats(0.5, L + 1.5)) if big else \
            draw(st.floats(0.2, max(0.3, L / 3)))
        tau = draw(st.sampled_from([0.0, 0.5, 2.0, 7.5, 15.0, 30.0]))
        servers.append(Server(f"s{j}", round(blocks * unit, 6), tau))
    rtt = st.floats(0.0, 200.0, allow_nan=False).map(lambda x: round(x, 3))
    clients = tuple(Client(f"c{c}", reqs[c],
                           tuple(draw(rtt) for _ in range(n)))
                    for c in range(C))
    return Instance(name="hetero", L=L, s_m=s_m, s_c=s_c, l_max=1,
                    servers=tuple(servers), clients=clients)


@st.composite
def boundary_instances(draw, max_servers: int = 5,
                       max_L: int = 10) -> Instance:
    """Memories ``m (s_m + s_c R) (1 + delta)`` with ``|delta| <= 3e-10``."""
    n = draw(st.integers(1, max_servers))
    L = draw(st.integers(1, max_L))
    R = draw(st.integers(1, 4))
    s_m = draw(st.sampled_from([1.0, 1.3234, 0.7]))
    s_c = draw(st.sampled_from([0.001, 0.00534, 0.1, 0.3]))
    unit = s_m + s_c * R
    servers = []
    for j in range(n):
        m = draw(st.integers(1, L))
        delta = draw(st.sampled_from([-3e-10, -1e-12, 0.0, 1e-12, 3e-10]))
        servers.append(Server(f"s{j}", m * unit * (1.0 + delta),
                              draw(st.sampled_from([1.0, 2.5, 10.0]))))
    rtt = st.sampled_from([0.0, 5.0, 25.0, 100.0])
    split = draw(st.integers(0, R))
    clients = (Client("c0", split, tuple(draw(rtt) for _ in range(n))),
               Client("c1", R - split, tuple(draw(rtt) for _ in range(n))))
    return Instance(name="boundary", L=L, s_m=s_m, s_c=s_c, l_max=1,
                    servers=tuple(servers), clients=clients)


def cg_instances(max_servers: int = 8, max_L: int = 12) -> st.SearchStrategy:
    """All of the above."""
    return st.one_of(
        generated_instances(max_servers=max_servers, max_L=max_L),
        raw_instances(max_servers=max_servers, max_L=max_L, prefill=False),
        hetero_instances(max_servers=max_servers, max_L=max_L),
        boundary_instances(max_servers=max_servers, max_L=max_L),
    )

"""Hypothesis strategies and helpers for the online tests.

Small scenarios with scarce cache slots, so that requests wait, back off and
share servers: the interesting regime for the simulator's invariants.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from bprr_opt.chains.hops import hop_graph
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.online.arrivals import Arrivals
from bprr_opt.online.petals import petals_graph_costs
from bprr_opt.scenario import OnlineParams, Scenario
from bprr_opt.online.policy import OnlinePolicy
from bprr_opt.online.ws_rr import ws_rr_policy
from bprr_opt.solution import Placement
from strategies import covering_placements

times = st.integers(1, 400).map(float)


@st.composite
def online_cases(draw, max_servers: int = 5, max_L: int = 6,
                 max_requests: int = 25, max_clients: int = 2,
                 slack: int = 3):
    """``(scenario, placement, slot_pool, arrivals)`` with scarce slots."""
    n = draw(st.integers(2, max_servers))
    L = draw(st.integers(2, max_L))
    C = draw(st.integers(1, max_clients))
    pl = draw(covering_placements(n, L, min_blocks=1))
    s_m, s_c = 1.0, 0.25
    pool = [draw(st.integers(max(pl.num_blocks[j], 1),
                             slack * max(pl.num_blocks[j], 1)))
            for j in range(n)]
    servers = tuple(
        Server(f"s{j}", s_m * pl.num_blocks[j] + s_c * pool[j] + s_c / 2,
               draw(times) / 10, draw(times) / 5,
               extra={"hardware": draw(st.sampled_from(["a100", "mig"]))})
        for j in range(n))
    raw = [[draw(times) for _ in range(n)] for _ in range(C)]
    clients = tuple(
        Client(f"c{c}", 1, tuple(r + 10.0 for r in raw[c]),
               tuple(r + 20.0 for r in raw[c])) for c in range(C))
    l_max = draw(st.integers(2, 8))
    inst = Instance(name="online-case", L=L, s_m=s_m, s_c=s_c, l_max=l_max,
                    servers=servers, clients=clients, l_in=4)
    srv = [[0.0 if i == j else draw(times) for j in range(n)]
           for i in range(n)]
    params = OnlineParams(
        client_raw_rtt=raw, server_rtt=srv,
        initial_delay_ms=float(draw(st.integers(0, 50))),
        allocation_delay_proposed_ms=float(draw(st.integers(0, 200))),
        allocation_delay_petals_ms=float(draw(st.integers(0, 500))),
        backoff_first_ms=float(draw(st.sampled_from([10, 100, 1000]))),
        backoff_cap_ms=float(draw(st.sampled_from([60, 600, 60000]))),
        petals_penalty_ms=float(draw(st.sampled_from([0, 50, 10000]))))
    scen = Scenario(inst, params)
    N = draw(st.integers(1, max_requests))
    gap_scale = draw(st.sampled_from([1.0, 100.0, 2000.0, 20000.0]))
    gaps = [0.0] + [draw(st.integers(0, 100)) / 100 * gap_scale
                    for _ in range(N - 1)]
    clients_r = [draw(st.integers(0, C - 1)) for _ in range(N)]
    arr = Arrivals(np.cumsum(gaps), np.array(clients_r, np.int64))
    return scen, pl, np.array(pool, np.int64), arr


def policy_for(scen: Scenario, pl: Placement, pool: np.ndarray,
               routing: str, session_cap: int = 1) -> OnlinePolicy:
    """A WS-RR or PETALS-routing policy on an arbitrary placement."""
    if routing == "ws-rr":
        return ws_rr_policy(scen, pl, slot_pool=pool)
    g = hop_graph(pl, scen.instance.L)
    g = g.with_cost(petals_graph_costs(scen, g))
    p = scen.params
    return OnlinePolicy(
        method="petals-routing", family="petals", placement=pl,
        slot_pool=pool, routing="petals", graph=g,
        allocation_delay_ms=p.allocation_delay_petals_ms,
        initial_delay_ms=p.initial_delay_ms,
        backoff_first_ms=p.backoff_first_ms, backoff_cap_ms=p.backoff_cap_ms,
        session_capacity=np.full(len(pool), session_cap, np.int64),
        penalty_ms=p.petals_penalty_ms)


def running_load(res, n: int) -> tuple[list[dict], list[dict]]:
    """Slots per server of *running* and of *booked* sessions at every event.

    Running: on ``[arrival + B(W), S)``; booked: on ``[arrival, S)``.  Both
    are right-open, matching "active iff S > t".
    """
    events = sorted(set(res.arrival.tolist()) | set(res.start.tolist())
                    | set(res.finish.tolist()))
    running, booked = [], []
    for t in events:
        run = dict.fromkeys(range(n), 0)
        book = dict.fromkeys(range(n), 0)
        for r in range(res.num_requests):
            for j, k in zip(res.chains[r], res.blocks[r]):
                if res.start[r] <= t < res.finish[r]:
                    run[j] += k
                if res.arrival[r] <= t < res.finish[r]:
                    book[j] += k
        running.append(run)
        booked.append(book)
    return running, booked

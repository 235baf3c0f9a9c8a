"""The online simulation core shared by WS-RR and every PETALS variant.

Requests are handled one at a time in arrival order; each is routed once, on
arrival, and its whole future is computed at once (no re-routing, no
preemption) -- ``shared/spec/online-and-simulator.md`` §3 and §6.

State
    For every routed request ``r`` its completion time ``S(r)`` and, on every
    server ``j`` of its chain, the number ``u_j(r)`` of block-cache slots it
    holds there.  ``r`` is *active on j at time t* iff ``S(r) > t``; memory
    is booked from arrival to completion, waiting included (⚠ spec §14.4).
Slot pool
    ``N_j`` block-cache slots per server (the method's memory model).
Earliest start ``tau_j(need, t)``
    ``t`` if ``N_j - sum_active u >= need``; otherwise the completion time of
    the ``k``-th active request in order of completion (stable), for the
    smallest ``k`` after which the remaining ones leave ``need`` slots.
Waiting and backoff
    ``W_r = max`` over the chain's hops of ``tau_j - t``; the client retries
    with binary exponential backoff, so the realised wait is ``B(W_r)``
    (:func:`backoff`).
Accounting (spec §3)
    ``prefill = sum_j (t^I_cj + tau^I_j k_j)``, ``decode = sum_j (t_cj +
    tau_j k_j)`` (in chain order), ``service = prefill + (l_max - 1) decode``,
    ``TTFT = B + D_0 + A + prefill``, ``completion = B + D_0 + A + service``
    (from arrival).  Without prefill data the first token costs a decode
    step (``t^I = t``, ``tau^I = tau``), so ``service = l_max decode``.  The
    static part (``prefill``, ``decode``) is computed exactly as
    :func:`bprr_opt.evaluate.evaluate` computes ``avg_prefill_ms`` and
    ``avg_per_token_ms`` for a one-request instance on the same chain.

Two engines run the same model: the compiled one (:mod:`._sim_kernels`, for
WS-RR and PETALS routing) and a plain-Python reference (:class:`OnlineState`
and :func:`simulate_reference`, written straight from the spec, slow, used by
the tests, the Opt RR MILP router and the benchmark's reference).

Memory invariant.  Booked slots (held from arrival) *can* exceed ``N_j``: a
request that must wait books its slots immediately while the sessions it
waits for still hold theirs.  What never exceeds ``N_j`` is the load of the
*running* sessions, a session running on ``[arrival + B(W_r), S(r))``:
``B(W_r) >= tau_j - t`` on every hop, and at ``tau_j`` the earlier sessions
still active leave ``need`` slots.  The tests check both facts.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §3.3 and §5.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..chains.dijkstra import dijkstra_dense
from ..errors import InfeasibleError
from ..instance import Instance
from ..solution import Placement, Route, Solution
from ..evaluate import route_blocks
from ..params import Engine
from . import _sim_kernels as K
from .arrivals import Arrivals
from .policy import OnlinePolicy, RoutingRule

__all__ = [
    "OnlineState",
    "Router",
    "SimulationRecords",
    "backoff",
    "chain_blocks",
    "prefill_arrays",
    "simulate",
    "simulate_reference",
]



def backoff(W: float, first_ms: float = 1000.0, cap_ms: float = 60_000.0
            ) -> float:
    """Realised wait ``B(W)`` of retries with binary exponential backoff.

    The client retries after ``first``, then ``2 first``, ``4 first``, ...
    ms, each step capped at ``cap``; ``B(W)`` is the first cumulative retry
    time ``>= W`` (0 when ``W <= 0``).  With the defaults:
    ``(0, 1000] -> 1000``, ``(1000, 3000] -> 3000``, ... ``(63000, 123000]
    -> 123000``, then ``+60000`` per step.
    """
    if W <= 0:
        return 0.0
    total = 0.0
    step = first_ms
    while total < W:
        total += min(step, cap_ms)
        step *= 2.0
    return total


def prefill_arrays(inst: Instance) -> tuple[np.ndarray, np.ndarray,
                                            np.ndarray, np.ndarray]:
    """``(t, t^I, tau, tau^I)``; without prefill data ``t^I = t``,
    ``tau^I = tau`` (the first token costs a decode step)."""
    arr = inst.to_arrays()
    rtt, tau = arr.rtt, arr.tau
    if inst.has_prefill:
        return rtt, arr.rtt_prefill, tau, arr.tau_prefill
    return rtt, rtt.copy(), tau, tau.copy()


# ---------------------------------------------------------------------------
# what comes out
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SimulationRecords:
    """Per-request records of one simulation (times in ms).

    Attributes
    ----------
    arrival, client
        Arrival time and client of each request.
    chain_matrix, block_matrix, hops
        Server chain and blocks processed per hop, row ``r`` padded with -1
        and 0 after ``hops[r]`` entries; :attr:`chains` and :attr:`blocks`
        give them as tuples.
    wait_raw
        ``W_r``: the largest per-hop wait.
    waiting
        ``B(W_r)``: the realised wait after backoff.
    ttft, completion
        Time to first token and completion time, both from arrival.
    prefill, decode
        Static prefill time and per-token decode time of the chain.
    path_cost
        The router's own cost of the chosen path (Dijkstra distance or MILP
        objective).
    concurrency
        ``1 + #{r' : S(r') > t}`` on arrival.
    runtime_s
        Wall-clock seconds of the simulation (routing included).
    """

    policy: OnlinePolicy
    l_max: int
    arrival: np.ndarray
    client: np.ndarray
    chain_matrix: np.ndarray
    block_matrix: np.ndarray
    hops: np.ndarray
    wait_raw: np.ndarray
    waiting: np.ndarray
    ttft: np.ndarray
    completion: np.ndarray
    prefill: np.ndarray
    decode: np.ndarray
    path_cost: np.ndarray
    concurrency: np.ndarray
    runtime_s: float
    engine: Engine

    @property
    def num_requests(self) -> int:
        """Number of simulated requests."""
        return int(self.arrival.size)

    @cached_property
    def chains(self) -> tuple[tuple[int, ...], ...]:
        """Chain of every request (server indices, in order)."""
        return _rows(self.chain_matrix, self.hops)

    @cached_property
    def blocks(self) -> tuple[tuple[int, ...], ...]:
        """Blocks processed on every hop of every request."""
        return _rows(self.block_matrix, self.hops)

    @property
    def finish(self) -> np.ndarray:
        """Absolute completion times ``S(r)``."""
        return self.arrival + self.completion

    @property
    def start(self) -> np.ndarray:
        """When each session starts running: ``arrival + B(W_r)``."""
        return self.arrival + self.waiting

    def violations(self, instance: Instance) -> list[str]:
        """Check the run against the model; an empty list means valid.

        Every chain must obey the block rule of the static placement
        (the evaluator's :func:`~bprr_opt.evaluate.route_blocks`, Lemma 3.1)
        with the recorded blocks per hop, and on every server the slots of
        the sessions *running* at any time (``[start, finish)``) must fit
        the slot pool ``N_j``.  (Slots booked by waiting requests may exceed
        it in the authors' model, spec §14.4; running ones may not.)
        """
        pl = self.policy.placement
        out: list[str] = []
        for r, (chain, blocks) in enumerate(zip(self.chains, self.blocks)):
            want, problems = route_blocks(pl.first_block, pl.num_blocks,
                                          chain, instance.L)
            if problems:
                out.append(f"request {r}: {problems[0]}")
            elif tuple(want) != blocks:
                out.append(f"request {r}: blocks {blocks} recorded, the "
                           f"placement gives {tuple(want)}")
        events: dict[int, list[tuple[float, int, int]]] = {}
        for r, (chain, blocks) in enumerate(zip(self.chains, self.blocks)):
            for j, k in zip(chain, blocks):
                # finishes sort before starts at the same time: a session
                # holds its slots on [start, finish)
                events.setdefault(j, []).append((float(self.start[r]), 1, k))
                events.setdefault(j, []).append((float(self.finish[r]), 0, -k))
        for j, evs in sorted(events.items()):
            load = peak = 0
            for _, _, du in sorted(evs):
                load += du
                peak = max(peak, load)
            if peak > int(self.policy.slot_pool[j]):
                out.append(f"server {instance.servers[j].id}: {peak} slots "
                           f"running at once > pool {int(self.policy.slot_pool[j])}")
        return out

    def solution(self, instance: Instance) -> Solution:
        """The static placement and the chains taken, as a core
        :class:`~bprr_opt.solution.Solution` (one route per distinct chain
        and client, counted).  Its memory verdict is the *concurrent* one of
        the evaluator, not the simulator's time-shared one."""
        counts: dict[tuple[int, tuple[int, ...]], int] = {}
        for c, ch in zip(self.client.tolist(), self.chains):
            counts[(c, ch)] = counts.get((c, ch), 0) + 1
        routes = tuple(Route(c, ch, k) for (c, ch), k in counts.items())
        return Solution(self.policy.placement, routes)


# ---------------------------------------------------------------------------
# plain-Python reference engine (spec-literal)
# ---------------------------------------------------------------------------

class OnlineState:
    """The §6 state, written as plainly as the spec reads.

    ``held[j]`` lists ``(S_j(r), r, u_j(r))`` of every request ever routed
    through ``j``; activity is decided by ``S_j(r) > t`` on each query.
    """

    def __init__(self, slot_pool: Sequence[int]) -> None:
        self.N = [int(x) for x in slot_pool]
        self.held: list[list[tuple[float, int, int]]] = [[] for _ in self.N]
        self.finish: list[float] = []

    def active(self, j: int, t: float) -> list[tuple[float, int, int]]:
        """Active requests on ``j`` at ``t``, by completion time (stable)."""
        return sorted((x for x in self.held[j] if x[0] > t),
                      key=lambda x: (x[0], x[1]))

    def sessions(self, j: int, t: float) -> int:
        """``n_j``: number of requests active on ``j`` at ``t``."""
        return sum(1 for x in self.held[j] if x[0] > t)

    def earliest_start(self, j: int, need: int, t: float) -> float:
        """``tau_j(need, t)``; ``inf`` if ``need > N_j`` (never fits)."""
        act = self.active(j, t)
        free = self.N[j] - sum(u for _, _, u in act)
        if free >= need:
            return t
        for k in range(1, len(act) + 1):
            if self.N[j] - sum(u for _, _, u in act[k:]) >= need:
                return act[k - 1][0]
        return math.inf

    def concurrency(self, t: float) -> int:
        """``1 +`` the requests still active at ``t`` (including waiting ones)."""
        return 1 + sum(1 for s in self.finish if s > t)

    def commit(self, r: int, chain: Sequence[int], blocks: Sequence[int],
               finish: float) -> None:
        """Book request ``r``'s slots on its chain until ``finish``."""
        self.finish.append(finish)
        for j, k in zip(chain, blocks):
            self.held[j].append((finish, r, int(k)))


def chain_blocks(placement: Placement, chain: Sequence[int]) -> list[int]:
    """Blocks processed per hop of a feasible chain."""
    prev = 1
    out = []
    for j in chain:
        end = placement.first_block[j] + placement.num_blocks[j]
        out.append(end - prev)
        prev = end
    return out


Router = Callable[[OnlinePolicy, OnlineState, float, int],
                  tuple[list[int] | None, float]]


def _dense_router(policy: OnlinePolicy, state: OnlineState, t: float,
                  c: int) -> tuple[list[int] | None, float]:
    """WS-RR / PETALS routing on a dense matrix (0 = no edge)."""
    g = policy.graph
    n = g.n
    W = [[0.0] * (n + 2) for _ in range(n + 2)]
    for e in range(g.num_edges):
        u, v, k = int(g.tail[e]), int(g.head[e]), int(g.blocks[e])
        w = float(g.cost[c, e])
        if v < n:
            if policy.routing is RoutingRule.WS_RR:
                ts = state.earliest_start(v, k, t)
                if ts == math.inf:
                    continue  # can never hold k slots: not an edge
                w = (ts - t) + w
            elif policy.session_capacity[v] - state.sessions(v, t) == 0:
                w = w + policy.penalty_ms  # ⚠ exact equality (spec §14.2)
        W[u][v] = w
    dist, path = dijkstra_dense(W, n, n + 1)
    if path is None:
        return None, math.inf
    return path[1:-1], dist


def simulate_reference(instance: Instance, policy: OnlinePolicy,
                       arrivals: Arrivals,
                       router: Router | None = None) -> SimulationRecords:
    """Simulate ``policy`` on ``arrivals`` with the plain-Python engine.

    ``router(policy, state, t, client) -> (chain, path_cost)`` chooses each
    chain (default: WS-RR or PETALS routing on a dense matrix with the
    authors' Dijkstra).  Everything else (waits, backoff, accounting, state)
    is §6.

    Raises
    ------
    InfeasibleError
        If a request finds no chain, or its chain needs more slots than a
        server has.
    """
    if router is None:
        if policy.routing is RoutingRule.MILP:
            raise ValueError("routing 'milp' needs an explicit router")
        router = _dense_router
    t0 = time.perf_counter()
    rtt, rtt_p, tau, tau_p = prefill_arrays(instance)
    lm1 = instance.l_max - 1
    A, D0 = policy.allocation_delay_ms, policy.initial_delay_ms
    state = OnlineState(policy.slot_pool)
    N = len(arrivals)
    out = {k: np.zeros(N) for k in ("wait_raw", "waiting", "ttft",
                                    "completion", "prefill", "decode",
                                    "path_cost")}
    conc = np.zeros(N, np.int64)
    chains, blocks_all = [], []
    for r in range(N):
        t = float(arrivals.times[r])
        c = int(arrivals.clients[r])
        conc[r] = state.concurrency(t)
        chain, cost = router(policy, state, t, c)
        if chain is None:
            raise InfeasibleError(f"request {r}: no feasible chain "
                                  f"({policy.method})")
        ks = chain_blocks(policy.placement, chain)
        W = 0.0
        for j, k in zip(chain, ks):
            ts = state.earliest_start(j, k, t)
            if ts == math.inf:
                raise InfeasibleError(
                    f"request {r}: server {j} has {policy.slot_pool[j]} "
                    f"cache slots, chain needs {k} ({policy.method})")
            W = max(W, ts - t)
        B = backoff(W, policy.backoff_first_ms, policy.backoff_cap_ms)
        pre = 0.0
        dec = 0.0
        for j, k in zip(chain, ks):  # same order as the evaluator
            dec += rtt[c, j] + tau[j] * k
        for j, k in zip(chain, ks):
            pre += rtt_p[c, j] + tau_p[j] * k
        service = pre + lm1 * dec
        head = B + D0 + A
        out["wait_raw"][r] = W
        out["waiting"][r] = B
        out["ttft"][r] = head + pre
        out["completion"][r] = head + service
        out["prefill"][r] = pre
        out["decode"][r] = dec
        out["path_cost"][r] = cost
        state.commit(r, chain, ks, t + out["completion"][r])
        chains.append(tuple(int(j) for j in chain))
        blocks_all.append(tuple(ks))
    width = max((len(ch) for ch in chains), default=0)
    chain_m = np.full((N, width), -1, np.int64)
    blk_m = np.zeros((N, width), np.int64)
    for r, (ch, ks) in enumerate(zip(chains, blocks_all)):
        chain_m[r, :len(ch)] = ch
        blk_m[r, :len(ks)] = ks
    return SimulationRecords(
        policy=policy, l_max=instance.l_max, arrival=arrivals.times.copy(),
        client=arrivals.clients.copy(), chain_matrix=chain_m,
        block_matrix=blk_m,
        hops=np.array([len(ch) for ch in chains], np.int64),
        concurrency=conc,
        runtime_s=time.perf_counter() - t0, engine=Engine.REFERENCE, **out)


# ---------------------------------------------------------------------------
# compiled engine
# ---------------------------------------------------------------------------

def _rows(matrix: np.ndarray, hops: np.ndarray) -> tuple[tuple[int, ...],
                                                          ...]:
    """Padded per-request rows -> tuple of tuples of their first entries."""
    width = int(hops.max()) if hops.size else 0
    rows = matrix[:, :width].tolist()
    if hops.size and int(hops.min()) == width:  # every chain equally long
        return tuple(map(tuple, rows))
    return tuple(tuple(r[:k]) for r, k in zip(rows, hops.tolist()))


def simulate(instance: Instance, policy: OnlinePolicy, arrivals: Arrivals, *,
             engine: Engine | str = Engine.NUMBA,
             router: Router | None = None) -> SimulationRecords:
    """Simulate ``policy`` on ``arrivals`` (spec §6).

    Parameters
    ----------
    instance
        Times and memory (``scenario.instance``).
    policy
        Placement, slot pool, routing rule and constants.
    arrivals
        Arrival times (ms) and clients.
    engine
        ``"numba"`` (compiled; WS-RR and PETALS routing) or ``"reference"``
        (plain Python, any ``router``).  Both give identical records.
        Default ``"numba"``.
    router
        Custom router for the reference engine (Opt RR's MILP).

    Returns
    -------
    SimulationRecords
        Per-request records.

    Raises
    ------
    InfeasibleError
        A request finds no chain or needs more slots than a server has.

    Notes
    -----
    Per request ``O(V^2 + E + H)`` with ``V = n + 2`` nodes, ``E`` feasible
    hops and ``H`` active sessions (the compiled engine keeps every server's
    sessions sorted by completion time, so expiring and ``tau_j`` are scans
    of short prefixes).
    """
    if engine not in tuple(Engine):
        raise ValueError(f"engine: must be one of {', '.join(Engine)}, got "
                         f"{engine!r}")
    if engine == Engine.REFERENCE or router is not None \
            or policy.routing is RoutingRule.MILP:
        return simulate_reference(instance, policy, arrivals, router)
    K.warm_up()
    rtt, rtt_p, tau, tau_p = prefill_arrays(instance)
    g = policy.graph
    mode = 0 if policy.routing is RoutingRule.WS_RR else 1
    cap = (np.zeros(g.n, np.int64) if policy.session_capacity is None
           else np.asarray(policy.session_capacity, np.int64))
    a = np.asarray(policy.placement.first_block, np.int64)
    m = np.asarray(policy.placement.num_blocks, np.int64)
    t0 = time.perf_counter()
    res = K.simulate_kernel(
        mode, arrivals.times, arrivals.clients, g.indptr, g.head, g.blocks,
        g.cost, cap, float(policy.penalty_ms),
        np.asarray(policy.slot_pool, np.int64), a, m,
        rtt, rtt_p, tau, tau_p, int(instance.l_max),
        float(policy.allocation_delay_ms), float(policy.initial_delay_ms),
        float(policy.backoff_first_ms), float(policy.backoff_cap_ms))
    runtime = time.perf_counter() - t0
    (status, bad, chain_m, blk_m, hops, W, B, ttft, comp, pre, dec, cost,
     conc) = res
    if status != 0:
        if status == 1:
            raise InfeasibleError(f"request {bad}: no feasible chain "
                                  f"({policy.method})")
        raise InfeasibleError(f"request {bad}: its chain needs more cache "
                              f"slots than a server has ({policy.method})")
    width = int(hops.max()) if hops.size else 0
    return SimulationRecords(
        policy=policy, l_max=instance.l_max, arrival=arrivals.times.copy(),
        client=arrivals.clients.copy(),
        chain_matrix=np.ascontiguousarray(chain_m[:, :width]),
        block_matrix=np.ascontiguousarray(blk_m[:, :width]), hops=hops,
        wait_raw=W, waiting=B, ttft=ttft, completion=comp, prefill=pre,
        decode=dec, path_cost=cost, concurrency=conc, runtime_s=runtime,
        engine=Engine.NUMBA)

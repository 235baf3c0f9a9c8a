"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

from bprr_opt.generators import MEMORY_REGIMES, random_instance
from bprr_opt.instance import Client, Instance, Server
from bprr_opt.solution import Placement, Route, Solution

finite = st.floats(min_value=0.0, max_value=500.0, allow_nan=False,
                   allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=500.0, allow_nan=False,
                     allow_infinity=False)


@st.composite
def raw_instances(draw, max_servers: int = 5, max_clients: int = 3,
                  max_L: int = 8, prefill: bool | None = None) -> Instance:
    """Arbitrary valid instances, including odd values and extra fields."""
    n = draw(st.integers(1, max_servers))
    C = draw(st.integers(1, max_clients))
    with_prefill = draw(st.booleans()) if prefill is None else prefill
    servers = tuple(
        Server(f"s{j}", draw(positive), draw(finite),
               draw(finite) if with_prefill else None,
               extra=draw(st.sampled_from([{}, {"hardware": "a100"}])))
        for j in range(n))
    clients = tuple(
        Client(f"c{k}", draw(st.integers(0, 4)),
               tuple(draw(finite) for _ in range(n)),
               tuple(draw(finite) for _ in range(n)) if with_prefill else None)
        for k in range(C))
    return Instance(
        name=draw(st.text(min_size=1, max_size=8)),
        L=draw(st.integers(1, max_L)), s_m=draw(positive), s_c=draw(positive),
        l_max=draw(st.integers(1, 256)), servers=servers, clients=clients,
        l_in=draw(st.integers(0, 64)),
        extra=draw(st.sampled_from([{}, {"note": "kept", "nested": {"a": [1]}}])))


@st.composite
def generated_instances(draw, max_servers: int = 6, max_clients: int = 3,
                        max_requests: int = 4, max_L: int = 10) -> Instance:
    """Instances from the package's random generator (all memory regimes)."""
    return random_instance(
        draw(st.integers(1, max_servers)), draw(st.integers(1, max_clients)),
        draw(st.integers(0, max_requests)), draw(st.integers(1, max_L)),
        regime=draw(st.sampled_from(MEMORY_REGIMES)),
        seed=draw(st.integers(0, 2**32 - 1)),
        prefill=draw(st.booleans()))


@st.composite
def placements(draw, inst: Instance, valid_only: bool = False) -> Placement:
    """Placements of ``inst``; with ``valid_only`` every range lies in 1..L."""
    a, m = [], []
    for _ in inst.servers:
        if valid_only:
            mj = draw(st.integers(0, inst.L))
            aj = draw(st.integers(1, inst.L - mj + 1)) if mj else 0
        else:
            mj = draw(st.integers(-1, inst.L + 1))
            aj = draw(st.integers(-1, inst.L + 2))
        a.append(aj)
        m.append(mj)
    return Placement(tuple(a), tuple(m))


@st.composite
def solutions(draw, inst: Instance, valid_placement: bool = True) -> Solution:
    """Random placements and random chains (often violating the rules)."""
    pl = draw(placements(inst, valid_only=valid_placement))
    n = inst.num_servers
    routes = []
    for c, cl in enumerate(inst.clients):
        left = cl.requests
        while left > 0:
            cnt = draw(st.integers(1, left))
            chain = draw(st.lists(st.integers(0, n - 1), min_size=1,
                                  max_size=n, unique=True))
            routes.append(Route(c, tuple(chain), cnt))
            left -= cnt
    return Solution(pl, tuple(routes))


def feasible_paths(pl: Placement, L: int) -> list[tuple[int, ...]]:
    """All chains obeying the block rule, by depth-first search (tiny inputs)."""
    n = len(pl.num_blocks)
    out: list[tuple[int, ...]] = []

    def extend(chain: tuple[int, ...], covered: int) -> None:
        if covered == L:
            out.append(chain)
            return
        for j in range(n):
            a, m = pl.first_block[j], pl.num_blocks[j]
            if j in chain or m < 1:
                continue
            if a <= covered + 1 <= a + m - 1:
                extend(chain + (j,), a + m - 1)

    extend((), 0)
    return out


@st.composite
def covering_placements(draw, n: int, L: int, min_blocks: int = 0) -> Placement:
    """Placements built around a random partition of ``1..L`` into segments
    on distinct servers (so a feasible chain always exists); the other
    servers get ``min_blocks..L`` blocks anywhere (0 = unused)."""
    k = draw(st.integers(1, min(n, L)))
    cuts = sorted(draw(st.lists(st.integers(1, L - 1), min_size=k - 1,
                                max_size=k - 1, unique=True))) if k > 1 else []
    bounds = [0] + cuts + [L]
    order = draw(st.permutations(range(n)))
    a = [0] * n
    m = [0] * n
    for i in range(k):
        b, e = bounds[i] + 1, bounds[i + 1]
        j = order[i]
        a[j] = draw(st.integers(1, b))
        m[j] = e - a[j] + 1
    for j in order[k:]:
        mj = draw(st.integers(min_blocks, L))
        m[j] = mj
        a[j] = draw(st.integers(1, L - mj + 1)) if mj else 0
    return Placement(tuple(a), tuple(m))


@st.composite
def routed_solutions(draw, inst: Instance) -> Solution:
    """Valid placements with at least one chain; routes drawn among chains.

    The placement comes from :func:`covering_placements`; memory may or may
    not suffice.
    """
    L = inst.L
    pl = draw(covering_placements(inst.num_servers, L))
    paths = feasible_paths(pl, L)
    routes = []
    for c, cl in enumerate(inst.clients):
        left = cl.requests
        while left > 0:
            cnt = draw(st.integers(1, left))
            routes.append(Route(c, draw(st.sampled_from(paths)), cnt))
            left -= cnt
    return Solution(pl, tuple(routes))


@st.composite
def solved_cases(draw, max_servers: int = 3, max_L: int = 5):
    """``(instance, solution, allow_unused)``: small generated instances with
    random or routed solutions (often infeasible), for checking that a
    formulation's feasible set matches the evaluator's."""
    inst = draw(generated_instances(max_servers=max_servers, max_clients=2,
                                    max_requests=3, max_L=max_L))
    sol = draw(st.one_of(solutions(inst), routed_solutions(inst)))
    return inst, sol, draw(st.booleans())

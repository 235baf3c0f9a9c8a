"""Random BPRR instances with a chosen memory regime."""

from __future__ import annotations

import numpy as np

from ..instance import Client, Instance, Server

__all__ = ["MEMORY_REGIMES", "random_instance"]

MEMORY_REGIMES = ("tight", "medium", "loose")


def _r(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


def random_instance(n_servers: int = 5, n_clients: int = 1,
                    requests: int | tuple[int, int] = 3, L: int = 8, *,
                    regime: str = "medium", seed: int = 0,
                    s_m: float = 1.0, s_c: tuple[float, float] = (0.02, 0.2),
                    tau: tuple[float, float] = (1.0, 20.0),
                    rtt: tuple[float, float] = (5.0, 150.0),
                    l_max: int = 1, prefill: bool = False,
                    name: str | None = None) -> Instance:
    """Draw a random instance.

    Parameters
    ----------
    n_servers, n_clients, L
        Sizes (each >= 1).
    requests
        Requests per client: a fixed count, or an inclusive range ``(lo, hi)``
        drawn per client.
    regime
        How much GPU memory servers get, relative to ``s_m + s_c |R|`` (the
        memory a block needs when every request passes through it):

        * ``"loose"``: every server could host the whole model and serve all
          requests on it (``M_j >= L (s_m + s_c |R|)``);
        * ``"medium"``: each server fits ``U[L/3, L]`` such blocks;
        * ``"tight"``: servers fit ``1..L/2`` such blocks and the total is
          only about ``1.25 L``, so memory contention decides the routing.

        ``M_j >= s_m + s_c`` always holds, so every server can host one block
        (the paper's MILP needs ``M_j >= s_m``).
    seed
        Seed of ``numpy.random.default_rng``.  Default 0.
    s_m, s_c, tau, rtt
        ``s_m`` fixed; ``s_c`` drawn once from the range; ``tau_j`` and
        ``t_cj`` drawn per server / client-server pair.
    l_max
        Output tokens per request.  Default 1 (costs are per token).
    prefill
        Also draw ``tau_prefill`` (5x-20x ``tau``) and ``rtt_prefill``.

    Returns
    -------
    Instance
        Values are rounded to 4 decimals so the JSON is short and exact.
    """
    if regime not in MEMORY_REGIMES:
        raise ValueError(f"regime: must be one of {', '.join(MEMORY_REGIMES)}, "
                         f"got {regime!r}")
    for nm, v in (("n_servers", n_servers), ("n_clients", n_clients), ("L", L)):
        if v < 1:
            raise ValueError(f"{nm}: must be >= 1, got {v}")
    rng = np.random.default_rng(seed)
    if isinstance(requests, tuple):
        lo, hi = requests
        if lo < 0 or hi < lo:
            raise ValueError(f"requests: invalid range {requests!r}")
        reqs = [int(x) for x in rng.integers(lo, hi + 1, size=n_clients)]
    else:
        if requests < 0:
            raise ValueError(f"requests: must be >= 0, got {requests}")
        reqs = [int(requests)] * n_clients
    R = max(1, sum(reqs))
    sc = _r(rng.uniform(*s_c), 5)
    unit = s_m + sc * R
    taus = [_r(x, 3) for x in rng.uniform(*tau, size=n_servers)]
    if regime == "loose":
        blocks = L * rng.uniform(1.0, 1.5, size=n_servers)
    elif regime == "medium":
        blocks = rng.uniform(max(1.0, L / 3), L, size=n_servers)
    else:
        raw = rng.uniform(1.0, max(1.0, L / 2), size=n_servers)
        blocks = np.maximum(1.0, raw * (1.25 * L / raw.sum()))
    mems = [max(_r(b * unit), _r(s_m + sc) + 1e-4) for b in blocks]
    servers = []
    for j in range(n_servers):
        tp = _r(taus[j] * rng.uniform(5, 20), 3) if prefill else None
        servers.append(Server(f"s{j}", mems[j], taus[j], tp))
    clients = []
    for c in range(n_clients):
        rt = tuple(_r(x, 3) for x in rng.uniform(*rtt, size=n_servers))
        rp = tuple(_r(x * 1.1, 3) for x in rt) if prefill else None
        clients.append(Client(f"c{c}", reqs[c], rt, rp))
    nm = name or (f"random-{regime}-n{n_servers}-c{n_clients}-r{sum(reqs)}"
                  f"-L{L}-s{seed}")
    extra = {"generator": {"kind": "random", "seed": seed, "regime": regime}}
    return Instance(name=nm, L=L, s_m=float(s_m), s_c=sc, l_max=l_max,
                    servers=tuple(servers), clients=tuple(clients),
                    l_in=20 if prefill else 0, extra=extra)

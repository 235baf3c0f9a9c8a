"""The grid points of the paper's online tables and sweeps.

A :class:`GridPoint` is one cell of a table (scenario, arrival rate, output
length, servers); :func:`table3_grid`, :func:`table6_grid` and
:func:`servers_grid` list the points of Table III, Table VI and the
authors' cluster-size sweep.  Replicate ``r`` of every point uses seed
``base_seed + r`` (:func:`replicate_seed`), so the points of one table are
compared on common random numbers.

References
----------
.. [1] Sun, He, Ji, Parag (2025). arXiv:2512.21884, §5 (Tables III and VI).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..generators.topology import GRAPHS
from ..online.policies import PROPOSED, PROPOSED_A

__all__ = [
    "CLUSTERED",
    "ETA",
    "KEYS",
    "PROPOSED_A",
    "RUN_METRICS",
    "TABLE6_GRAPHS",
    "TABLE_L_MAX",
    "TABLE_METHODS",
    "TABLE_RATES_PER_MS",
    "GridPoint",
    "replicate_seed",
    "servers_grid",
    "table3_grid",
    "table6_grid",
]

CLUSTERED = "clustered"
# the proposed method, PETALS and the allocation-aware diagnostic variant
TABLE_METHODS = (PROPOSED, "petals", PROPOSED_A)
TABLE_RATES_PER_MS = (1e-4, 5e-4)          # 0.1 and 0.5 requests/s
TABLE_L_MAX = (64, 128)
TABLE6_GRAPHS = ("Abvt", "Bellcanada", "GtsCe")
ETA = 0.2                                  # A100 fraction (spec §12)
# columns identifying a grid point; with settings and method, a table cell
KEYS = ("scenario", "rate_per_ms", "l_max", "n_servers")
RUN_METRICS = ("avg_per_token_ms", "avg_ttft_ms", "avg_remaining_token_ms",
               "avg_waiting_ms", "max_concurrency", "planned_R",
               "allocation_delay_ms")


@dataclass(frozen=True)
class GridPoint:
    """One cell of a table: scenario, arrival rate and output length.

    Attributes
    ----------
    scenario
        ``"clustered"`` (spec §2.2: 7 MIG + 2 A100, client with the MIGs)
        or a Topology Zoo graph (``"Abvt"``, ``"Bellcanada"``, ``"GtsCe"``,
        ``"AttMpls"``; spec §2.1, ``eta = 0.2``).
    rate_per_ms
        Poisson arrival rate (requests per ms; 0.5 req/s = 5e-4).
    l_max
        Output tokens per request (``s_c`` is sized for ``l_in + l_max``).
    n_servers
        Servers drawn on the graph; ``None``: ``round(0.4 #nodes)``.  Must be
        ``None`` for the clustered scenario (9 servers).
    """

    scenario: str
    rate_per_ms: float
    l_max: int
    n_servers: int | None = None

    def __post_init__(self) -> None:
        if self.scenario != CLUSTERED and self.scenario not in GRAPHS:
            raise ValueError(
                f"scenario: must be {CLUSTERED!r} or one of "
                f"{', '.join(GRAPHS)}, got {self.scenario!r}")
        if not (isinstance(self.rate_per_ms, (int, float))
                and math.isfinite(self.rate_per_ms)
                and self.rate_per_ms > 0):
            raise ValueError(f"rate_per_ms: must be a finite number > 0, "
                             f"got {self.rate_per_ms!r}")
        if isinstance(self.l_max, bool) or not isinstance(self.l_max, int) \
                or self.l_max < 2:
            raise ValueError(f"l_max: must be an integer >= 2, got "
                             f"{self.l_max!r}")
        if self.scenario == CLUSTERED and self.n_servers is not None:
            raise ValueError(f"n_servers: the clustered scenario has 9 "
                             f"servers, got {self.n_servers!r}")


def table3_grid() -> list[GridPoint]:
    """Table III: the clustered scenario at lambda in {0.1, 0.5} req/s and
    ``l_max`` in {64, 128}."""
    return [GridPoint(CLUSTERED, lam, lm)
            for lam in TABLE_RATES_PER_MS for lm in TABLE_L_MAX]


def table6_grid(graphs: Sequence[str] = TABLE6_GRAPHS) -> list[GridPoint]:
    """Table VI: AboveNet, Bell Canada, GTS-CE (``C = round(0.4 #nodes)``:
    9, 19, 60 servers) at lambda in {0.1, 0.5} req/s, ``l_max`` in
    {64, 128}."""
    return [GridPoint(g, lam, lm) for g in graphs
            for lam in TABLE_RATES_PER_MS for lm in TABLE_L_MAX]


def servers_grid(graph: str = "Abvt",
                 servers: Sequence[int] = (6, 10, 15, 20, 22),
                 rate_per_ms: float = 5e-4,
                 l_max: int = 128) -> list[GridPoint]:
    """The authors' cluster-size sweep (spec §12: Abvt, ``C`` in
    {6, 10, 15, 20, 22}, 0.5 req/s)."""
    return [GridPoint(graph, rate_per_ms, l_max, int(c)) for c in servers]


def replicate_seed(base_seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` (0-based): ``base_seed + replicate``."""
    if replicate < 0:
        raise ValueError(f"replicate: must be >= 0, got {replicate}")
    return int(base_seed) + int(replicate)

"""Scattered scenarios on Internet Topology Zoo graphs, as instances.

A thin adapter so that sweeps and scripts can draw the paper's scattered
scenario like any other instance: the result is a ``bprr-instance/1``
document whose ``online`` field carries the simulator's parameters (so it
also serves offline methods).  The drawing itself is
:func:`bprr_opt.online.topology.topology_scenario` (spec
``online-and-simulator.md`` §2.1).
"""

from __future__ import annotations

from ..instance import Instance

__all__ = ["topology_instance"]


def topology_instance(graph: str = "Abvt", n_servers: int | None = None,
                      eta: float = 0.2, *, seed: int = 0, l_max: int = 128,
                      l_in: int = 20, memory: str = "main",
                      name: str | None = None) -> Instance:
    """Draw a scattered scenario and return it as an instance.

    Parameters are those of
    :func:`~bprr_opt.online.topology.topology_scenario`: graph name
    (``Abvt``, ``Bellcanada``, ``GtsCe``, ``AttMpls``), servers ``C``
    (default ``round(0.4 * #nodes)``), A100 fraction ``eta``, seed, tokens,
    GPU-memory preset and name.  Same arguments, same bytes.
    """
    from ..online.topology import topology_scenario

    return topology_scenario(graph, n_servers, eta, seed=seed, l_max=l_max,
                             l_in=l_in, memory=memory, name=name).to_instance()

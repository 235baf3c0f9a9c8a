"""Seeded instance generators: same arguments and seed, same JSON bytes.

:data:`GENERATORS` is the one registry of them, used by ``bprr generate``,
the ``generator:`` entries of sweep specs and the library's regeneration
from stored parameters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..instance import Instance
from .clustered import clustered_instance, clustered_scenario
from .partition import partition_instance
from .random_instance import MEMORY_REGIMES, random_instance
from .topology import offline_topology_instance, topology_instance, topology_scenario
from .worst_case import worst_case_instance

__all__ = [
    "GENERATORS",
    "MEMORY_REGIMES",
    "Generator",
    "clustered_instance",
    "clustered_scenario",
    "generate",
    "get_generator",
    "offline_topology_instance",
    "partition_instance",
    "random_instance",
    "topology_instance",
    "topology_scenario",
    "worst_case_instance",
]


@dataclass(frozen=True)
class Generator:
    """A registered instance generator.

    Attributes
    ----------
    name
        Registry name (``bprr generate NAME``, a spec's ``generator:``, a
        library entry's ``generator.kind``).
    function
        ``function(**params) -> Instance``.
    summary
        One line for help texts.
    """

    name: str
    function: Callable[..., Instance]
    summary: str

    @property
    def params(self) -> tuple[str, ...]:
        """Names of the keyword parameters ``function`` accepts."""
        return tuple(inspect.signature(self.function).parameters)

    @property
    def seeded(self) -> bool:
        """Whether the generator takes a ``seed``."""
        return "seed" in self.params

    def minimal(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` without the values equal to the function's defaults
        (the same call, its shortest spelling)."""
        sig = inspect.signature(self.function).parameters
        return {k: v for k, v in params.items()
                if sig[k].default is inspect.Parameter.empty
                or v != sig[k].default}


GENERATORS: dict[str, Generator] = {g.name: g for g in (
    Generator("random", random_instance,
              "random instance with a chosen memory regime"),
    Generator("clustered", clustered_instance,
              "the paper's 7 MIG + 2 A100 scenario"),
    Generator("partition", partition_instance, "PARTITION reduction gadget"),
    Generator("topology", topology_instance,
              "scattered online scenario on a Topology Zoo graph"),
    Generator("offline-topology", offline_topology_instance,
              "a Topology Zoo scenario with offline requests"),
    Generator("worst-case", worst_case_instance,
              "the paper's worst case of CG-BPRR (L^2 servers, L^2 requests)"),
)}


def get_generator(name: str) -> Generator:
    """Return the generator registered as ``name``.

    Raises
    ------
    ValueError
        If ``name`` is unknown (one line listing the names).
    """
    try:
        return GENERATORS[name]
    except KeyError:
        raise ValueError(f"generator: unknown generator {name!r} (choose "
                         f"from {', '.join(GENERATORS)})") from None


def generate(name: str, params: Mapping[str, Any]) -> Instance:
    """Call generator ``name`` with keyword arguments ``params``."""
    return get_generator(name).function(**params)

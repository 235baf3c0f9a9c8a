"""Seeded instance generators: same arguments and seed, same JSON bytes."""

from .clustered import clustered_instance
from .partition import partition_instance
from .random import MEMORY_REGIMES, random_instance
from .topology import topology_instance

__all__ = [
           "MEMORY_REGIMES",
           "clustered_instance",
           "partition_instance",
           "random_instance",
           "topology_instance",
]

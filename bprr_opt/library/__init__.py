"""The certified instance library: index, verification, regeneration.

A library is a folder (``instances/`` in the repository) holding
``index.json`` (:mod:`.index`), ``problems/<name>.json`` (the instances) and
``solutions/<name>.json`` (the best known solutions).  :mod:`.verify`
re-checks all of it without solving anything; instances are regenerated
from their stored generator parameters through
:data:`bprr_opt.generators.GENERATORS`, not through the command line.
"""

from .index import (
    INDEX_FILE,
    LIBRARY_FORMAT,
    STATUSES,
    LibraryEntry,
    LibraryError,
    file_sha256,
    load_index,
    read_index,
)
from .verify import VerifyRow, partition_answer, regenerated_bytes, verify_library

__all__ = [
    "INDEX_FILE",
    "LIBRARY_FORMAT",
    "STATUSES",
    "LibraryEntry",
    "LibraryError",
    "VerifyRow",
    "file_sha256",
    "load_index",
    "partition_answer",
    "read_index",
    "regenerated_bytes",
    "verify_library",
]

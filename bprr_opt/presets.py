"""LLM and GPU presets (data in ``bprr_opt/data/models``) and the memory formulas.

See ``models/README.md`` for the fields and the derivation of ``s_m``, ``s_c``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from .errors import BprrError

__all__ = [
    "GB",
    "GIB",
    "NF4_BYTES",
    "NF4_OVERHEAD",
    "GPUProfile",
    "LLMProfile",
    "block_memory_gb",
    "cache_memory_gb",
    "list_profiles",
    "load_gpu",
    "load_llm",
]

NF4_BYTES = 4.25 / 8  # bytes per weight in NF4 (4-bit + block scales)
NF4_OVERHEAD = 0.01  # 1 % overhead on the weights
GB = 1e9
GIB = float(2**30)


@dataclass(frozen=True)
class LLMProfile:
    """An LLM preset: blocks, parameters per block, width and KV groups."""

    name: str
    L: int
    params_per_block: int
    d_model: int
    num_kv_groups: int = 1
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def d_kv(self) -> float:
        """Width of the stored keys (= values) per token."""
        return self.d_model / self.num_kv_groups


@dataclass(frozen=True)
class GPUProfile:
    """A GPU preset: memory and per-model timings."""

    name: str
    memory_gb: float
    timings: dict[str, dict[str, float]] = field(default_factory=dict,
                                                 compare=False)

    def tau(self, model: str) -> float:
        """Per-block decode time of ``model`` on this GPU (ms)."""
        try:
            return float(self.timings[model]["tau"])
        except KeyError:
            raise BprrError(
                f"gpu {self.name}: no timing for model {model!r}") from None


def _root():
    return resources.files("bprr_opt").joinpath("data", "models")


def _read(kind: str, name: str) -> dict[str, Any]:
    path = _root().joinpath(kind, f"{name}.json")
    if not path.is_file():
        raise BprrError(f"{kind} profile: unknown name {name!r} (choose from "
                        f"{', '.join(list_profiles(kind))})")
    return json.loads(path.read_text(encoding="utf-8"))


def list_profiles(kind: str) -> list[str]:
    """Names of the bundled ``llm`` or ``gpu`` profiles."""
    d = _root().joinpath(kind)
    return sorted(p.name[:-5] for p in d.iterdir() if p.name.endswith(".json"))


@cache
def load_llm(name: str) -> LLMProfile:
    """Load a bundled LLM profile, e.g. ``load_llm("bloom-176b")``."""
    d = _read("llm", name)
    known = {"name", "L", "params_per_block", "d_model", "num_kv_groups"}
    return LLMProfile(d["name"], int(d["L"]), int(d["params_per_block"]),
                      int(d["d_model"]), int(d.get("num_kv_groups", 1)),
                      {k: v for k, v in d.items() if k not in known})


@cache
def load_gpu(name: str) -> GPUProfile:
    """Load a bundled GPU profile, e.g. ``load_gpu("a100-80gb")``."""
    d = _read("gpu", name)
    return GPUProfile(d["name"], float(d["memory_gb"]), d.get("timings", {}))


def block_memory_gb(llm: LLMProfile, bytes_per_weight: float = NF4_BYTES,
                    overhead: float = NF4_OVERHEAD, unit: float = GB) -> float:
    """``s_m``: memory of one block's weights."""
    return llm.params_per_block * bytes_per_weight * (1 + overhead) / unit


def cache_memory_gb(llm: LLMProfile, tokens: int, bytes_per_kv: float = 2.0,
                    unit: float = GB) -> float:
    """``s_c``: KV cache of one block for one session of ``tokens`` tokens."""
    return 2 * llm.d_kv * tokens * bytes_per_kv / unit

"""Tests of the seeded generators and the model profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprr_opt.generators import clustered_instance, partition_instance, random_instance
from bprr_opt.presets import (
    GB,
    block_memory_gb,
    cache_memory_gb,
    list_profiles,
    load_gpu,
    load_llm,
)

even_weight_lists = st.lists(st.integers(1, 9), min_size=1, max_size=7).filter(
    lambda ws: sum(ws) % 2 == 0)


@settings(max_examples=100)
@given(even_weight_lists)
def test_partition_gadget_shape(ws):
    """Tests that the gadget has L = W, M_j = 2 w_j, t_cj = w_j, tau_j = 1."""
    inst = partition_instance(ws)
    W = sum(ws) // 2
    assert inst.L == W
    assert inst.s_m == 1.0 and inst.s_c == 1.0 and inst.l_max == 1
    assert [s.memory for s in inst.servers] == [2.0 * w for w in ws]
    assert [s.tau for s in inst.servers] == [1.0] * len(ws)
    assert len(inst.clients) == 1 and inst.clients[0].requests == 1
    assert list(inst.clients[0].rtt) == [float(w) for w in ws]


@pytest.mark.parametrize("ws,msg", [
    ([1, 2], "weights: sum must be even, got 3"),
    ([2, 0], "weights[1]: must be a positive integer, got 0"),
    ([], "weights: must not be empty"),
])
def test_partition_rejects_bad_weights(ws, msg):
    """Tests the gadget's input checks."""
    with pytest.raises(ValueError) as info:
        partition_instance(ws)
    assert str(info.value) == msg


def test_bloom_constants():
    """Tests s_m and s_c of BLOOM-176B against the spec's figures."""
    bloom = load_llm("bloom-176b")
    assert bloom.L == 70
    assert block_memory_gb(bloom) == pytest.approx(1.3233976672, abs=1e-12)
    assert cache_memory_gb(bloom, 128 + 20, unit=GB) == pytest.approx(0.008486912)
    # the offline scripts' GiB figure for 100 tokens
    assert cache_memory_gb(bloom, 100, unit=2**30) == pytest.approx(5.340576e-3, rel=1e-6)
    assert load_gpu("a100-80gb").tau("bloom-176b") == pytest.approx(15 / 7)
    assert set(list_profiles("llm")) >= {"bloom-176b", "llama-2-70b", "llama-2-7b"}


def test_llama_parameter_counts():
    """Tests the Llama-2 per-block parameter counts from the architecture."""
    l70 = load_llm("llama-2-70b")
    d, kv, ffn = 8192, 1024, 28672
    assert l70.params_per_block == 2 * d * d + 2 * d * kv + 3 * d * ffn + 2 * d
    assert l70.d_kv == kv
    l7 = load_llm("llama-2-7b")
    assert l7.params_per_block == 4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096


def test_clustered_defaults_match_authors_case():
    """Tests the default clustered instance: 7 MIG + 2 A100, 1 client, 3 requests."""
    inst = clustered_instance()
    assert inst.L == 70 and inst.l_max == 100 and inst.num_requests == 3
    mem = [s.memory for s in inst.servers]
    assert mem == [9.5] * 7 + [79.138427734375] * 2
    rtt = inst.clients[0].rtt
    assert all(25 <= x <= 30 for x in rtt[:7])
    assert all(125 <= x <= 225 for x in rtt[7:])


def test_clustered_online_variant():
    """Tests the deterministic online clustered variant of the simulator."""
    inst = clustered_instance(variant="online")
    assert inst.l_in == 10 and inst.l_max == 128
    assert inst.clients[0].rtt == (55.0,) * 7 + (150.0,) * 2
    assert inst.clients[0].rtt_prefill == (60.0,) * 7 + (155.0,) * 2
    assert [s.tau for s in inst.servers] == [16.2488] * 7 + [2.2197] * 2
    assert inst.extra["server_rtt"][0][8] == 100.0


def test_bundled_default_instance_is_current():
    """Tests that the bundled default instance equals its generator output."""
    from bprr_opt.cli._common import default_instance_path

    text = Path(default_instance_path()).read_text()
    assert text == clustered_instance(name="clustered-9s-3r").to_json()


@pytest.mark.parametrize("regime", ["tight", "medium", "loose"])
def test_random_regimes_keep_one_block_feasible(regime):
    """Tests that every server can host one block in every regime."""
    for seed in range(20):
        inst = random_instance(6, 2, 3, 10, regime=regime, seed=seed)
        assert all(s.memory >= inst.s_m + inst.s_c for s in inst.servers)


def test_loose_regime_fits_everything():
    """Tests that 'loose' servers can hold the whole model and all requests."""
    inst = random_instance(4, 2, 3, 10, regime="loose", seed=5)
    R = inst.num_requests
    assert all(s.memory >= inst.L * (inst.s_m + inst.s_c * R) - 1e-3
               for s in inst.servers)


def test_model_files_are_valid_json():
    """Tests that every profile file parses and names itself."""
    root = Path(__file__).resolve().parents[2] / "models"
    for f in root.rglob("*.json"):
        doc = json.loads(f.read_text())
        assert doc["name"] == f.stem

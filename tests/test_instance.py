"""Tests of the instance model and the bprr-instance/1 JSON format."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bprr_opt import InstanceError, instance_from_dict, load_instance
from bprr_opt.generators import clustered_instance, random_instance
from bprr_opt.instance import instance_to_json

from strategies import generated_instances, raw_instances


@settings(max_examples=200)
@given(raw_instances())
def test_json_round_trip(inst):
    """Tests that load(save(x)) == x and that the bytes are stable."""
    text = instance_to_json(inst)
    back = instance_from_dict(json.loads(text))
    assert back == inst
    assert instance_to_json(back) == text


@settings(max_examples=50)
@given(generated_instances())
def test_round_trip_through_file(tmp_path_factory, inst):
    """Tests the round trip through save_instance/load_instance on disk."""
    path = tmp_path_factory.mktemp("rt") / "i.json"
    inst_bytes = inst.to_json().encode()
    from bprr_opt import save_instance
    save_instance(inst, path)
    assert path.read_bytes() == inst_bytes
    assert load_instance(path) == inst


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["tight", "medium", "loose"]))
def test_generator_bytes_stable_per_seed(seed, regime):
    """Tests that the same seed gives identical JSON bytes."""
    a = random_instance(4, 2, (1, 3), 6, regime=regime, seed=seed, prefill=True)
    b = random_instance(4, 2, (1, 3), 6, regime=regime, seed=seed, prefill=True)
    assert a.to_json() == b.to_json()
    c = clustered_instance(seed=seed)
    assert c.to_json() == clustered_instance(seed=seed).to_json()


def test_different_seeds_differ():
    """Tests that seeds matter."""
    assert random_instance(seed=1).to_json() != random_instance(seed=2).to_json()


def test_unknown_fields_are_kept():
    """Tests that fields this version does not know survive load and save."""
    doc = json.loads(random_instance(2, 1, 1, 3, seed=0).to_json())
    doc["provenance"] = {"tool": "x", "v": [1, 2]}
    doc["servers"][0]["coords"] = [1.5, 2.5]
    doc["clients"][0]["region"] = "eu"
    back = json.loads(instance_from_dict(doc).to_json())
    assert back["provenance"] == {"tool": "x", "v": [1, 2]}
    assert back["servers"][0]["coords"] == [1.5, 2.5]
    assert back["clients"][0]["region"] == "eu"


def test_to_arrays():
    """Tests the numeric view used by the kernels."""
    inst = random_instance(3, 2, 2, 5, seed=3, prefill=True)
    arr = inst.to_arrays()
    assert arr.rtt.shape == (2, 3) and arr.memory.shape == (3,)
    assert arr.requests.tolist() == [2, 2]
    np.testing.assert_array_equal(arr.tau, [s.tau for s in inst.servers])
    assert arr.rtt_prefill is not None and arr.tau_prefill is not None
    arr.memory[0] = -1  # copies: the instance is unaffected
    assert inst.to_arrays().memory[0] > 0


def _base() -> dict:
    return json.loads(random_instance(3, 1, 2, 4, seed=0).to_json())


def _set(path, value):
    def mutate(doc):
        obj = doc
        for key in path[:-1]:
            obj = obj[key]
        if value is KeyError:
            del obj[path[-1]]
        else:
            obj[path[-1]] = value
        return doc
    return mutate


MALFORMED = [
    (_set(["servers", 2, "memory"], -2), "servers[2].memory: must be > 0, got -2"),
    (_set(["servers", 0, "memory"], 0), "servers[0].memory: must be > 0, got 0"),
    (_set(["L"], 0), "L: must be >= 1, got 0"),
    (_set(["L"], "abc"), 'L: must be an integer, got "abc"'),
    (_set(["L"], 2.5), "L: must be an integer, got 2.5"),
    (_set(["s_m"], "big"), 's_m: must be a number, got "big"'),
    (_set(["s_c"], -0.1), "s_c: must be > 0, got -0.1"),
    (_set(["l_max"], 0), "l_max: must be >= 1, got 0"),
    (_set(["servers", 1, "tau"], True), "servers[1].tau: must be a number, got true"),
    (_set(["servers", 1, "tau"], -1.0), "servers[1].tau: must be >= 0, got -1.0"),
    (_set(["clients", 0, "rtt"], [1.0, 2.0]),
     "clients[0].rtt: expected 3 values (one per server), got 2"),
    (_set(["clients", 0, "rtt", 1], "x"), 'clients[0].rtt[1]: must be a number, got "x"'),
    (_set(["clients", 0, "requests"], -1), "clients[0].requests: must be >= 0, got -1"),
    (_set(["servers", 0, "memory"], KeyError), "servers[0].memory: missing required field"),
    (_set(["clients"], KeyError), "clients: missing required field"),
    (_set(["format"], "bprr-instance/2"),
     'format: unknown version (expected "bprr-instance/1"), got "bprr-instance/2"'),
    (_set(["servers", 1, "id"], "s0"), 'servers[1].id: duplicate server id, got "s0"'),
    (_set(["servers"], []), "servers: must list at least one server"),
]


@pytest.mark.parametrize("mutate,message", MALFORMED)
def test_malformed_instance_messages(mutate, message):
    """Tests that every malformed field gets its exact one-line message."""
    doc = mutate(copy.deepcopy(_base()))
    with pytest.raises(InstanceError) as info:
        instance_from_dict(doc)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_non_finite_rejected():
    """Tests that NaN and infinity are rejected."""
    doc = _base()
    doc["servers"][0]["memory"] = float("inf")
    with pytest.raises(InstanceError, match=r"servers\[0\].memory: must be finite"):
        instance_from_dict(doc)


def test_replace_validates():
    """Tests that replace() validates again."""
    inst = random_instance(seed=0)
    with pytest.raises(InstanceError, match="L: must be >= 1"):
        inst.replace(L=0)

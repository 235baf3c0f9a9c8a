"""Tests of the online policy registry (bprr_opt.online.policies): one
calling convention, each OnlineRunParams field a policy lists in ``reads``
has an effect, the others none; the one arrivals-and-join-order pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bprr_opt.errors import BprrError
from bprr_opt.experiments.kinds import run_simulate
from bprr_opt.generators import clustered_instance, topology_scenario
from bprr_opt.online.policies import (
    ALIASES,
    POLICIES,
    OnlineRunParams,
    SimulationResult,
    draw_run,
    run_policies,
    run_policy,
)
from bprr_opt.scenario import scenario_from_instance

SCEN = topology_scenario("Abvt", seed=1)
DRAWS = draw_run(SCEN, 3, requests=15, rate_per_ms=5e-4)
BASE = OnlineRunParams(rate_per_ms=5e-4, join_order=DRAWS.join_order)
# a value per field that a policy reading it must notice
OTHER = {"settings": "equal", "rate_per_ms": 5e-2, "r_design": 2,
         "join_order": tuple(reversed(DRAWS.join_order)),
         "engine": "reference"}
FIELDS = [f.name for f in dataclasses.fields(OnlineRunParams)]


def _seen(res: SimulationResult) -> tuple:
    """Everything a run produced except its wall-clock time."""
    d = res.to_dict()
    d.pop("runtime_s")
    rec = res.records
    return (tuple(d.items()), rec.policy.placement, rec.chains,
            rec.completion.tolist())


@pytest.mark.parametrize("name, field", [(p, f) for p in POLICIES
                                         for f in FIELDS])
def test_fields_read_and_unread(name, field):
    """Tests that a field in a policy's ``reads`` changes its run and that
    a field outside it changes nothing."""
    base = run_policy(SCEN, DRAWS.arrivals, name, BASE)
    other = run_policy(SCEN, DRAWS.arrivals, name,
                       dataclasses.replace(BASE, **{field: OTHER[field]}))
    if field not in POLICIES[name].reads:
        assert _seen(other) == _seen(base)
    elif field == "engine":  # identical records, from the other engine
        assert other.records.engine == "reference"
        assert _seen(other) == _seen(base)
    elif field == "settings":
        assert other.settings == "equal"
    elif field == "r_design":
        assert other.planned_R == 2
    else:
        assert _seen(other) != _seen(base)


def test_one_way_to_call_and_aliases():
    """Tests that run_policies is run_policy in order, that aliases resolve
    and unknown names fail with one line."""
    names = ["proposed", "petals", "cg-bp+ws-rr+A"]
    many = run_policies(SCEN, DRAWS.arrivals, names, BASE)
    assert [r.method for r in many] == ["cg-bp+ws-rr", "petals",
                                        "cg-bp+ws-rr+A"]
    for r, n in zip(many, names):
        assert _seen(r) == _seen(run_policy(SCEN, DRAWS.arrivals, n, BASE))
    assert set(ALIASES.values()) <= set(POLICIES)
    with pytest.raises(BprrError, match="unknown online method 'nope'"):
        run_policy(SCEN, DRAWS.arrivals, "nope", BASE)


def test_result_dict_keys_in_order():
    """Tests the metrics record's JSON form: the historical keys, in order."""
    res = run_policy(SCEN, DRAWS.arrivals, "petals", BASE)
    assert list(res.to_dict()) == [
        "method", "settings", "requests", "avg_per_token_ms", "avg_ttft_ms",
        "avg_remaining_token_ms", "avg_waiting_ms", "avg_raw_wait_ms",
        "max_concurrency", "planned_R", "runtime_s", "allocation_delay_ms"]


def test_pipeline_draws_clients_of_multi_client_scenarios():
    """Tests that the one pipeline draws each request's client when a
    scenario has several, and that the simulate sweep kind runs exactly
    the pipeline's draws (so a sweep sees the same arrivals as bprr
    simulate)."""
    scen = scenario_from_instance(clustered_instance(2, 10, variant="online"))
    draws = draw_run(scen, 7, requests=40, rate_per_ms=1e-3)
    assert set(draws.arrivals.clients.tolist()) == {0, 1}
    assert sorted(draws.join_order) == list(range(9))
    out = run_simulate(scen.to_instance(), "petals", {
        "rate": 1.0, "requests": 40, "settings": "authors", "r_design": None,
        "seed": 7})
    direct = run_policy(scen, draws.arrivals, "petals", OnlineRunParams(
        rate_per_ms=1e-3, join_order=draws.join_order))
    assert out.value == direct.avg_per_token_ms
    assert out.stats["max_concurrency"] == direct.max_concurrency
    np.testing.assert_array_equal(direct.records.client,
                                  draws.arrivals.clients)

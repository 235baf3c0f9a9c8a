"""Tests of the ``simulate`` job kind (bprr_opt.experiments.kinds): sweep rows
equal direct simulations, every row carries a real verdict, bad specs fail
with one line naming the key."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sweep_helpers import run_in_process, table

from bprr_opt.experiments.jobs import expand_jobs
from bprr_opt.experiments.spec import SpecError, spec_from_dict
from bprr_opt.generators import topology_instance
from bprr_opt.online.arrivals import poisson_arrivals
from bprr_opt.online.policies import OnlineRunParams, run_policies
from bprr_opt.scenario import scenario_from_instance

SIM = {
    "name": "sim",
    "kind": "simulate",
    "instances": [{"generator": "topology",
                   "params": {"graph": "Abvt", "eta": 0.2},
                   "seeds": [0, 1]}],
    "grid": {"methods": ["cg-bp+ws-rr", "petals"], "rates": [0.5],
             "requests": [30], "settings": ["authors", "equal"],
             "seeds": [7]},
}


def test_rows_equal_direct_simulation(tmp_path):
    """Tests that each stored value is the mean per-token time of the same
    simulation run directly (arrivals then PETALS' join order drawn from the
    job seed), and that every row is judged valid."""
    db = run_in_process(SIM, tmp_path / "sim.db")
    rows = table(db, ("instance_name", "method", "params", "status", "value",
                      "feasible"))
    assert len(rows) == 2 * 2 * 2
    assert all(r[3] == "feasible" and r[5] == 1 for r in rows)
    for seed in (0, 1):
        inst = topology_instance("Abvt", eta=0.2, seed=seed)
        scen = scenario_from_instance(inst)
        for settings in ("authors", "equal"):
            rng = np.random.default_rng(7)
            arrivals = poisson_arrivals(30, 5e-4, rng=rng)
            order = rng.permutation(inst.num_servers)
            direct = run_policies(scen, arrivals, ["cg-bp+ws-rr", "petals"],
                                  OnlineRunParams(join_order=order,
                                                  rate_per_ms=5e-4,
                                                  settings=settings))
            for m in direct:
                stored = [r[4] for r in rows if r[0] == inst.name
                          and r[1] == m.method and settings in r[2]]
                assert stored == [m.avg_per_token_ms]


def test_verdict_catches_broken_runs():
    """Tests that the run check fails on a chain breaking the block rule
    and on a slot pool smaller than the sessions running at once."""
    inst = topology_instance("Abvt", eta=0.2, seed=2)
    scen = scenario_from_instance(inst)
    arrivals = poisson_arrivals(40, 5e-3, seed=3)
    res = run_policies(scen, arrivals, ["cg-bp+ws-rr"], OnlineRunParams(
        rate_per_ms=5e-3))[0].records
    assert res.violations(inst) == []
    small = dataclasses.replace(res.policy,
                                slot_pool=np.ones_like(res.policy.slot_pool))
    assert any("running at once" in v for v in
               dataclasses.replace(res, policy=small).violations(inst))
    blocks = res.block_matrix.copy()
    blocks[0, 0] += 1
    bad = dataclasses.replace(res, block_matrix=blocks)
    assert bad.violations(inst)[0].startswith("request 0: blocks")


@pytest.mark.parametrize("grid, expected", [
    ({"settings": ["fair"]}, "grid.settings[0]: must be one of authors, equal, got 'fair'"),
    ({"rates": [0]}, "grid.rates[0]: must be > 0 requests/s, got 0"),
    ({"methods": ["cg-bprr"]}, "grid.methods[0]: unknown method 'cg-bprr'"),
    ({"time_limits": [1]}, "grid.time_limits: unknown key"),
])
def test_malformed_simulate_spec(grid, expected, tmp_path):
    """Tests one-line errors naming the key for bad simulate grids."""
    doc = dict(SIM, grid={**SIM["grid"], **grid})
    with pytest.raises(SpecError) as info:
        expand_jobs(spec_from_dict(doc, base_dir=tmp_path))
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(expected), str(info.value)

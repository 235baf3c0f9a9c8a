"""Tests of arrivals, the Monte-Carlo replicate API and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bprr_opt.cli import main
from bprr_opt.errors import BprrError
from bprr_opt.online.arrivals import poisson_arrivals, trace_arrivals
from bprr_opt.experiments.replicates import ReplicateConfig, run_replicate
from bprr_opt.online.policies import PAPER_POLICIES


def test_poisson_arrivals():
    """Tests seeded Poisson arrivals: first at 0, sorted, same seed same
    values, mean gap 1/lambda (20 000 gaps, 4 standard errors)."""
    a = poisson_arrivals(20001, 5e-4, seed=4)
    assert a.times[0] == 0.0
    assert np.all(np.diff(a.times) >= 0)
    np.testing.assert_array_equal(a.times, poisson_arrivals(20001, 5e-4,
                                                            seed=4).times)
    gaps = np.diff(a.times)
    assert abs(gaps.mean() - 2000.0) < 4 * 2000.0 / np.sqrt(gaps.size)
    b = poisson_arrivals(50, 1e-3, seed=1, n_clients=3)
    assert set(b.clients.tolist()) <= {0, 1, 2}


def test_trace_replay(shared_dir, tmp_path):
    """Tests replay of the Azure trace's TIMESTAMP column (ms from the first
    row, sub-second digits kept) and the errors on bad traces."""
    path = shared_dir / "data" / "traces" / "AzureLLMInferenceTrace_code.csv"
    a = trace_arrivals(path, 4)
    np.testing.assert_allclose(a.times, [0.0, 52.0, 98.189, 140.684],
                               atol=1e-6)
    b = trace_arrivals(path, 3, start=1, time_scale=2.0)
    np.testing.assert_allclose(b.times, [0.0, 92.378, 177.368], atol=1e-6)
    with pytest.raises(BprrError, match="only"):
        trace_arrivals(path, 10**6)
    bad = tmp_path / "t.csv"
    bad.write_text("TIME,x\n1,2\n")
    with pytest.raises(BprrError, match="no column 'TIMESTAMP'"):
        trace_arrivals(bad)


def _strip(rows):
    return [{k: v for k, v in r.items() if k != "runtime_s"} for r in rows]


def test_replicate_is_deterministic_and_fair():
    """Tests one replicate of the Abvt point: same seed same draws and
    metrics; all methods see the same arrivals; the proposed method's
    numbers do not change between authors' and equal settings while
    PETALS' allocation delay does; remaining-token time follows spec §13."""
    cfg = ReplicateConfig(requests=30)
    a = run_replicate(cfg, seed=44)
    b = run_replicate(cfg, seed=44)
    assert _strip(a.records()) == _strip(b.records())
    assert [m.method for m in a.metrics] == list(PAPER_POLICIES)
    for m in a.metrics:
        np.testing.assert_array_equal(m.records.arrival, a.arrivals.times)
        apt, tt = m.avg_per_token_ms, m.avg_ttft_ms
        assert m.avg_remaining_token_ms == pytest.approx(
            (apt * 128 - tt) / 127, rel=1e-12)
    eq = run_replicate(ReplicateConfig(requests=30, settings="equal"),
                       seed=44)
    pa, pe = a.by_method(), eq.by_method()
    assert _strip([pa["cg-bp+ws-rr"].to_dict()])[0] == {
        **_strip([pe["cg-bp+ws-rr"].to_dict()])[0], "settings": "authors"}
    assert pa["petals"].allocation_delay_ms == 250_000.0
    assert pe["petals"].allocation_delay_ms == 60_000.0


def test_cli_generate_and_simulate(tmp_path, capsys):
    """Tests bprr generate topology + bprr simulate (JSON output, same seed
    same results, the scenario file passes bprr validate)."""
    scen = tmp_path / "scen.json"
    assert main(["generate", "topology", "--graph", "Abvt", "--servers", "9",
                 "--eta", "0.2", "--seed", "1", "-o", str(scen)]) == 0
    assert main(["validate", str(scen)]) == 0
    capsys.readouterr()
    out = tmp_path / "sim.json"
    args = ["simulate", str(scen), "--algorithm", "cg-bp+ws-rr,petals",
            "--rate", "0.5", "--requests", "40", "--seed", "1", "--json",
            "--settings", "both", "-o", str(out)]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(out.read_text())
    assert [(r["method"], r["settings"]) for r in doc["results"]] == [
        ("cg-bp+ws-rr", "authors"), ("petals", "authors"),
        ("cg-bp+ws-rr", "equal"), ("petals", "equal")]
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert _strip(again["results"]) == _strip(doc["results"])
    assert main(["simulate", str(scen), "--requests", "5"]) == 0
    assert "per_token_ms" in capsys.readouterr().out


@pytest.mark.parametrize("argv, msg", [
    (["--algorithm", "nope"], "unknown online method 'nope'"),
    (["--trace", "/nonexistent.csv"], "no such trace file"),
])
def test_cli_errors(tmp_path, capsys, argv, msg):
    """Tests one-line errors, exit code 2 and no partial output file."""
    scen = tmp_path / "scen.json"
    main(["generate", "topology", "--seed", "1", "-o", str(scen)])
    out = tmp_path / "o.json"
    capsys.readouterr()
    code = main(["simulate", str(scen), "-o", str(out)] + argv)
    err = capsys.readouterr().err
    assert code == 2
    assert msg in err and err.count("\n") == 1
    assert not out.exists()


def test_cli_rejects_non_scenario(tmp_path, capsys):
    """Tests that a plain instance without online parameters is refused."""
    inst = tmp_path / "i.json"
    main(["generate", "random", "--seed", "1", "-o", str(inst)])
    capsys.readouterr()
    assert main(["simulate", str(inst)]) == 2
    assert "online: missing required field" in capsys.readouterr().err


def test_clustered_scenario_runs_every_method():
    """Tests the clustered online scenario (spec §2.2: client with the MIG
    cluster, raw RTT 5 / 100 ms, t = rho + 50, D_0 = 100 ms) under every
    method on the same arrivals, and its file form through the CLI."""
    from bprr_opt.generators import clustered_scenario

    scen = clustered_scenario()
    p = scen.params
    assert p.initial_delay_ms == 100.0
    assert p.client_raw_rtt[0] == (5.0,) * 7 + (100.0,) * 2
    assert scen.instance.clients[0].rtt == (55.0,) * 7 + (150.0,) * 2
    assert p.server_rtt[0][1] == 5.0 and p.server_rtt[0][8] == 100.0
    arr = poisson_arrivals(30, 1e-3, seed=42)
    from bprr_opt.online.policies import OnlineRunParams, run_policies

    res = run_policies(scen, arr, params=OnlineRunParams(rate_per_ms=1e-3))
    assert [m.requests for m in res] == [30] * 5
    prop = res[0].records.policy.placement
    assert all(m <= 4 for m in prop.num_blocks[:7])

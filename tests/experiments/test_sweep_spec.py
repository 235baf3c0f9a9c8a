"""Sweep specs: validation (one line naming the key), job expansion, keys."""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sweep_helpers import SMALL, spec_doc, write_spec

from bprr_opt import __version__
from bprr_opt.cli import main
from bprr_opt.experiments.jobs import (
    canonical_json,
    expand_instances,
    expand_jobs,
    job_key,
)
from bprr_opt.experiments.spec import SpecError, load_spec, spec_from_dict
from bprr_opt.generators import random_instance
from bprr_opt.instance import instance_to_json, save_instance

RANDOM = SMALL["instances"][0]


def _inst(**changes):
    d = json.loads(json.dumps(RANDOM))
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def _params(**changes):
    p = dict(RANDOM["params"])
    p.update(changes)
    return _inst(params=p)


MALFORMED = [
    (spec_doc(grid={"methods": ["cg-bprr", "cg-bprr-x", "foo"]}),
     "grid.methods[1]: unknown method 'cg-bprr-x' (choose from"),
    (spec_doc(grid={"methods": ["cg-bprr", 3]}),
     "grid.methods[1]: unknown method 3"),
    (spec_doc(grid={}), "grid.methods: missing required key"),
    (spec_doc(grid={"methods": []}), "grid.methods: must be a non-empty list"),
    (spec_doc(grid={"methods": ["cg-bprr"], "time_limit": [5]}),
     "grid.time_limit: unknown key (allowed: methods, solvers,"),
    (spec_doc(grid={"methods": ["cg-bprr"], "time_limits": [5, -1]}),
     "grid.time_limits[1]: must be > 0 seconds, got -1"),
    (spec_doc(grid={"methods": ["cg-bprr"], "time_limits": ["abc"]}),
     "grid.time_limits[0]: must be a finite number or null, got 'abc'"),
    (spec_doc(grid={"methods": ["cg-bprr"], "time_limits": []}),
     "grid.time_limits: must not be empty"),
    (spec_doc(grid={"methods": ["cg-bprr"], "time_limits": [5, 5.0]}),
     "grid.time_limits: repeated values"),
    (spec_doc(grid={"methods": ["cg-bprr"], "threads": [0]}),
     "grid.threads[0]: must be >= 1, got 0"),
    (spec_doc(grid={"methods": ["cg-bprr"], "mip_gaps": [1.5]}),
     "grid.mip_gaps[0]: must be in [0, 1), got 1.5"),
    (spec_doc(grid={"methods": ["cg-bprr"], "allow_unused": ["yes"]}),
     "grid.allow_unused[0]: must be true or false, got 'yes'"),
    (spec_doc(grid={"methods": ["cg-bprr"], "solvers": [""]}),
     "grid.solvers[0]: must be a non-empty string, got ''"),
    (spec_doc(grid={"methods": ["cg-bprr"], "seeds": [1.5]}),
     "grid.seeds[0]: must be an integer, got 1.5"),
    (spec_doc(grid={"methods": ["cg-bprr"], "r_designs": {"from": 2}}),
     "grid.r_designs.to: missing required key"),
    (spec_doc(grid=[]), "grid: must be a mapping or a non-empty list"),
    (spec_doc(grid=[{"methods": ["cg-bprr"]}, {"methods": ["nope"]}]),
     "grid[1].methods[0]: unknown method 'nope'"),
    (spec_doc(grid="cg-bprr"), "grid: must be a mapping or a non-empty list"),
    ({"name": "x", "grid": {"methods": ["cg-bprr"]}},
     "instances: missing required key"),
    (spec_doc(instances=[]), "instances: must be a non-empty list"),
    (spec_doc(instances=[_inst(generator="foo")]),
     "instances[0].generator: unknown generator 'foo' (choose from"),
    (spec_doc(instances=[RANDOM, _params(bogus=1)]),
     "instances[1].params.bogus: unknown parameter of generator 'random'"),
    (spec_doc(instances=[_params(regime="hot")]),
     "instances[0].params.regime: must be one of tight, medium, loose, "
     "got 'hot'"),
    (spec_doc(instances=[_params(n_servers=[3, 0])]),
     "instances[0].params.n_servers: must be >= 1, got 0"),
    (spec_doc(instances=[_params(seed=3)]),
     "instances[0].params.seed: give seeds in instances[0].seeds"),
    (spec_doc(instances=[_inst(seeds=None)]),
     "instances[0].seeds: missing required key"),
    (spec_doc(instances=[_inst(seeds={"from": 3, "to": 1})]),
     "instances[0].seeds.to: must be >= from (3), got 1"),
    (spec_doc(instances=[_inst(seeds={"from": 0, "to": 2, "step": 0})]),
     "instances[0].seeds.step: must be >= 1, got 0"),
    (spec_doc(instances=[_inst(seeds=[1, "two"])]),
     "instances[0].seeds[1]: must be an integer, got 'two'"),
    (spec_doc(instances=[_inst(seeds=[1, 1])]),
     "instances[0].seeds: repeated values [1, 1]"),
    (spec_doc(instances=[{"generator": "partition",
                          "params": {"weights": {"value": [1, 1]}},
                          "seeds": [0]}]),
     "instances[0].seeds: generator 'partition' takes no seed"),
    (spec_doc(instances=[{"file": "missing.json"}]),
     "instances[0].file: no such file"),
    (spec_doc(instances=[{"glob": "nothing-*.json"}]),
     "instances[0].glob: no file matches 'nothing-*.json'"),
    (spec_doc(instances=[{"file": "a.json", "generator": "random"}]),
     "instances[0]: needs exactly one of 'generator', 'file', 'glob'"),
    (spec_doc(instances=[{"file": "a.json", "seeds": [1]}]),
     "instances[0].seeds: unknown key (allowed: file)"),
    (spec_doc(instances=["random"]), "instances[0]: must be a mapping"),
    (spec_doc(kind="bake"), "kind: unknown job kind 'bake' (choose from"),
    (spec_doc(repetitions=0), "repetitions: must be an integer >= 1, got 0"),
    (spec_doc(repetitions=True), "repetitions: must be an integer >= 1"),
    (spec_doc(name=""), "name: must be a non-empty string"),
    (spec_doc(methods=["cg-bprr"]), "methods: unknown key (allowed: name,"),
    ([1, 2], "spec: must be a mapping, got [1, 2]"),
]


@pytest.mark.parametrize("doc, expected", MALFORMED)
def test_malformed_spec_names_the_key(doc, expected, tmp_path):
    """Tests that each malformed spec raises one line naming its key path."""
    with pytest.raises(SpecError) as info:
        expand_jobs(spec_from_dict(doc, base_dir=tmp_path))
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(expected), msg


@pytest.mark.parametrize("doc, expected", MALFORMED)
def test_malformed_spec_cli_exit_2_no_store(doc, expected, tmp_path, capsys):
    """Tests that ``bprr sweep`` prints the same line, exits 2, writes nothing."""
    spec = write_spec(tmp_path, doc)
    store = tmp_path / "out.db"
    assert main(["sweep", str(spec), "--store", str(store),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert err[len("error: "):].startswith(expected), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


@pytest.mark.parametrize("text, expected", [
    ("name: a\nname: b\n", "line 2: duplicate key 'name'"),
    ("grid: [unclosed\n", "not valid YAML (line 2"),
    ("- 1\n- 2\n", "spec: must be a mapping"),
])
def test_unparsable_yaml(text, expected, tmp_path, capsys):
    """Tests that YAML syntax problems are one line with the line number."""
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    assert main(["sweep", str(spec), "--store", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and expected in err, err
    assert not (tmp_path / "x.db").exists()


def test_json_spec_and_parse_error(tmp_path):
    """Tests that .json specs load, and a JSON syntax error names the line."""
    good = tmp_path / "s.json"
    good.write_text(json.dumps(SMALL))
    assert load_spec(good).name == "small"
    bad = tmp_path / "b.json"
    bad.write_text('{"name": "x",\n "grid": }')
    with pytest.raises(SpecError, match=r"b.json: not valid JSON \(line 2"):
        load_spec(bad)
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "none.yaml")


def test_default_name_is_file_stem(tmp_path):
    """Tests that a spec without ``name`` is named after its file."""
    doc = spec_doc()
    del doc["name"]
    assert load_spec(write_spec(tmp_path, doc, "my-sweep.yaml")).name == \
        "my-sweep"


def test_expansion_counts_order_and_determinism(tmp_path):
    """Tests the job grid: product of axes, fixed order, stable keys."""
    doc = spec_doc(repetitions=2, grid=[
        {"methods": ["cg-bprr", "petals"], "time_limits": [1, 2.5]},
        {"methods": ["cg-bprr"], "time_limits": [1.0]},  # all duplicates
    ])
    spec = spec_from_dict(doc, base_dir=tmp_path)
    jobs = expand_jobs(spec)
    assert len(jobs) == 12 * 2 * 2 * 2
    assert len({j.key for j in jobs}) == len(jobs)
    again = expand_jobs(spec_from_dict(doc, base_dir=tmp_path))
    assert [j.key for j in again] == [j.key for j in jobs]
    first = jobs[0]
    assert (first.method, first.rep, dict(first.options)["time_limit"]) == \
        ("cg-bprr", 0, 1.0)
    assert first.version == __version__


def test_key_is_hash_of_documented_inputs(tmp_path):
    """Tests the idempotency key against its definition, recomputed here."""
    job = expand_jobs(spec_from_dict(spec_doc(), base_dir=tmp_path))[0]
    params = {"allow_unused": False, "mip_gap": None, "r_design": None,
              "threads": None, "time_limit": None, "warm_start": None}
    payload = json.dumps(
        ["solve", job.instance_hash, "cg-bprr", "highs",
         json.dumps(params, sort_keys=True, separators=(",", ":")), 0, 0,
         __version__], sort_keys=True, separators=(",", ":"))
    assert job.key == hashlib.sha256(payload.encode()).hexdigest()


def test_key_changes_with_every_input():
    """Tests that changing any single input of the key changes the key."""
    base = ("solve", "h" * 64, "cg-bprr", "highs", "{}", 0, 0, "0.1.0")
    variants = ["simulate", "g" * 64, "petals", "gurobi",
                '{"time_limit":1.0}', 1, 1, "0.2.0"]
    keys = {job_key(*base)}
    for i, v in enumerate(variants):
        changed = list(base)
        changed[i] = v
        keys.add(job_key(*changed))
    assert len(keys) == 1 + len(variants)
    assert job_key(*base[:5], None, 0, "0.1.0") != job_key(*base)


def test_generated_instance_hash_is_its_json_bytes(tmp_path):
    """Tests that instance hashes are SHA-256 of the generator's JSON bytes."""
    items = expand_instances(spec_from_dict(spec_doc(), base_dir=tmp_path))
    assert len(items) == 12
    for item in items:
        src = json.loads(item.source)
        inst = random_instance(seed=src["seed"], **src["params"])
        text = instance_to_json(inst)
        assert item.text == text
        assert item.hash == hashlib.sha256(text.encode()).hexdigest()


def test_file_and_glob_instances_hash_file_bytes(tmp_path):
    """Tests file instances: paths relative to the spec, hash of raw bytes."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for s in range(3):
        save_instance(random_instance(3, 1, 2, 4, seed=s), lib / f"i{s}.json")
    # the same instance written with other whitespace is another file
    raw = json.dumps(json.loads((lib / "i0.json").read_text()))
    (lib / "i0-compact.json").write_text(raw)
    spec = write_spec(tmp_path, spec_doc(instances=[
        {"file": "lib/i1.json"}, {"glob": "lib/*.json"}]))
    items = expand_instances(load_spec(spec))
    assert [json.loads(i.source)["file"].split("/")[-1] for i in items] == \
        ["i1.json", "i0-compact.json", "i0.json", "i2.json"]
    for item in items:
        path = json.loads(item.source)["file"]
        with open(path, "rb") as fh:
            assert item.hash == hashlib.sha256(fh.read()).hexdigest()


def test_bad_instance_file_names_the_key(tmp_path):
    """Tests that an invalid instance file is reported under its spec key."""
    (tmp_path / "bad.json").write_text('{"format": "bprr-instance/1"}')
    doc = spec_doc(instances=[RANDOM, {"file": "bad.json"}])
    with pytest.raises(SpecError, match=r"^instances\[1\]\.file: .*bad.json"):
        expand_jobs(spec_from_dict(doc, base_dir=tmp_path))


def test_literal_values_and_number_canonical_form(tmp_path):
    """Tests ``{value: [lo, hi]}`` literals and 10 == 10.0 in keys."""
    doc = spec_doc(instances=[_params(requests={"value": [1, 3]},
                                      n_servers=3)])
    items = expand_instances(spec_from_dict(doc, base_dir=tmp_path))
    assert len(items) == 2 * 3  # 2 regimes x 3 seeds
    assert json.loads(items[0].source)["params"]["requests"] == [1, 3]
    k_int = [j.key for j in expand_jobs(spec_from_dict(spec_doc(
        grid={"methods": ["cg-bprr"], "time_limits": [10]}), base_dir="."))]
    k_float = [j.key for j in expand_jobs(spec_from_dict(spec_doc(
        grid={"methods": ["cg-bprr"], "time_limits": [10.0]}), base_dir="."))]
    assert k_int == k_float


axis = st.lists(st.integers(1, 50), min_size=1, max_size=3, unique=True)


@settings(max_examples=25)
@given(methods=st.lists(st.sampled_from(["cg-bprr", "petals", "petals-rr"]),
                        min_size=1, max_size=3, unique=True),
       time_limits=axis, threads=axis, seeds=axis,
       reps=st.integers(1, 3), n_seeds=st.integers(1, 3))
def test_job_count_is_the_grid_product(methods, time_limits, threads, seeds,
                                       reps, n_seeds):
    """Tests that expansion yields exactly the grid product, keys unique."""
    doc = spec_doc(
        repetitions=reps,
        instances=[_params(n_servers=3, regime="medium")
                   | {"seeds": list(range(n_seeds))}],
        grid={"methods": methods, "time_limits": time_limits,
              "threads": threads, "seeds": seeds})
    jobs = expand_jobs(spec_from_dict(doc))
    n = n_seeds * len(methods) * len(time_limits) * len(threads) \
        * len(seeds) * reps
    assert len(jobs) == n
    assert len({j.key for j in jobs}) == n
    combos = {(j.instance_hash, j.method, dict(j.options)["time_limit"],
               dict(j.options)["threads"], j.seed, j.rep) for j in jobs}
    expected = set(itertools.product(
        {j.instance_hash for j in jobs}, methods,
        [float(t) for t in time_limits], threads, seeds, range(reps)))
    assert combos == expected
    for j in jobs:
        assert json.loads(j.params) == {
            k: v for k, v in j.options if k not in ("solver", "seed")}
        assert j.params == canonical_json(json.loads(j.params))


def test_dry_run_counts_jobs_and_writes_nothing(tmp_path, capsys):
    """Tests ``--dry-run``: the count is printed and no store is created."""
    spec = write_spec(tmp_path, spec_doc(repetitions=2))
    assert main(["sweep", str(spec), "--store", str(tmp_path / "s.db"),
                 "--dry-run"]) == 0
    assert "12 instances, 24 jobs" in capsys.readouterr().out
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("name", ["small.yaml", "solvers.yaml"])
def test_example_specs_are_valid(name):
    """Tests that the shipped example specs validate and expand."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "sweeps" / name
    jobs = expand_jobs(load_spec(path))
    assert len(jobs) == {"small.yaml": 96, "solvers.yaml": 60}[name]

"""(Re)build the certified instance library in ``instances/``.

For every instance listed in :data:`SPECS` (family, generator command):

1. parse the command into its registry generator and parameters (the CLI's
   own parser), generate the instance and write ``problems/<name>.json``;
2. solve it with CG-BPRR, then CG-BPRR + local search (``cg-bprr-ls``);
3. solve it with the interval-flow MILP (``milp-interval``, HiGHS, one
   thread, ``--milp-limit`` seconds), warm-started from the better of the
   two, unless the model is too large (:data:`MAX_INTERVAL_VARS`);
4. on the ``tiny-random`` family, check the optimum against the exhaustive
   oracle of ``tests/brute_force.py``;
5. keep the best *evaluated* solution (``solutions/<name>.json``) and the
   best proven bound (the MILP's dual bound or ``best_lower_bound``), and
   write the entry of ``index.json`` (status ``proven_optimal`` iff the
   bound meets the value within 1e-6 relative).

Everything is unused-servers-allowed (the evaluator's default); every
library instance has ``M_j >= s_m``, so the paper's ``m_j >= 1`` optimum is
the same.  Run from the repository root::

    .venv/bin/python benchmarks/build_library.py            # everything
    .venv/bin/python benchmarks/build_library.py --only clustered-9s-3r
    .venv/bin/bprr library verify                            # then check

The generated instances are byte-stable; solver results (which solution of
equal value, bounds of open instances) can differ between machines and
solver versions.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the brute-force oracle

from bprr_opt import __version__  # noqa: E402
from bprr_opt.bounds import best_lower_bound  # noqa: E402
from bprr_opt.evaluate import evaluate  # noqa: E402
from bprr_opt.exact.interval import segment_limits  # noqa: E402
from bprr_opt.fileio import atomic_write_bytes, atomic_write_text  # noqa: E402
from bprr_opt.instance import instance_from_dict  # noqa: E402
from bprr_opt.cli import build_parser, generate_cmd, library_cmd  # noqa: E402
from bprr_opt.generators import generate  # noqa: E402
from bprr_opt.instance import instance_to_json  # noqa: E402
from bprr_opt.library import (  # noqa: E402
    INDEX_FILE,
    LIBRARY_FORMAT,
    file_sha256,
    partition_answer,
)
from bprr_opt.params import SolveParams  # noqa: E402
from bprr_opt.solution import save_solution  # noqa: E402
from bprr_opt.solve import solve  # noqa: E402

MAX_INTERVAL_VARS = 60_000  # larger interval models are not built


def _random(n, c, r, L, regime, seed):
    return (f"bprr generate random --servers {n} --clients {c} --requests {r}"
            f" --L {L} --regime {regime} --seed {seed}")


# (family, command); the instance's own name is its library name.
SPECS: list[tuple[str, str]] = [
    ("tiny-random", _random(2, 1, 3, 4, "tight", 1)),
    ("tiny-random", _random(3, 1, 2, 4, "medium", 1)),
    ("tiny-random", _random(3, 2, 2, 4, "tight", 1)),
    ("tiny-random", _random(2, 2, 3, 4, "medium", 1)),
    ("tiny-random", _random(3, 1, 3, 3, "loose", 1)),
    ("small-random", _random(6, 2, 3, 8, "tight", 2)),
    ("small-random", _random(6, 2, 3, 8, "medium", 1)),
    ("small-random", _random(6, 2, 3, 8, "loose", 1)),
    ("small-random", _random(8, 2, 4, 12, "tight", 2)),
    ("small-random", _random(8, 2, 4, 12, "medium", 2)),
    ("small-random", _random(8, 2, 4, 12, "loose", 2)),
    ("medium-random", _random(12, 3, 5, 20, "tight", 3)),
    ("medium-random", _random(12, 3, 5, 20, "medium", 3)),
    ("medium-random", _random(12, 3, 5, 20, "loose", 3)),
    ("medium-random", _random(20, 4, 5, 30, "tight", 1)),
    ("medium-random", _random(20, 4, 5, 30, "medium", 4)),
    ("clustered", "bprr generate clustered --name clustered-9s-3r"),
    ("clustered", "bprr generate clustered --requests 10"),
    ("clustered", "bprr generate clustered --clients 3 --requests 10"),
    ("clustered", "bprr generate clustered --clients 3 --requests 30"),
    ("topology", "bprr library generate topology --graph Abvt --requests 10 "
                 "--seed 1"),
    ("topology", "bprr library generate topology --graph Bellcanada "
                 "--requests 10 --seed 1"),
    ("topology", "bprr library generate topology --graph GtsCe "
                 "--requests 20 --seed 1"),
    ("partition", "bprr generate partition 3 1 1 2 2 1"),
    ("partition", "bprr generate partition 1 5 6"),
    ("partition", "bprr generate partition 4 5 6 7 8"),
    ("partition", "bprr generate partition 2 2 2 4"),
    ("partition", "bprr generate partition 3 3 3 3 4"),
    ("partition", "bprr generate partition 5 5 5 7"),
    ("worst-case", "bprr library generate worst-case --L 3"),
    ("worst-case", "bprr library generate worst-case --L 4"),
    ("worst-case", "bprr library generate worst-case --L 5"),
    ("worst-case", "bprr library generate worst-case --L 6"),
]


def generator_of(command: str) -> tuple[str, dict]:
    """The registry generator and parameters of a ``bprr ...`` command."""
    args = build_parser().parse_args(shlex.split(command)[1:])
    mod = library_cmd if args.command == "library" else generate_cmd
    return mod.generator_call(args)


def instance_bytes(command: str) -> bytes:
    """The bytes the command writes (generated through the registry)."""
    kind, params = generator_of(command)
    return instance_to_json(generate(kind, params)).encode("utf-8")


def interval_size(inst) -> int:
    """Variables of the interval model (``y``, ``idle`` and ``g``)."""
    K = segment_limits(inst)
    hosts = sum(sum(min(e, k) for e in range(1, inst.L + 1)) for k in K)
    active = sum(1 for c in inst.clients if c.requests > 0)
    return hosts * (1 + active) + inst.num_servers


def _highs_version() -> str:
    import highspy

    h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _seed_of(inst) -> int | None:
    gen = inst.extra.get("generator", {})
    return gen.get("seed") if isinstance(gen, dict) else None


def build_one(family: str, command: str, out: Path, ls_limit: float,
              milp_limit: float) -> dict:
    data = instance_bytes(command)
    inst = instance_from_dict(json.loads(data))
    name = inst.name
    rel_file = f"problems/{name}.json"
    atomic_write_bytes(out / rel_file, data)
    t0 = time.perf_counter()
    runs: dict[str, dict] = {}
    cands = []  # (value, order, solution, found_by)

    # the library allows unused servers (index field allow_unused)
    cg = solve(inst, "cg-bprr", SolveParams(allow_unused=True))
    runs["cg-bprr"] = {"status": cg.status.value, "value": cg.value}
    if cg.is_feasible():
        cands.append((cg.value, 0, cg.solution, {"method": "cg-bprr"}))
    ls = solve(inst, "cg-bprr-ls", SolveParams(time_limit=ls_limit,
                                               allow_unused=True, seed=0))
    runs["cg-bprr-ls"] = {"status": ls.status.value, "value": ls.value,
                          "runtime_s": round(ls.runtime_s, 3),
                          "stopped": ls.stats.get("stopped")}
    if ls.is_feasible():
        cands.append((ls.value, 1, ls.solution,
                      {"method": "cg-bprr-ls", "seed": 0,
                       "time_limit_s": ls_limit}))
    lbs = best_lower_bound(inst)
    bound, bound_by = lbs.best, {"method": lbs.best_method}

    size = interval_size(inst)
    if size <= MAX_INTERVAL_VARS:
        warm = min(cands, key=lambda x: (x[0], x[1]))[2] if cands else None
        milp = solve(inst, "milp-interval", SolveParams(
            time_limit=milp_limit, threads=1, allow_unused=True,
            warm_start=warm))
        runs["milp-interval"] = {
            "status": milp.status.value, "value": milp.value,
            "bound": milp.bound, "runtime_s": round(milp.runtime_s, 3),
            "warm_start": warm is not None}
        if milp.is_feasible():
            cands.append((milp.value, 2, milp.solution, {
                "method": "milp-interval", "solver": "highs",
                "solver_version": _highs_version(), "threads": 1,
                "time_limit_s": milp_limit}))
        if milp.bound is not None and milp.bound > bound:
            bound, bound_by = milp.bound, {
                "method": "milp-interval", "solver": "highs",
                "solver_version": _highs_version(),
                "milp_status": milp.status.value}
    else:
        runs["milp-interval"] = {"skipped": f"{size} variables > "
                                            f"{MAX_INTERVAL_VARS}"}

    entry = {
        "name": name, "family": family, "file": rel_file,
        "sha256": file_sha256(out / rel_file),
        "size": {"servers": inst.num_servers, "clients": inst.num_clients,
                 "requests": inst.num_requests, "L": inst.L},
        "generator": dict(zip(("kind", "params"), generator_of(command)),
                          command=command, seed=_seed_of(inst)),
    }
    best = None
    if cands:
        # lowest value; on ties the method that found it first (CG-BPRR,
        # then LS, then the MILP, which may only confirm its warm start)
        top = min(c[0] for c in cands)
        tied = [c for c in cands if c[0] <= top + 1e-9 * max(1.0, top)]
        best = min(tied, key=lambda c: c[1])
    if best is not None:
        ev = evaluate(inst, best[2])
        assert ev.feasible, ev.summary()
        rel_sol = f"solutions/{name}.json"
        save_solution(inst, best[2], out / rel_sol)
        value = ev.avg_per_token_ms
        entry.update(best_known=value, solution=rel_sol)
        entry["found_by"] = {**best[3], "package_version": __version__}
    else:
        value = None
        entry.update(best_known=None, solution=None)
    entry["best_bound"] = bound if math.isfinite(bound) else None
    entry["bound_by"] = bound_by
    closed = value is not None and math.isfinite(bound) and \
        abs(bound - value) <= 1e-6 * max(1.0, abs(value))
    entry["status"] = "proven_optimal" if closed else "open"
    if family == "tiny-random":
        from brute_force import brute_force_optimum

        bf, _ = brute_force_optimum(inst, allow_unused=True)
        assert bf is not None and value is not None and \
            abs(bf - value) <= 1e-9 * max(1.0, bf), (name, bf, value)
        entry["known_answer"] = {"brute_force_optimum": bf}
    if family == "partition":
        weights = inst.extra["generator"]["weights"]
        entry["known_answer"] = {"partition": partition_answer(weights),
                                 "threshold": sum(weights)}
    entry["runs"] = runs
    entry["build_s"] = round(time.perf_counter() - t0, 2)
    return entry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "instances"))
    ap.add_argument("--only", nargs="*", default=None,
                    help="rebuild only these names (others kept)")
    ap.add_argument("--ls-limit", type=float, default=20.0)
    ap.add_argument("--milp-limit", type=float, default=60.0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    (out / "problems").mkdir(parents=True, exist_ok=True)
    (out / "solutions").mkdir(parents=True, exist_ok=True)
    old = {}
    if (out / INDEX_FILE).is_file():
        old = {e["name"]: e for e in json.loads(
            (out / INDEX_FILE).read_text())["instances"]}
    entries = []
    for family, command in SPECS:
        inst = instance_from_dict(json.loads(instance_bytes(command)))
        if args.only is not None and inst.name not in args.only \
                and inst.name in old:
            entries.append(old[inst.name])
            continue
        e = build_one(family, command, out, args.ls_limit, args.milp_limit)
        print(f"{e['name']:<45} {e['status']:<15} "
              f"{e['best_known']!s:<22} {e['best_bound']!s:<22} "
              f"{e['build_s']:>7.1f}s", flush=True)
        entries.append(e)
        doc = {"format": LIBRARY_FORMAT, "allow_unused": True,
               "units": "avg_per_token_ms",
               "instances": entries + [v for k, v in old.items()
                                       if k not in {x["name"]
                                                    for x in entries}]}
        atomic_write_text(out / INDEX_FILE, json.dumps(doc, indent=1) + "\n")
    doc = {"format": LIBRARY_FORMAT, "allow_unused": True,
           "units": "avg_per_token_ms", "instances": entries}
    atomic_write_text(out / INDEX_FILE, json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

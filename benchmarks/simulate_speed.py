"""Simulation speed of the online simulator at GTS-CE scale (not a test).

Scenario: GtsCe, C = 60 servers (12 A100, 48 MIG), l_max = 128, Poisson
arrivals at 0.5 req/s (the authors' sweep point).  For WS-RR (on CG-BP's
placement) and PETALS (random join order) it times

* the compiled engine (Numba, one core) on ``--requests`` arrivals, and
* the plain-Python reference engine (same model, spec-literal) on the first
  ``--ref-requests`` arrivals,

checks that both engines give identical records on the common prefix, and
prints simulated requests per second (whole ``simulate`` call, result
conversion included) and the speed-up over the reference measured in the
same run, both on the same first arrivals and at full length.  JIT
compilation is excluded (warm-up first).  The rate of a run whose queue
keeps growing (max concurrency close to the request count) falls with its
length: every arrival then scans more active sessions.

    .venv/bin/python benchmarks/simulate_speed.py [--requests 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bprr_opt.generators.topology import topology_scenario
from bprr_opt.online._sim_kernels import warm_up
from bprr_opt.online.arrivals import Arrivals, poisson_arrivals
from bprr_opt.online.cg_bp import cg_bp, design_r
from bprr_opt.online.petals import petals_policy
from bprr_opt.online.policies import SimulationResult
from bprr_opt.online.simulator import simulate
from bprr_opt.online.ws_rr import ws_rr_policy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--ref-requests", type=int, default=2_000)
    ap.add_argument("--rate", type=float, default=5e-4,
                    help="arrivals per ms (default 5e-4 = 0.5 req/s)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    scen = topology_scenario("GtsCe", 60, 0.2, rng=rng, seed=args.seed)
    arr = poisson_arrivals(args.requests, args.rate, rng=rng)
    order = rng.permutation(scen.instance.num_servers)
    k = min(args.ref_requests, args.requests)
    head = Arrivals(arr.times[:k], arr.clients[:k])
    R = design_r(scen, args.rate).R
    policies = {
        "ws-rr": ws_rr_policy(scen, cg_bp(scen, R).placement),
        "petals": petals_policy(scen, "petals", order),
    }
    warm_up()
    print(f"GtsCe, {scen.instance.num_servers} servers, rate {args.rate} /ms, "
          f"CG-BP R = {R}, seed {args.seed}")
    print(f"{'method':>7} {'engine':>9} {'requests':>9} {'seconds':>9} "
          f"{'req/s':>9} {'vs ref':>7} {'max conc':>9}  per-token ms")

    def row(name, engine, n, sec, rate, ratio, res):
        m = SimulationResult.from_records(name, "authors", res,
                                          planned_R=None, runtime_s=sec)
        print(f"{name:>7} {engine:>9} {n:>9} {sec:>9.3f} {rate:>9.0f} "
              f"{ratio:>7.1f} {m.max_concurrency:>9}  "
              f"{m.avg_per_token_ms:.3f}")

    for name, pol in policies.items():
        t0 = time.perf_counter()
        ref = simulate(scen.instance, pol, head, engine="reference")
        t_ref = time.perf_counter() - t0
        t0 = time.perf_counter()
        same_k = simulate(scen.instance, pol, head, engine="numba")
        t_k = time.perf_counter() - t0
        t0 = time.perf_counter()
        fast = simulate(scen.instance, pol, arr, engine="numba")
        t_fast = time.perf_counter() - t0
        if not (fast.chains[:k] == ref.chains == same_k.chains
                and np.array_equal(fast.completion[:k], ref.completion)):
            raise SystemExit(f"{name}: engines disagree on the common prefix")
        ref_rate = k / t_ref
        row(name, "reference", k, t_ref, ref_rate, 1.0, ref)
        row(name, "numba", k, t_k, k / t_k, (k / t_k) / ref_rate, same_k)
        row(name, "numba", args.requests, t_fast, args.requests / t_fast,
            (args.requests / t_fast) / ref_rate, fast)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

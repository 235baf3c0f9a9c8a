"""CG-BPRR speed: compiled kernels vs the plain-Python reference, and scaling.

Run from the checkout root::

    .venv/bin/python benchmarks/cg_bprr_speed.py [--quick]

Prints, in one run and on this machine:

1. GTS-CE scale (the paper's 60-server GTS-CE topology, BLOOM-176B, L = 70,
   100 requests): reference vs Numba, end to end (``cg_bprr``) and kernels
   only, as ratios, plus the wrapper's share and the time of the default
   lower bounds (chain-DP + transport) that ``solve_cg_bprr`` attaches;
2. scaling of the Numba version with 10 -> 10 000 servers (L = 128, 10
   clients x 10 requests, random generator, medium memory).

Every time is the minimum over rounds of the mean of a batch of calls, the
functions compared being timed in turns within each round (JIT compilation
excluded by a warm-up).  The targets from the issue (>= 20x
over the reference, < 1 ms at 60 servers, < 1 s at 10 000) are printed next
to the measurements; nothing here is asserted in the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from bprr_opt.bounds import best_lower_bound
from bprr_opt.generators import random_instance
from bprr_opt.heuristics import _cg_bprr_kernels as jit
from bprr_opt.heuristics import _cg_bprr_reference as ref
from bprr_opt.heuristics.cg_bprr import cg_bprr
from bprr_opt.instance import Client, Instance


def interleaved(funcs: dict[str, Callable[[], object]], budget: float = 1.0,
                rounds: int = 7) -> dict[str, float]:
    """Seconds per call of each function: min over ``rounds`` of a batch mean.

    The functions are timed in turns within every round, so a machine shared
    with other jobs slows them alike and the ratios stay meaningful.
    """
    batch = {}
    for name, f in funcs.items():
        f()
        t0 = time.perf_counter()
        f()
        once = max(time.perf_counter() - t0, 1e-7)
        batch[name] = max(1, int(budget / rounds / len(funcs) / once))
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(rounds):
        for name, f in funcs.items():
            t0 = time.perf_counter()
            for _ in range(batch[name]):
                f()
            best[name] = min(best[name],
                             (time.perf_counter() - t0) / batch[name])
    return best


def gts_ce_instance() -> Instance:
    """GTS-CE (60 servers, 20 % A100) with one client and 100 requests."""
    from bprr_opt.generators.topology import topology_scenario

    inst = topology_scenario("GtsCe", seed=0).to_instance()
    cl = inst.clients[0]
    return inst.replace(clients=(Client(cl.id, 100, cl.rtt, cl.rtt_prefill,
                                        cl.extra),))


def kernels(inst: Instance, R: int, impl: str) -> Callable[[], object]:
    """Steps 1-3 without the wrapper (arrays in and out, no Solution)."""
    arr = inst.to_arrays()
    n, L = inst.num_servers, inst.L
    caps = np.full(n, L, np.int64)
    t_star = arr.rtt.max(axis=0)
    if impl == "numba":
        def run() -> object:  # the fused kernel the wrapper calls
            return jit.run_cg_bprr(arr.memory, arr.tau, arr.rtt, arr.requests,
                                   arr.s_m, arr.s_c, R, L, caps)
        return run
    mem, tau, ts = arr.memory.tolist(), arr.tau.tolist(), t_star.tolist()
    rtt, req, capl = arr.rtt.tolist(), arr.requests.tolist(), caps.tolist()

    def run_ref() -> object:
        m = ref.block_counts(mem, arr.s_m, arr.s_c, R, L, capl)
        cap, tt = ref.cap_and_speed(m, mem, tau, ts, arr.s_m, arr.s_c, R)
        a, _, _, _ = ref.greedy_placement(m, tt, cap, L, R)
        return ref.route_clients(a, m, tau, rtt, req, L)
    return run_ref


def fmt(s: float) -> str:
    return f"{s * 1e3:10.3f} ms"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="shorter timing budgets, stop scaling at 1000")
    args = ap.parse_args(argv)
    budget = 0.3 if args.quick else 1.0
    import numba

    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print(f"machine: {cpu}, {os.cpu_count()} cores; Python "
          f"{platform.python_version()}, numpy {np.__version__}, numba "
          f"{numba.__version__}")
    t0 = time.perf_counter()
    jit.warm_up()
    print(f"JIT warm-up (compile or load cache): "
          f"{time.perf_counter() - t0:.2f} s (excluded below)\n")

    inst = gts_ce_instance()
    R = inst.num_requests
    out = cg_bprr(inst)
    assert out.success and out == cg_bprr(inst, implementation="reference")
    print(f"1. GTS-CE scale: {inst.num_servers} servers, L = {inst.L}, "
          f"{R} requests (CG-BPRR K = {out.K}, "
          f"{sum(out.num_blocks)} blocks placed)")
    t = interleaved({
        "e2e_ref": lambda: cg_bprr(inst, implementation="reference"),
        "e2e_jit": lambda: cg_bprr(inst),
        "k_ref": kernels(inst, R, "reference"),
        "k_jit": kernels(inst, R, "numba"),
        "lb": lambda: best_lower_bound(inst, methods=("chain-dp", "transport")),
    }, 5 * budget)
    e2e_ref, e2e_jit, k_ref, k_jit, t_lb = (
        t["e2e_ref"], t["e2e_jit"], t["k_ref"], t["k_jit"], t["lb"])
    print(f"   reference, end to end  {fmt(e2e_ref)}")
    print(f"   numba,     end to end  {fmt(e2e_jit)}   ratio "
          f"{e2e_ref / e2e_jit:6.1f}x  (target >= 20x)")
    print(f"   reference, kernels     {fmt(k_ref)}")
    print(f"   numba,     kernels     {fmt(k_jit)}   ratio "
          f"{k_ref / k_jit:6.1f}x")
    print(f"   wrapper share of the numba run: "
          f"{100 * (e2e_jit - k_jit) / e2e_jit:.0f} % "
          f"({fmt(e2e_jit - k_jit).strip()})")
    print(f"   numba end to end under 1 ms: "
          f"{'yes' if e2e_jit < 1e-3 else 'NO'} "
          f"(the paper: 32 ms for its MATLAB version)")
    print(f"   default lower bounds (chain-DP + transport): {fmt(t_lb)} "
          f"= {t_lb / e2e_jit:.0f}x the CG-BPRR run\n")

    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10_000]
    print("2. scaling, numba (L = 128, 10 clients x 10 requests, medium "
          "memory)")
    print(f"   {'servers':>8}  {'end to end':>13}  {'kernels':>13}  "
          f"{'per server':>12}")
    last = None
    for n in sizes:
        big = random_instance(n, 10, 10, 128, regime="medium", seed=n)
        res = cg_bprr(big)
        assert res.success
        tb = interleaved({"e2e": lambda: cg_bprr(big),
                          "k": kernels(big, big.num_requests, "numba")},
                         2 * budget, rounds=3)
        e2e, k = tb["e2e"], tb["k"]
        print(f"   {n:>8}  {fmt(e2e)}  {fmt(k)}  "
              f"{e2e / n * 1e6:9.2f} us")
        last = e2e
    if not args.quick:
        print(f"   10 000 servers under 1 s: {'yes' if last < 1 else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

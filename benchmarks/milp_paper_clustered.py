"""The paper's MILP (13) on the clustered scenario with HiGHS, 200 s.

Run from the checkout root::

    .venv/bin/python benchmarks/milp_paper_clustered.py [--time-limit 200]
        [--threads N] [--warm-start cg-bprr] [--seed 0]

Instance: the bundled default (``bprr_opt/data/clustered-9s-3r.json`` =
``clustered_instance()``): 7 MIG + 2 A100 servers, BLOOM-176B (L = 70),
1 client, 3 requests, l_max = 100.  The authors report that Gurobi stopped at
its 200 s limit on this size with a 38.9 % optimality gap.

Prints the solver's status, incumbent, best bound and gap (both in
``avg_per_token_ms``, gap = (incumbent - bound) / incumbent as Gurobi
defines it), node count, time and HiGHS version, next to the authors' gap.
When the CG-BPRR heuristic and the combinatorial lower bounds are part of
the build, their values are printed as same-run references (ratios of the
MILP incumbent to CG-BPRR's value, gap against the best combinatorial
bound).  Nothing here is asserted in the test suite.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from bprr_opt.exact.milp import solve_milp_paper
from bprr_opt.generators import clustered_instance
from bprr_opt.params import SolveParams

AUTHORS_GUROBI_GAP = 0.389  # Sun et al., 200 s limit, same instance size


def _cg_bprr(inst):
    try:
        from bprr_opt.solve import solve
        return solve(inst, "cg-bprr")
    except Exception as exc:  # noqa: BLE001 - optional reference
        print(f"(CG-BPRR not available: {exc})")
        return None


def _lower_bound(inst):
    try:
        from bprr_opt.bounds import best_lower_bound
        return best_lower_bound(inst)
    except Exception as exc:  # noqa: BLE001 - optional reference
        print(f"(combinatorial bounds not available: {exc})")
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=200.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--warm-start", choices=["none", "cg-bprr"],
                    default="none")
    ap.add_argument("--json", default=None, help="also write numbers here")
    args = ap.parse_args()

    import highspy

    inst = clustered_instance()
    cg = _cg_bprr(inst)
    lb = _lower_bound(inst)
    warm = None
    if args.warm_start == "cg-bprr":
        if cg is None or cg.solution is None:
            raise SystemExit("no CG-BPRR solution to warm-start from")
        warm = cg.solution
    params = SolveParams(solver="highs", time_limit=args.time_limit,
                         threads=args.threads, seed=args.seed,
                         warm_start=warm)
    t0 = time.perf_counter()
    res = solve_milp_paper(inst, params)
    wall = time.perf_counter() - t0

    h = highspy.Highs()
    version = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    fmt = (lambda x: "-" if x is None else f"{x:.4f}")
    print(f"instance          {inst.name}  ({inst.num_servers} servers, "
          f"{inst.num_requests} requests, L = {inst.L})")
    print(f"model             {res.stats['variables']} variables, "
          f"{res.stats['constraints']} constraints")
    print(f"machine           {platform.machine()}, {platform.python_version()}"
          f", HiGHS {version}, threads {args.threads or 'default'}")
    print(f"warm start        {args.warm_start}")
    print(f"status            {res.status.value} "
          f"({res.stats.get('termination')})")
    print(f"incumbent         {fmt(res.value)} ms/token")
    print(f"best bound        {fmt(res.bound)} ms/token")
    gap = res.gap
    print(f"gap               {'-' if gap is None else f'{100 * gap:.1f} %'}"
          f"   (authors' Gurobi, 200 s: {100 * AUTHORS_GUROBI_GAP:.1f} %)")
    print(f"nodes             {res.stats.get('nodes')}")
    print(f"time              {res.runtime_s:.1f} s (wall {wall:.1f} s, "
          f"limit {args.time_limit:.0f} s)")
    out = {"instance": inst.name, "highs": version,
           "time_limit_s": args.time_limit, "threads": args.threads,
           "warm_start": args.warm_start, "status": res.status.value,
           "incumbent": res.value, "bound": res.bound, "gap": gap,
           "nodes": res.stats.get("nodes"), "runtime_s": res.runtime_s}
    if cg is not None and cg.value is not None:
        print(f"CG-BPRR           {cg.value:.4f} ms/token (same run)")
        out["cg_bprr"] = cg.value
        if res.value is not None:
            print(f"  incumbent / CG-BPRR = {res.value / cg.value:.4f}")
    if lb is not None:
        best = lb.best
        print(f"best comb. bound  {best:.4f} ms/token "
              f"({', '.join(f'{k} {v:.4f}' for k, v in lb.bounds.items())})")
        out["combinatorial_bound"] = best
        if res.value is not None:
            g = (res.value - max(best, res.bound or best)) / res.value
            print(f"  gap of the incumbent against max(bounds) = "
                  f"{100 * g:.1f} %")
            out["gap_vs_best_bound"] = g
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()

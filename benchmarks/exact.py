"""Paper MILP (13) vs interval-flow MILP on the library (not a test).

Both formulations are solved cold (no warm start) by the same HiGHS build,
with the same time limit, one thread and the paper's ``m_j >= 1``, on every
library instance both can handle: the paper's model with at most
``--max-flows`` flow variables ``|R| |V_s| (|V_s| + 1)``, the interval model
with at most ``build_library.MAX_INTERVAL_VARS`` variables.

Printed per instance: status, time to optimality (end to end: model build
and solve; the limit when not proven, marked ``>``), final gap from each
solver's own bound, and the ratio paper / interval.  The summary gives the
median ratio and how many instances each formulation proved optimal.  Where
the paper model does not finish, its time is counted as the limit, so the
ratio there is a lower bound on the true speed-up (marked ``>=``).

    .venv/bin/python benchmarks/exact.py                  # 60 s per run
    .venv/bin/python benchmarks/exact.py --time-limit 200 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_library import MAX_INTERVAL_VARS, interval_size  # noqa: E402

from bprr_opt.instance import load_instance  # noqa: E402
from bprr_opt.library import load_index  # noqa: E402
from bprr_opt.params import SolveParams  # noqa: E402
from bprr_opt.result import Status  # noqa: E402
from bprr_opt.solve import solve  # noqa: E402


def paper_flows(inst) -> int:
    n = inst.num_servers
    return inst.num_requests * n * (n + 1)


def run(inst, method: str, limit: float) -> dict:
    res = solve(inst, method, SolveParams(time_limit=limit, threads=1))
    proven = res.status is Status.OPTIMAL
    gap = None
    if res.value is not None and res.bound is not None and res.value > 0:
        gap = (res.value - res.bound) / res.value
    return {"status": res.status.value, "value": res.value,
            "bound": res.bound, "gap": gap, "runtime_s": res.runtime_s,
            "time_to_opt": res.runtime_s if proven else limit,
            "proven": proven}


def _fmt_t(r: dict) -> str:
    return f"{r['time_to_opt']:.2f}" if r["proven"] else \
        f">{r['time_to_opt']:.0f}"


def _fmt_gap(r: dict) -> str:
    if r["gap"] is None:
        return "-"
    return f"{100 * r['gap']:.2f}%" if abs(r["gap"]) < 100 else \
        f"{100 * r['gap']:.3g}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(ROOT / "instances"))
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--max-flows", type=int, default=1000)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--json", default=None, help="also write rows here")
    args = ap.parse_args(argv)
    import highspy

    h = highspy.Highs()
    print(f"HiGHS {h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}, "
          f"1 thread, {args.time_limit:g} s limit, cold starts, m_j >= 1")
    # warm-up: Pyomo's and HiGHS' first use costs ~1 s that neither
    # formulation should be charged for
    entries = load_index(args.dir)
    first = load_instance(Path(args.dir) / entries[0].file)
    run(first, "milp-paper", args.time_limit)
    run(first, "milp-interval", args.time_limit)
    rows = []
    head = (f"{'instance':<34} {'paper':>14} {'t_paper':>8} {'gap_p':>9} "
            f"{'interval':>14} {'t_int':>7} {'gap_i':>7} {'ratio':>9}")
    print(head)
    for e in entries:
        if args.only is not None and e.name not in args.only:
            continue
        inst = load_instance(Path(args.dir) / e.file)
        if paper_flows(inst) > args.max_flows or \
                interval_size(inst) > MAX_INTERVAL_VARS:
            continue
        p = run(inst, "milp-paper", args.time_limit)
        i = run(inst, "milp-interval", args.time_limit)
        ratio = p["time_to_opt"] / i["time_to_opt"]
        exact = p["proven"] and i["proven"]
        mark = "" if exact else (">=" if i["proven"] else "~")
        rows.append({"instance": e.name, "paper": p, "interval": i,
                     "ratio": ratio, "ratio_exact": exact})
        print(f"{e.name:<34} {p['status']:>14} {_fmt_t(p):>8} "
              f"{_fmt_gap(p):>9} {i['status']:>14} {_fmt_t(i):>7} "
              f"{_fmt_gap(i):>7} {mark + format(ratio, '.1f'):>9}",
              flush=True)
    if not rows:
        print("no instance fits both formulations")
        return 1
    ratios = [r["ratio"] for r in rows]
    n_p = sum(r["paper"]["proven"] for r in rows)
    n_i = sum(r["interval"]["proven"] for r in rows)
    both = [r["ratio"] for r in rows if r["ratio_exact"]]
    print(f"\n{len(rows)} instances; proven optimal: paper {n_p}, "
          f"interval {n_i}")
    print(f"median time ratio paper / interval: {statistics.median(ratios):.1f}"
          f" (limit counted for unfinished runs: a lower bound where the "
          f"paper model timed out)")
    if both:
        print(f"median ratio where both proved optimality "
              f"({len(both)} instances): {statistics.median(both):.1f}")
    slower = [r["instance"] for r in rows if r["ratio"] < 1]
    if slower:
        print(f"interval slower on: {', '.join(slower)}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

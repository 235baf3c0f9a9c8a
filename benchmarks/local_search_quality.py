"""How often CG-BPRR and CG-BPRR + local search are optimal on tiny instances
(a measurement, not a test: the tests only assert LS >= the optimum).

Tiny instances are drawn from seeds ``0 .. N-1`` (the random generator, the
three memory regimes, 1-3 servers, 1-2 clients, up to 3 requests each, at
most 4 in all on 3 servers, ``L <= 4``), solved exactly by the brute force of
``tests/brute_force.py`` (unused servers allowed) and by both heuristics.

    .venv/bin/python benchmarks/local_search_quality.py --n 300
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from brute_force import brute_force_optimum  # noqa: E402

from bprr_opt.generators import MEMORY_REGIMES, random_instance  # noqa: E402
from bprr_opt.instance import Client  # noqa: E402
from bprr_opt.params import SolveParams  # noqa: E402
from bprr_opt.solve import solve  # noqa: E402


def tiny(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4))
    C = int(rng.integers(1, 3))
    reqs = [int(x) for x in rng.integers(0, 4, size=C)]
    if n == 3 and sum(reqs) > 4:
        reqs = [min(r, 2) for r in reqs]
    L = int(rng.integers(1, 5))
    regime = MEMORY_REGIMES[int(rng.integers(3))]
    inst = random_instance(n, C, max(reqs), L, regime=regime, seed=seed)
    return inst.replace(clients=tuple(Client(c.id, r, c.rtt)
                                      for c, r in zip(inst.clients, reqs)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args(argv)
    count: Counter[str] = Counter()
    for seed in range(args.n):
        inst = tiny(seed)
        opt, _ = brute_force_optimum(inst, allow_unused=True)
        if opt is None:
            count["infeasible"] += 1
            continue
        count["feasible"] += 1
        tol = 1e-9 * max(1.0, opt)
        cg = solve(inst, "cg-bprr")
        ls = solve(inst, "cg-bprr-ls", SolveParams(allow_unused=True,
                                                   time_limit=60))
        for name, res in (("cg-bprr", cg), ("cg-bprr-ls", ls)):
            if not res.is_feasible():
                count[f"{name} no solution"] += 1
            elif res.value <= opt + tol:
                count[f"{name} optimal"] += 1
            assert not res.is_feasible() or res.value >= opt - tol
        if ls.status.value == "optimal":
            count["cg-bprr-ls proven optimal by its bound"] += 1
    feas = count["feasible"]
    print(f"{args.n} tiny instances: {feas} feasible, "
          f"{count['infeasible']} infeasible (brute force)")
    for key in ("cg-bprr optimal", "cg-bprr no solution",
                "cg-bprr-ls optimal", "cg-bprr-ls no solution",
                "cg-bprr-ls proven optimal by its bound"):
        print(f"  {key:<40} {count[key]:>4} of {feas} "
              f"({100 * count[key] / max(1, feas):.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

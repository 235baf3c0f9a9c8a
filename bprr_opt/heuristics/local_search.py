"""CG-BPRR + local search: improve a placement move by move, routing exactly.

The paper leaves the greedy's suboptimality open (``shared/spec/
bprr-model.md`` §5.3).  This module starts from CG-BPRR -- run for several
design loads ``R_design``, which gives block counts that do not depend on one
uniform ``R`` -- and improves the best start by a variable-neighbourhood
descent over the placement ``(a_j, m_j)``.  After every move the requests are
re-routed *optimally for the new placement*, so the search moves between
placements and never holds a routing worse than the best one:

* the per-client shortest chains (:func:`bprr_opt.chains.shortest.
  shortest_path_solution`) ignore memory, so their value is a lower bound
  on every routing of the placement; a move whose bound does not beat the
  incumbent is discarded without further work;
* when the shortest chains fit in memory they are an optimal routing
  (Lemma 3.4 of [1]_); otherwise the RR-ILP (19) routes the placement
  (:func:`bprr_opt.exact.rr_ilp.solve_rr_ilp`).

Every candidate is judged by :func:`bprr_opt.evaluate.evaluate`, so an
accepted move is feasible by the evaluator's own verdict.

Neighbourhoods, scanned in this order (first improvement; the scan restarts
at the first one after every accepted move):

``resize``
    grow or shrink a window by one block at either end; empty a server
    (``m_j = 0``) when unused servers are allowed;
``shift``
    the same number of blocks at another start, nearest starts first;
``jump``
    a new window aligned with the others: it starts at block 1 or right
    after another server's last block, and ends at block ``L``, right
    before another server's first block, or at another server's last block
    (this also moves an idle server onto a gap);
``swap``
    exchange the windows of two servers.

References
----------
.. [1] Sun, He, Ji, Parag (2025). Optimizing Resource Allocation for
       Geographically-Distributed Inference by Large Language Models.
       arXiv:2512.21884, Algorithm 1, eq. (19), Lemma 3.4, §5.3.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..bounds import best_lower_bound
from ..chains.shortest import shortest_path_solution
from ..errors import BprrError, InfeasibleError
from ..evaluate import ViolationKind, evaluate
from ..instance import Instance
from ..numerics import floor_div
from ..exact.rr_ilp import solve_rr_ilp
from ..exact.warm import warm_start_solution
from ..params import MethodStart, SolveParams
from ..result import Result, Status, build_result
from ..solution import Placement, Solution, with_idle_blocks
from . import _cg_bprr_kernels
from .cg_bprr import cg_bprr

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "NEIGHBOURHOODS",
    "SearchStats",
    "design_loads",
    "local_search",
    "solve_cg_bprr_ls",
]

METHOD = "cg-bprr-ls"
DEFAULT_TIME_LIMIT = 10.0  # seconds, when params.time_limit is None
NEIGHBOURHOODS = ("resize", "shift", "jump", "swap")
# A move must lower the value by more than this (relative) to be accepted,
# so float noise in the costs never makes the search cycle.
_IMPROVE = 1e-9
# Proven optimal: a valid lower bound within this (relative) of the value.
OPTIMALITY_TOL = 1e-9


@dataclass
class SearchStats:
    """Counters of one :func:`local_search` run (filled in place).

    Attributes
    ----------
    start_value, value
        ``avg_per_token_ms`` of the start and of the returned solution.
    moves
        Accepted (improving) moves, by neighbourhood.
    scans
        Neighbourhood scans (one per accepted move, plus the final ones
        that found nothing).
    candidates
        Placements priced (cache hits excluded).
    ilp_calls
        RR-ILP solves (the shortest chains broke memory).
    stopped
        ``"local_optimum"``, ``"lower_bound"`` (the value met the given
        lower bound), ``"time_limit"`` or ``"max_moves"``.
    """

    start_value: float = math.nan
    value: float = math.nan
    moves: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(NEIGHBOURHOODS, 0))
    scans: int = 0
    candidates: int = 0
    ilp_calls: int = 0
    stopped: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The counters as a JSON-ready dict."""
        return {"start_value": self.start_value, "value": self.value,
                "moves": dict(self.moves), "scans": self.scans,
                "candidates": self.candidates, "ilp_calls": self.ilp_calls,
                "stopped": self.stopped}


class _Router:
    """Prices placements: the best routing's value and solution, cached."""

    def __init__(self, instance: Instance, allow_unused: bool, solver: str,
                 deadline: float, stats: SearchStats) -> None:
        self.inst = instance
        self.allow_unused = allow_unused
        self.solver = solver
        self.deadline = deadline
        self.stats = stats
        self.cache: dict[Placement, tuple[float, Solution | None]] = {}
        self.block_cap = [min(instance.L, floor_div(s.memory, instance.s_m))
                          for s in instance.servers]

    def price(self, placement: Placement, incumbent: float
              ) -> tuple[float, Solution | None]:
        """Return ``(value, solution)``; ``solution`` is ``None`` when the
        placement cannot beat ``incumbent`` (``value`` is then a lower bound
        on its routings, ``inf`` if it has none)."""
        hit = self.cache.get(placement)
        if hit is not None:
            if hit[1] is not None and _improves(hit[0], incumbent):
                return hit
            if not _improves(hit[0], incumbent):
                return hit[0], None
        self.stats.candidates += 1
        got = self._price(placement, incumbent)
        self.cache[placement] = got
        return got

    def _price(self, placement: Placement, incumbent: float
               ) -> tuple[float, Solution | None]:
        inst = self.inst
        for m, cap in zip(placement.num_blocks, self.block_cap):
            if m > cap:  # (13b): the blocks alone overflow the server
                return math.inf, None
        sp = shortest_path_solution(inst, placement)
        if sp is None:  # some block is not hosted anywhere
            return math.inf, None
        ev = evaluate(inst, sp, allow_unused=self.allow_unused)
        if any(v.kind is not ViolationKind.MEMORY for v in ev.violations):
            return math.inf, None
        # every request on its cheapest chain: no routing is cheaper
        if not _improves(ev.avg_per_token_ms, incumbent):
            return ev.avg_per_token_ms, None
        if ev.feasible:  # the shortest chains fit: optimal routing (Lemma 3.4)
            return ev.avg_per_token_ms, sp
        return self._rr_ilp(placement, ev.avg_per_token_ms, incumbent)

    def _rr_ilp(self, placement: Placement, sp_value: float,
                incumbent: float) -> tuple[float, Solution | None]:
        left = self.deadline - time.perf_counter()
        if left <= 0.05:
            return sp_value, None
        self.stats.ilp_calls += 1
        res = solve_rr_ilp(self.inst, placement, SolveParams(
            solver=self.solver, time_limit=left, threads=1))
        if res.solution is None:
            return math.inf, None
        ev = evaluate(self.inst, res.solution, allow_unused=self.allow_unused)
        if not ev.feasible:
            return math.inf, None
        if res.status is not Status.OPTIMAL:  # time limit: not a bound
            return (ev.avg_per_token_ms,
                    res.solution if _improves(ev.avg_per_token_ms,
                                              incumbent) else None)
        if not _improves(ev.avg_per_token_ms, incumbent):
            return ev.avg_per_token_ms, None
        return ev.avg_per_token_ms, res.solution


def _improves(value: float, incumbent: float) -> bool:
    if math.isinf(incumbent):
        return value < incumbent
    return value < incumbent - _IMPROVE * max(1.0, abs(incumbent))


def _with(placement: Placement, changes: dict[int, tuple[int, int]]
          ) -> Placement:
    a = list(placement.first_block)
    m = list(placement.num_blocks)
    for j, (aj, mj) in changes.items():
        a[j], m[j] = (aj, mj) if mj > 0 else (0, 0)
    return Placement(tuple(a), tuple(m))


def _resize(pl: Placement, j: int, L: int, cap: int,
            allow_unused: bool) -> Iterator[dict[int, tuple[int, int]]]:
    a, m = pl.first_block[j], pl.num_blocks[j]
    if m == 0:
        return
    if m + 1 <= cap:
        if a + m <= L:
            yield {j: (a, m + 1)}
        if a > 1:
            yield {j: (a - 1, m + 1)}
    if m > 1:
        yield {j: (a, m - 1)}
        yield {j: (a + 1, m - 1)}
    elif allow_unused:
        yield {j: (0, 0)}


def _shift(pl: Placement, j: int, L: int, cap: int,
           allow_unused: bool) -> Iterator[dict[int, tuple[int, int]]]:
    a, m = pl.first_block[j], pl.num_blocks[j]
    if m == 0:
        return
    for new in sorted(range(1, L - m + 2), key=lambda x: (abs(x - a), x)):
        if new != a:
            yield {j: (new, m)}


def _jump(pl: Placement, j: int, L: int, cap: int,
          allow_unused: bool) -> Iterator[dict[int, tuple[int, int]]]:
    others = [i for i in range(len(pl.num_blocks))
              if i != j and pl.num_blocks[i] > 0]
    starts = sorted({1} | {pl.end(i) for i in others if pl.end(i) <= L})
    ends = sorted({L} | {pl.first_block[i] - 1 for i in others
                         if pl.first_block[i] > 1}
                  | {pl.end(i) - 1 for i in others})
    here = (pl.first_block[j], pl.num_blocks[j])
    for s in starts:
        for e in ends:
            if s <= e and e - s + 1 <= cap and (s, e - s + 1) != here:
                yield {j: (s, e - s + 1)}


def _swaps(pl: Placement, order: Sequence[int], caps: Sequence[int]
           ) -> Iterator[dict[int, tuple[int, int]]]:
    for x, i in enumerate(order):
        for j in order[x + 1:]:
            wi = (pl.first_block[i], pl.num_blocks[i])
            wj = (pl.first_block[j], pl.num_blocks[j])
            if wi == wj or wj[1] > caps[i] or wi[1] > caps[j]:
                continue
            yield {i: wj, j: wi}


_PER_SERVER = {"resize": _resize, "shift": _shift, "jump": _jump}


def _moves(kind: str, pl: Placement, order: Sequence[int], L: int,
           caps: Sequence[int], allow_unused: bool
           ) -> Iterator[dict[int, tuple[int, int]]]:
    if kind == "swap":
        yield from _swaps(pl, order, caps)
        return
    gen = _PER_SERVER[kind]
    for j in order:
        yield from gen(pl, j, L, caps[j], allow_unused)


def _reached(value: float, lower_bound: float) -> bool:
    return value <= lower_bound + OPTIMALITY_TOL * max(1.0, abs(value))


def _search(instance: Instance, start: Solution, *, time_limit: float,
            seed: int, allow_unused: bool, max_moves: int | None,
            solver: str, stats: SearchStats,
            lower_bound: float = -math.inf) -> Solution:
    t0 = time.perf_counter()
    ev = evaluate(instance, start, allow_unused=allow_unused)
    if not ev.feasible:
        raise InfeasibleError(
            f"start: not a feasible solution of instance {instance.name!r}: "
            f"{ev.violations[0].message}")
    best, value = start, ev.avg_per_token_ms
    stats.start_value = stats.value = value
    if instance.num_requests == 0:
        stats.stopped = "local_optimum"
        return best
    deadline = t0 + time_limit
    router = _Router(instance, allow_unused, solver, deadline, stats)
    caps = router.block_cap
    rng = np.random.default_rng(seed)
    n, L = instance.num_servers, instance.L
    k = 0
    while k < len(NEIGHBOURHOODS):
        if _reached(value, lower_bound):
            stats.stopped = "lower_bound"
            break
        if max_moves is not None and sum(stats.moves.values()) >= max_moves:
            stats.stopped = "max_moves"
            break
        kind = NEIGHBOURHOODS[k]
        order = [int(j) for j in rng.permutation(n)]
        stats.scans += 1
        found = None
        for change in _moves(kind, best.placement, order, L, caps,
                             allow_unused):
            if time.perf_counter() >= deadline:
                break
            cand, sol = router.price(_with(best.placement, change), value)
            if sol is not None:
                found = (cand, sol)
                break
        if time.perf_counter() >= deadline and found is None:
            stats.stopped = "time_limit"
            break
        if found is None:
            k += 1
            continue
        check = evaluate(instance, found[1], allow_unused=allow_unused)
        if not check.feasible or not _improves(check.avg_per_token_ms, value):
            raise BprrError(  # the router only returns evaluated solutions
                f"{METHOD}: move rejected by the evaluator (a bug)")
        best, value = found[1], check.avg_per_token_ms
        stats.moves[kind] += 1
        stats.value = value
        k = 0
    else:
        stats.stopped = "local_optimum"
    return best


def local_search(instance: Instance, start: Solution, *,
                 time_limit: float = DEFAULT_TIME_LIMIT, seed: int = 0,
                 allow_unused: bool = True, max_moves: int | None = None,
                 solver: str = "highs", lower_bound: float = -math.inf,
                 stats: SearchStats | None = None) -> Solution:
    """Improve a feasible solution by moves on its placement, routing exactly.

    Parameters
    ----------
    instance
        The problem data.
    start
        A feasible solution (by :func:`~bprr_opt.evaluate.evaluate` with
        ``allow_unused``).
    time_limit
        Wall-clock seconds; the best solution found so far is returned when
        they run out.  Default 10.
    seed
        Seed of the server visiting order (a fresh permutation per scan).
        Default 0.
    allow_unused
        Whether a server may end up hosting nothing.  Default True (the
        evaluator's default).
    max_moves
        Stop after this many accepted moves.  Default no limit.
    solver
        Solver of the RR-ILP when the shortest chains break memory.
        Default ``"highs"``.
    lower_bound
        A proven lower bound on the optimum: the search stops once the value
        meets it (within ``1e-9`` relative).  Default none.
    stats
        A :class:`SearchStats` to fill in (moves, scans, why it stopped).

    Returns
    -------
    solution : Solution
        Feasible, and never worse than ``start``; its routing is optimal for
        its placement unless an RR-ILP hit the time limit.

    Raises
    ------
    InfeasibleError
        If ``start`` is not feasible.

    See Also
    --------
    solve_cg_bprr_ls : CG-BPRR starts, this search, and a certified gap.

    Notes
    -----
    Variable-neighbourhood descent over the placement (module docstring:
    ``resize``, ``shift``, ``jump``, ``swap``), first improvement, the
    scan restarting at ``resize`` after every accepted move.  A move is
    accepted only if the evaluated value drops by more than ``1e-9``
    relative, so the search ends at a local optimum of all four
    neighbourhoods unless a limit stops it first.  Given ``seed`` the run is
    deterministic unless the time limit stops it (or an RR-ILP).

    One scan prices at most ``O(|V_s| L)`` (``resize``, ``shift``),
    ``O(|V_s|^3)`` (``jump``) or ``O(|V_s|^2)`` (``swap``) placements; a
    price costs ``O(|V_c| (|V_s| log |V_s| + sum_j m_j))`` for the shortest
    chains, plus one RR-ILP when they break memory and could beat the
    incumbent.  No approximation guarantee beyond the start's: the value is
    at most CG-BPRR's, hence within Theorem 3.5's bound (17).

    Examples
    --------
    >>> from bprr_opt.generators import random_instance
    >>> from bprr_opt.heuristics.cg_bprr import cg_bprr
    >>> from bprr_opt.evaluate import evaluate
    >>> inst = random_instance(4, 1, 3, L=6, regime="medium", seed=2)
    >>> start = cg_bprr(inst).solution
    >>> better = local_search(inst, start, seed=0)
    >>> evaluate(inst, better).cost() <= evaluate(inst, start).cost()
    True

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, §5.3, eq. (19), Lemma 3.4.
    """
    if not time_limit > 0:
        raise ValueError(f"time_limit: must be > 0 seconds, got {time_limit!r}")
    if max_moves is not None and max_moves < 0:
        raise ValueError(f"max_moves: must be >= 0, got {max_moves!r}")
    return _search(instance, start, time_limit=time_limit, seed=seed,
                   allow_unused=allow_unused, max_moves=max_moves,
                   solver=solver, stats=stats or SearchStats(),
                   lower_bound=lower_bound)


# ---------------------------------------------------------------------------
# starts and the method
# ---------------------------------------------------------------------------

def design_loads(num_requests: int) -> list[int]:
    """Design loads CG-BPRR is started from: ``|R|``, ``|R|/2``, ... , 1.

    ``ceil(|R| / 2^i)`` for ``i = 0, 1, ...`` down to 1, without repeats, in
    decreasing order (``[1]`` when there is no request).
    """
    out: list[int] = []
    r = max(1, num_requests)
    while True:
        if r not in out:
            out.append(r)
        if r == 1:
            return out
        r = -(-r // 2)


def _pad_idle(instance: Instance, solution: Solution) -> Solution | None:
    """:func:`~bprr_opt.solution.with_idle_blocks`, or ``None`` when a server
    cannot hold one block (``M_j < s_m``)."""
    padded, _, unable = with_idle_blocks(instance, solution)
    return None if unable else padded


@dataclass(frozen=True)
class _Start:
    label: str
    solution: Solution
    value: float


def _starts(instance: Instance, params: SolveParams, deadline: float,
            allow_unused: bool, stats: SearchStats
            ) -> tuple[list[_Start], list[str]]:
    """CG-BPRR for every design load (routed optimally), plus a warm start."""
    notes: list[str] = []
    found: list[_Start] = []
    loads = [params.r_design] if params.r_design is not None \
        else design_loads(instance.num_requests)
    router = _Router(instance, allow_unused, params.solver, deadline, stats)
    seen: set[Placement] = set()
    for r in loads:
        out = cg_bprr(instance, r)
        if out.solution is None:
            if out.placement is None:
                continue
            base = Solution(out.placement, ())
        else:
            base = out.solution
        if not allow_unused:
            padded = _pad_idle(instance, base)
            if padded is None:
                continue
            base = padded
        if base.placement in seen:
            continue
        seen.add(base.placement)
        ev = evaluate(instance, base, allow_unused=allow_unused)
        if ev.feasible:
            found.append(_Start(f"cg-bprr R={r}", base, ev.avg_per_token_ms))
            continue
        # R_design < |R|: the greedy's chains may break memory; route the
        # placement optimally instead (the RR-ILP's answer is evaluated)
        value, sol = router.price(base.placement, math.inf)
        if sol is not None:
            found.append(_Start(f"cg-bprr R={r} + rr-ilp", sol, value))
    if params.warm_start is not None:
        warm, more = warm_start_solution(
            instance, replace(params, time_limit=max(
                1.0, deadline - time.perf_counter())))
        notes += more
        if warm is not None and not allow_unused:
            warm = _pad_idle(instance, warm)
        if warm is not None:
            ev = evaluate(instance, warm, allow_unused=allow_unused)
            if ev.feasible:
                label = params.warm_start.method if isinstance(
                    params.warm_start, MethodStart) else "given solution"
                found.append(_Start(f"warm start ({label})", warm,
                                    ev.avg_per_token_ms))
            else:
                notes.append(f"warm start ignored: "
                             f"{ev.violations[0].message}")
    found.sort(key=lambda s: s.value)  # stable: design-load order on ties
    return found, notes


def solve_cg_bprr_ls(instance: Instance, params: SolveParams) -> Result:
    """``solve(instance, "cg-bprr-ls", params)``: CG-BPRR + local search.

    Parameters
    ----------
    instance
        The problem data.
    params
        ``time_limit`` (default 10 s) bounds the starts and the search (the
        lower bounds are computed first and are not counted); ``seed``
        fixes the visiting order; ``r_design`` restricts the starts to CG-BPRR with that design
        load (default: :func:`design_loads` of ``|R|``); ``warm_start`` (a
        solution or a method name) is one more start; ``allow_unused``
        (default False, the paper's ``m_j >= 1``: servers left empty get one
        idle block, never used by a route); ``solver`` routes with the RR-ILP.

    Returns
    -------
    Result
        ``feasible``, or ``optimal`` only when a proven lower bound
        (:func:`~bprr_opt.bounds.best_lower_bound`) equals the value within
        ``1e-9`` relative -- the bound, not the search, proves it.
        ``infeasible`` when no start is feasible.  ``bound`` is that best
        lower bound, so ``gap`` is certified.  ``stats``: the CG-BPRR value
        at ``R_design = |R|`` (``cg_bprr_value``), every start's value,
        the chosen start, moves by neighbourhood, scans, priced placements,
        RR-ILP calls, why the search stopped, the bounds.

    See Also
    --------
    local_search : the search alone, from any feasible solution.

    Notes
    -----
    The search runs from the best start, then from the others in order of
    value while time is left, and stops as soon as the value meets the lower
    bound; the best result is kept.  Its value is never
    above the best start's, hence never above CG-BPRR's (whenever CG-BPRR
    with ``R_design = |R|`` succeeds, it is one of the starts).

    References
    ----------
    .. [1] Sun, He, Ji, Parag, arXiv:2512.21884, Algorithm 1, §5.3.
    """
    _cg_bprr_kernels.warm_up()  # runtime below excludes JIT compilation
    limit = params.time_limit if params.time_limit is not None \
        else DEFAULT_TIME_LIMIT
    allow_unused = params.allow_unused
    t1 = time.perf_counter()
    lbs = best_lower_bound(instance)  # first: the search stops if it is met
    bound_time = time.perf_counter() - t1
    t0 = time.perf_counter()
    deadline = t0 + limit
    stats = SearchStats()
    starts, notes = _starts(instance, params, deadline, allow_unused, stats)
    cg_value = next((s.value for s in starts if s.label == "cg-bprr R="
                     f"{max(1, instance.num_requests)}"), None)
    best: Solution | None = None
    best_value = math.inf
    runs = []
    for k, st in enumerate(starts):
        left = deadline - time.perf_counter()
        if k > 0 and (left <= 0 or _reached(best_value, lbs.best)):
            break
        run = SearchStats()
        sol = _search(instance, st.solution, time_limit=max(left, 1e-3),
                      seed=params.seed, allow_unused=allow_unused,
                      max_moves=None, solver=params.solver, stats=run,
                      lower_bound=lbs.best)
        runs.append({"start": st.label, **run.to_dict()})
        if run.value < best_value:
            best, best_value = sol, run.value
    runtime = time.perf_counter() - t0
    stats_out: dict[str, Any] = {
        "cg_bprr_value": cg_value,
        "starts": {s.label: s.value for s in starts},
        "runs": runs,
        "start_value": runs[0]["start_value"] if runs else None,
        "moves": sum(sum(r["moves"].values()) for r in runs),
        "scans": sum(r["scans"] for r in runs),
        "candidates": sum(r["candidates"] for r in runs) + stats.candidates,
        "ilp_calls": sum(r["ilp_calls"] for r in runs) + stats.ilp_calls,
        "stopped": runs[0]["stopped"] if runs else "no_start",
        "time_limit_s": limit,
        "lower_bounds": dict(lbs.bounds),
        "best_bound_method": lbs.best_method,
        "bound_runtime_s": bound_time,
    }
    status = None
    if best is None:
        notes.insert(0, "no feasible start: CG-BPRR failed for every design "
                        "load" + (" and no placement could be routed"
                                  if starts == [] else ""))
        if lbs.proves_infeasible:
            notes.append(f"no solution exists ({lbs.best_method} bound is "
                         "infinite)")
    elif math.isfinite(lbs.best) and _reached(best_value, lbs.best):
        status = Status.OPTIMAL
        notes.insert(0, f"proven optimal: the {lbs.best_method} lower bound "
                        "equals the value")
    return build_result(instance, best, method=METHOD, status=status,
                        runtime_s=runtime, bound=lbs.best,
                        message="; ".join(notes), stats=stats_out,
                        allow_unused=allow_unused)

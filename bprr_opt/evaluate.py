"""The evaluator: the single judge of feasibility and cost.

Every algorithm in bprr-opt (the MILPs, CG-BPRR, PETALS, local search, the
online pipeline's static chains) returns a :class:`~bprr_opt.solution.Solution`
that is re-checked here.  Nothing else in the package decides whether a
placement + routing is feasible or what it costs.

Rules checked (``shared/spec/bprr-model.md`` §1):

* placement bounds (13d): ``1 <= a_j`` and ``a_j + m_j - 1 <= L`` for every
  server with ``m_j >= 1``; ``m_j >= 0``; ``m_j >= 1`` too when
  ``allow_unused=False`` (the paper's MILP convention);
* route rule (Lemma 3.1): a chain starts at a server with ``a = 1``, every hop
  ``i -> j`` has ``a_j <= a_i + m_i <= a_j + m_j - 1``, the last server ends at
  block ``L``; a route never uses a server that hosts nothing;
* demand: the counts of a client's routes sum to its ``N_c``; counts >= 1;
* memory (13b): ``s_m m_j + s_c sum_r k^r_j <= M_j`` with the package-wide
  tolerance of :mod:`bprr_opt.numerics`.

Costs: a request on a chain pays ``sum_j (t_cj + tau_j k_j)`` per token, where
``k_j`` is the number of blocks it processes at ``j``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from .instance import Instance
from .numerics import memory_fits
from .solution import Solution

__all__ = ["Evaluation", "RouteCost", "Violation", "ViolationKind", "evaluate",
           "route_blocks"]


class ViolationKind(StrEnum):
    """Which rule a :class:`Violation` breaks (module docstring)."""

    PLACEMENT = "placement"  # (13d) block range, or m_j >= 1
    ROUTE = "route"  # Lemma 3.1 chain rule, counts, ids
    DEMAND = "demand"  # a client's routes do not carry its N_c
    MEMORY = "memory"  # (13b)


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    ``kind`` is a :class:`ViolationKind` (placement, route, demand,
    memory); ``amount`` says by how much (GB over capacity, requests missing, blocks
    out of range, ...), always positive.
    """

    kind: ViolationKind
    message: str
    server: str | None = None
    client: str | None = None
    amount: float = 0.0

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class RouteCost:
    """Cost of one route: blocks processed per hop and per-request times."""

    client: int
    servers: tuple[int, ...]
    count: int
    blocks: tuple[int, ...]
    per_token_ms: float
    prefill_ms: float | None
    feasible: bool


@dataclass(frozen=True)
class Evaluation:
    """What the evaluator found.

    Attributes
    ----------
    feasible
        No violation at all.
    violations
        Every broken rule, in a fixed order (placement, routes, demand, memory).
    avg_per_token_ms
        ``(1/|R|) sum_r sum_{j on r} (t_cj + tau_j k_j)`` over the routed
        requests (NaN if a route breaks the block rule; 0 when ``|R| = 0``).
    total_ms
        ``l_max * |R| * avg_per_token_ms`` (the paper's objective (13a)).
    sum_per_token_ms
        ``sum_r`` of per-token times (``|R| * avg_per_token_ms``).
    avg_prefill_ms
        Average prompt (TTFT-style) time ``sum_j (t^I_cj + tau^I_j k_j)`` when
        the instance has prefill data, else ``None``.
    avg_request_ms
        Average time of a whole request: prefill + ``(l_max - 1)`` decode steps
        when prefill data exists, else ``l_max`` decode steps.
    memory_used
        ``s_m m_j + s_c sum_r k^r_j`` per server (GB).
    route_costs
        Per-route details.
    """

    feasible: bool
    violations: tuple[Violation, ...]
    avg_per_token_ms: float
    total_ms: float
    sum_per_token_ms: float
    num_requests: int
    avg_prefill_ms: float | None
    avg_request_ms: float
    memory_used: tuple[float, ...]
    route_costs: tuple[RouteCost, ...]

    def cost(self) -> float:
        """Average per-token time, or ``inf`` when infeasible (PyVRP style)."""
        return self.avg_per_token_ms if self.feasible else math.inf

    def summary(self) -> str:
        """Human-readable verdict: values, then one line per violation."""
        head = "FEASIBLE" if self.feasible else "INFEASIBLE"
        lines = [f"{head}: avg_per_token_ms = {self.avg_per_token_ms:.6f}, "
                 f"total_ms = {self.total_ms:.6f}, requests = {self.num_requests}"]
        if self.avg_prefill_ms is not None:
            lines.append(f"avg_prefill_ms = {self.avg_prefill_ms:.6f}, "
                         f"avg_request_ms = {self.avg_request_ms:.6f}")
        for v in self.violations:
            lines.append(f"  violation [{v.kind}] {v.message}")
        return "\n".join(lines)


def route_blocks(first_block: tuple[int, ...], num_blocks: tuple[int, ...],
                 chain: tuple[int, ...], L: int) -> tuple[list[int], list[str]]:
    """Return blocks processed per hop of ``chain`` and the rule violations.

    The source acts as a pseudo-server ending at block 0 (``a + m = 1``) and
    the sink as one starting at ``L + 1``; every hop must satisfy Lemma 3.1.
    """
    problems: list[str] = []
    blocks: list[int] = []
    prev_end = 1  # a_i + m_i of the source pseudo-server
    for h, j in enumerate(chain):
        a, m = first_block[j], num_blocks[j]
        if m <= 0:
            problems.append(f"hop {h} uses server that hosts no block")
            blocks.append(0)
            continue
        end = a + m
        if not (a <= prev_end <= end - 1):
            if h == 0:
                problems.append(
                    f"first server starts at block {a}, must start at block 1")
            else:
                problems.append(
                    f"hop {h}: next needed block {prev_end} is not in "
                    f"[{a}, {end - 1}]")
            blocks.append(0)
        else:
            blocks.append(end - prev_end)
        prev_end = end
    if not chain:
        problems.append("empty chain")
    elif prev_end != L + 1:
        problems.append(f"chain ends at block {prev_end - 1}, must end at {L}")
    return blocks, problems


def evaluate(instance: Instance, solution: Solution, *,
             allow_unused: bool = True) -> Evaluation:
    """Check ``solution`` against ``instance`` and compute its cost.

    Parameters
    ----------
    instance
        The problem data.
    solution
        Placement and routes to judge.  It is never modified or repaired.
    allow_unused
        Accept servers hosting no block (as long as no route uses them).
        ``False`` enforces the paper's MILP convention ``m_j >= 1``.
        Default True.

    Returns
    -------
    Evaluation
        Feasibility, every violation, and the costs.

    Notes
    -----
    Complexity ``O(|V_s| + sum over routes of chain length)``.
    """
    L = instance.L
    servers = instance.servers
    clients = instance.clients
    n = len(servers)
    pl = solution.placement
    violations: list[Violation] = []

    if len(pl.num_blocks) != n:
        violations.append(Violation(
            ViolationKind.PLACEMENT,
            f"placement: has {len(pl.num_blocks)} servers, instance has {n}",
            amount=abs(len(pl.num_blocks) - n)))
        return _infeasible_shell(instance, violations)

    for j, s in enumerate(servers):
        a, m = pl.first_block[j], pl.num_blocks[j]
        if m < 0:
            violations.append(Violation(
                ViolationKind.PLACEMENT,
                f"server {s.id}: num_blocks = {m} < 0",
                server=s.id, amount=-m))
        elif m == 0:
            if not allow_unused:
                violations.append(Violation(
                    ViolationKind.PLACEMENT,
                    f"server {s.id}: hosts no block "
                    "(m_j >= 1 required)", server=s.id, amount=1))
        else:
            if a < 1:
                violations.append(Violation(
                    ViolationKind.PLACEMENT,
                    f"server {s.id}: first_block = {a} < 1",
                    server=s.id, amount=1 - a))
            if a + m - 1 > L:
                violations.append(Violation(
                    ViolationKind.PLACEMENT,
                    f"server {s.id}: last block {a + m - 1} > "
                    f"L = {L}", server=s.id, amount=a + m - 1 - L))

    load_blocks = [0] * n  # sum_r k^r_j
    routed = [0] * len(clients)
    route_costs: list[RouteCost] = []
    has_prefill = instance.has_prefill
    sum_tok = 0.0
    sum_pre = 0.0
    for i, r in enumerate(solution.routes):
        if not 0 <= r.client < len(clients):
            violations.append(Violation(
                ViolationKind.ROUTE,
                f"routes[{i}]: client index {r.client} out of range",
                amount=1))
            continue
        cl = clients[r.client]
        bad_ids = [j for j in r.servers if not 0 <= j < n]
        if bad_ids:
            violations.append(Violation(
                ViolationKind.ROUTE,
                f"routes[{i}] (client {cl.id}): server index "
                f"{bad_ids[0]} out of range", client=cl.id, amount=1))
            continue
        if r.count < 1:
            violations.append(Violation(
                ViolationKind.ROUTE,
                f"routes[{i}] (client {cl.id}): count = {r.count} < 1",
                client=cl.id, amount=1 - r.count))
        if len(set(r.servers)) != len(r.servers):
            violations.append(Violation(
                ViolationKind.ROUTE,
                f"routes[{i}] (client {cl.id}): visits a server twice",
                client=cl.id, amount=1))
        blocks, problems = route_blocks(pl.first_block, pl.num_blocks,
                                        r.servers, L)
        for msg in problems:
            violations.append(Violation(
                ViolationKind.ROUTE,
                f"routes[{i}] (client {cl.id}): {msg}",
                client=cl.id, amount=1))
        ok = not problems
        count = max(r.count, 0)
        routed[r.client] += r.count
        tok = sum(cl.rtt[j] + servers[j].tau * k
                  for j, k in zip(r.servers, blocks))
        pre = None
        if has_prefill:
            pre = sum(cl.rtt_prefill[j] + servers[j].tau_prefill * k
                      for j, k in zip(r.servers, blocks))
            sum_pre += count * pre
        if not ok:
            tok = math.nan
        sum_tok += count * tok
        for j, k in zip(r.servers, blocks):
            load_blocks[j] += count * k
        route_costs.append(RouteCost(r.client, r.servers, r.count,
                                     tuple(blocks), tok, pre, ok))

    for c, cl in enumerate(clients):
        if routed[c] != cl.requests:
            violations.append(Violation(
                ViolationKind.DEMAND,
                f"client {cl.id}: routes carry {routed[c]} requests, "
                f"needs {cl.requests}", client=cl.id,
                amount=abs(routed[c] - cl.requests)))

    memory_used = []
    for j, s in enumerate(servers):
        used = instance.s_m * max(pl.num_blocks[j], 0) \
            + instance.s_c * load_blocks[j]
        memory_used.append(used)
        if not memory_fits(used, s.memory):
            violations.append(Violation(
                ViolationKind.MEMORY,
                f"server {s.id}: uses {used:.9g} GB > memory "
                f"{s.memory:.9g} GB (over by {used - s.memory:.3g})",
                server=s.id, amount=used - s.memory))

    num_req = instance.num_requests
    avg = sum_tok / num_req if num_req else 0.0
    avg_pre = (sum_pre / num_req if num_req else 0.0) if has_prefill else None
    if avg_pre is not None:
        avg_req = avg_pre + (instance.l_max - 1) * avg
    else:
        avg_req = instance.l_max * avg
    return Evaluation(
        feasible=not violations,
        violations=tuple(violations),
        avg_per_token_ms=avg,
        total_ms=instance.l_max * sum_tok,
        sum_per_token_ms=sum_tok,
        num_requests=num_req,
        avg_prefill_ms=avg_pre,
        avg_request_ms=avg_req,
        memory_used=tuple(memory_used),
        route_costs=tuple(route_costs),
    )


def _infeasible_shell(instance: Instance,
                      violations: list[Violation]) -> Evaluation:
    return Evaluation(False, tuple(violations), math.nan, math.nan, math.nan,
                      instance.num_requests, None, math.nan, (), ())

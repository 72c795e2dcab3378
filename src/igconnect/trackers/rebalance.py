"""`trackers rebalance`: the assignment of trackers to connections that breaks the fewest rules
with the fewest moves.

The problem. Each tracker goes to one connection, or stays where it is "unplaced". Hard rules (never
broken by a proposal): a managed account tracker only on a working connection that reaches it; a
public account or a hashtag only on a working Facebook Login connection with an Instagram account,
and never more hashtags on a connection than its budget (30 × its accounts, see rules.py). Soft
rules, about the trackers that share a token's platform budget (public accounts and hashtags) only:
at most `tracker_capacity` of them per connection, and a high-volume (HV) one alone among them. A
tracker with no eligible connection stays where it is when that connection is broken or gone (it
comes back to life after a reconnect), and is unassigned otherwise.

Managed account trackers spend their own account's budget, so they take part in no soft rule: each
stays on its connection while that one can carry it, else goes to the eligible connection with the
fewest trackers. That is optimal on its own, and the rest of this is about the shared trackers.

The objective, lexicographic: (1) fewest trackers unplaced, (2) fewest trackers in excess of the
soft rules, where a connection with h ≥ 1 HV trackers and n shared trackers in all has n − 1 in
excess (everything beside its first HV tracker) and one without HV has max(0, n − capacity),
(3) fewest moves (trackers whose connection changes). It is one integer: W1·unplaced + W2·excess +
moves, with W2 = T + 1 and W1 = W2·(T + 1) for T trackers, so a lower tier can never pay for a
higher one (moves ≤ T < W2, and W2·excess + moves ≤ W2·T + T < W1). When a proposal has excess 0
and nothing unplaced every rule holds; otherwise it is the closest assignment in this order, and
the rules it still breaks are the ones that cannot be met.

The algorithm, and why it is exact.
1. Fix where each HV tracker goes (a connection, or unplaced). Then the rest is a min-cost flow:
   source → group of interchangeable normal trackers (same kind, same eligible connections, same
   current connection; supply = group size) → connection (cost 1 unless it is the group's current
   connection), hashtag groups via a per-connection hashtag node whose capacity is the budget left
   → sink through the connection's arcs: without HV, `capacity` arcs of cost 0 then unbounded arcs
   of cost W2; with HV, unbounded arcs of cost W2 (every extra tracker is excess). Each group also
   has an arc straight to the sink costing W1 (+1 when that unassigns it). Per-connection excess is
   convex in the number of trackers, so these arcs price it exactly, and min-cost flow has an
   integral optimum (total unimodularity), so the flow optimum is the best assignment of the normal
   trackers for that HV placement.
2. The HV placements are searched by depth-first branch and bound. Lower bound at a node: the cost
   of the HV trackers placed so far + the flow optimum for the normal trackers given only those
   placements + for each HV tracker not yet placed, its cheapest option on its own. It is a valid
   bound because placing another HV tracker only takes room away from the normal trackers (their
   optimum cannot fall) and can only add excess. Branches whose bound is ≥ the best complete cost
   are cut, so the search returns a global optimum; with the bound ties are cut at once, and the
   sizes agencies have (tens of connections, thousands of managed accounts, tens of shared
   trackers, one or two HV ones) finish in about a second. A node limit and a time limit
   (`TIME_LIMIT`) guard against inputs where the bound is weak (several HV public accounts or
   hashtags that many connections could each carry): past either, the best assignment found is
   returned with `optimal = False`, and the output says so.

tests/trackers/test_rebalance_properties.py checks the optimum against brute force with hypothesis.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from igconnect.trackers.model import KIND_HASHTAG, Tracker
from igconnect.trackers.rules import (
    MORE_CONNECTIONS,
    RULE_CAPACITY,
    RULE_HIGH_VOLUME_SHARED,
    Carrier,
    Limits,
    Violation,
    ineligible_reason,
    limits_from,
    violations,
)

NODE_LIMIT = 20_000
TIME_LIMIT = 3.0  # seconds of search: past it the best assignment found so far is proposed
_INF = 10**9


@dataclass(frozen=True)
class Cost:
    unplaced: int
    excess: int
    moves: int

    def total(self, n_trackers: int) -> int:
        w2 = n_trackers + 1
        w1 = w2 * (n_trackers + 1)
        return w1 * self.unplaced + w2 * self.excess + self.moves


@dataclass(frozen=True)
class Move:
    tracker: str
    source: str | None
    target: str | None
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"tracker": self.tracker, "from": self.source, "to": self.target, "why": self.why}


@dataclass
class Proposal:
    assignment: dict[str, str | None]  # tracker key -> connection (None: unassigned)
    moves: list[Move]
    cost: Cost
    before: list[Violation]
    after: list[Violation]
    unmet: list[str]  # one line per rule that no assignment can satisfy
    optimal: bool = True
    explored: int = 0

    @property
    def satisfies_every_rule(self) -> bool:
        return not self.after

    def to_json(self) -> dict[str, Any]:
        return {
            "moves": [m.to_json() for m in self.moves],
            "assignment": dict(self.assignment),
            "satisfies_every_rule": self.satisfies_every_rule,
            "unmet": list(self.unmet),
            "violations_before": [v.to_json() for v in self.before],
            "violations_after": [v.to_json() for v in self.after],
            "cost": {
                "unplaced": self.cost.unplaced,
                "excess": self.cost.excess,
                "moves": self.cost.moves,
            },
            "optimal": self.optimal,
        }


# -- the rules as a cost ---------------------------------------------------------------------------
def unplaced_target(tracker: Tracker, connections: Mapping[str, Carrier]) -> str | None:
    """Where a tracker with nowhere to go stays: on a broken or vanished connection (it comes back
    with
    a reconnect or `trackers move`), else nowhere."""
    current = tracker.connection
    if current is None:
        return None
    conn = connections.get(current)
    if conn is None or conn.is_broken:
        return current
    return None


def eligible(tracker: Tracker, connections: Mapping[str, Carrier]) -> list[str]:
    return sorted(n for n, c in connections.items() if ineligible_reason(tracker, c) is None)


def score(
    trackers: Iterable[Tracker],
    connections: Mapping[str, Carrier],
    limits: Limits,
    assignment: Mapping[str, str | None],
) -> Cost | None:
    """The cost of an assignment by the definition above; None when it breaks a hard rule."""
    unplaced = moves = excess = 0
    placed: dict[str, list[Tracker]] = {}
    for t in trackers:
        target = assignment[t.key]
        moves += target != t.connection
        conn = connections.get(target) if target is not None else None
        if conn is not None and ineligible_reason(t, conn) is None:
            placed.setdefault(conn.name, []).append(t)
        else:
            if target != unplaced_target(t, connections):
                return None
            unplaced += 1
    for name, on in placed.items():
        hashtags = sum(1 for t in on if t.kind == KIND_HASHTAG)
        if hashtags > limits.hashtag_budget(connections[name]):
            return None
        shared = [t for t in on if t.shares_budget]
        high = sum(1 for t in shared if t.is_high_volume)
        excess += len(shared) - 1 if high else max(0, len(shared) - limits.capacity)
    return Cost(unplaced, excess, moves)


# -- min-cost flow (successive shortest paths, Dijkstra with potentials) ---------------------------
class _Flow:
    def __init__(self, n: int) -> None:
        self.n = n
        self.graph: list[list[list[int]]] = [[] for _ in range(n)]  # [to, cap, cost, rev]

    def arc(self, u: int, v: int, cap: int, cost: int) -> list[int]:
        forward = [v, cap, cost, len(self.graph[v])]
        self.graph[u].append(forward)
        self.graph[v].append([u, 0, -cost, len(self.graph[u]) - 1])
        return forward

    def run(self, s: int, t: int, need: int) -> tuple[int, int]:
        flow = cost = 0
        potential = [0] * self.n  # every arc cost starts ≥ 0
        while flow < need:
            dist = [_INF * _INF] * self.n
            prev: list[tuple[int, int] | None] = [None] * self.n
            dist[s] = 0
            heap = [(0, s)]
            while heap:
                d, u = heapq.heappop(heap)
                if d > dist[u]:
                    continue
                for i, (v, cap, c, _) in enumerate(self.graph[u]):
                    if cap <= 0:
                        continue
                    nd = d + c + potential[u] - potential[v]
                    if nd < dist[v]:
                        dist[v] = nd
                        prev[v] = (u, i)
                        heapq.heappush(heap, (nd, v))
            if prev[t] is None:
                break
            for v in range(self.n):
                if dist[v] < _INF * _INF:
                    potential[v] += dist[v]
            push, v = need - flow, t
            while v != s:
                u, i = prev[v]  # type: ignore[misc]
                push = min(push, self.graph[u][i][1])
                v = u
            v = t
            while v != s:
                u, i = prev[v]  # type: ignore[misc]
                e = self.graph[u][i]
                e[1] -= push
                self.graph[v][e[3]][1] += push
                cost += push * e[2]
                v = u
            flow += push
        return flow, cost


@dataclass
class _Group:
    kind: str
    eligible: tuple[str, ...]
    current: str | None
    stay: str | None  # unplaced target
    keys: list[str] = field(default_factory=list)


class _Problem:
    def __init__(
        self, trackers: list[Tracker], connections: Mapping[str, Carrier], limits: Limits
    ) -> None:
        self.trackers = trackers
        self.connections = connections
        self.limits = limits
        self.names = sorted(connections)
        self.index = {n: i for i, n in enumerate(self.names)}
        n = len(trackers)
        self.w2 = n + 1
        self.w1 = self.w2 * (n + 1)
        self.budget = [limits.hashtag_budget(connections[c]) for c in self.names]
        groups: dict[tuple[Any, ...], _Group] = {}
        self.high: list[Tracker] = []
        self.eligible: dict[str, list[str]] = {}
        for t in trackers:
            self.eligible[t.key] = eligible(t, connections)
            if t.is_high_volume:
                self.high.append(t)
                continue
            sig = (t.kind, tuple(self.eligible[t.key]), t.connection)
            group = groups.setdefault(
                sig,
                _Group(
                    t.kind,
                    tuple(self.eligible[t.key]),
                    t.connection,
                    unplaced_target(t, connections),
                ),
            )
            group.keys.append(t.key)
        self.groups = list(groups.values())
        self._memo: dict[tuple[Any, ...], tuple[int, dict[str, str | None]]] = {}

    def unplaced_cost(self, current: str | None, stay: str | None) -> int:
        return self.w1 + (1 if stay != current else 0)

    # normal trackers given the HV placement
    def normals(
        self, hosts: tuple[int, ...], hv_hashtags: tuple[int, ...]
    ) -> tuple[int, dict[str, str | None]]:
        key = (hosts, hv_hashtags)
        if key in self._memo:
            return self._memo[key]
        m = len(self.names)
        g = len(self.groups)
        # nodes: 0 source, 1 sink, 2.. groups, then connection nodes, then hashtag nodes
        src, sink = 0, 1
        conn_node = [2 + g + i for i in range(m)]
        tag_node = [2 + g + m + i for i in range(m)]
        net = _Flow(2 + g + 2 * m)
        big = sum(len(gr.keys) for gr in self.groups) + 1
        for i in range(m):
            if hosts[i]:
                net.arc(conn_node[i], sink, big, self.w2)
            else:
                net.arc(conn_node[i], sink, self.limits.capacity, 0)
                net.arc(conn_node[i], sink, big, self.w2)
            net.arc(tag_node[i], conn_node[i], max(0, self.budget[i] - hv_hashtags[i]), 0)
        arcs: list[list[tuple[str | None, list[int]]]] = []
        for j, gr in enumerate(self.groups):
            node = 2 + j
            size = len(gr.keys)
            net.arc(src, node, size, 0)
            out: list[tuple[str | None, list[int]]] = []
            for name in gr.eligible:
                i = self.index[name]
                via = tag_node[i] if gr.kind == KIND_HASHTAG else conn_node[i]
                out.append((name, net.arc(node, via, size, 0 if name == gr.current else 1)))
            out.append(
                (gr.stay, net.arc(node, sink, size, self.unplaced_cost(gr.current, gr.stay)))
            )
            arcs.append(out)
        need = sum(len(gr.keys) for gr in self.groups)
        flow, cost = net.run(src, sink, need)
        assert flow == need  # every group has an arc straight to the sink
        placement: dict[str, str | None] = {}
        for gr, out in zip(self.groups, arcs, strict=True):
            size = len(gr.keys)
            # Who goes where within a group does not change the cost: members are interchangeable.
            keys = list(gr.keys)
            for target, arc in out:
                for _ in range(size - arc[1]):
                    placement[keys.pop()] = target
        self._memo[key] = (cost, placement)
        return cost, placement

    def hv_options(
        self, t: Tracker, hosts: list[int], hv_hashtags: list[int]
    ) -> list[tuple[int, str | None, int | None]]:
        """(cost, target, connection index) for an HV tracker given the HV trackers placed so
        far."""
        options: list[tuple[int, str | None, int | None]] = []
        for name in self.eligible[t.key]:
            i = self.index[name]
            if t.kind == KIND_HASHTAG and hv_hashtags[i] >= self.budget[i]:
                continue
            cost = (0 if name == t.connection else 1) + (self.w2 if hosts[i] else 0)
            options.append((cost, name, i))
        stay = unplaced_target(t, self.connections)
        options.append((self.unplaced_cost(t.connection, stay), stay, None))
        options.sort(key=lambda o: (o[0], o[1] or ""))
        return options

    def solve(self) -> tuple[dict[str, str | None], bool, int]:
        m = len(self.names)

        def signature(t: Tracker) -> tuple[Any, ...]:
            return (
                len(self.eligible[t.key]),
                tuple(self.eligible[t.key]),
                t.kind,
                t.connection or "",
            )

        high = sorted(self.high, key=lambda t: (signature(t), t.key))
        # Interchangeable HV trackers (same signature) may be placed in any order at the same
        # cost, so only placements in ascending connection order are searched (exact, and it
        # turns k! equal branches into one).
        sibling = [k > 0 and signature(high[k - 1]) == signature(high[k]) for k in range(len(high))]
        placed_at = [m] * len(high)  # connection index of each HV tracker (m: unplaced)
        hosts, hv_tags = [0] * m, [0] * m
        cheapest = [self.hv_options(t, [0] * m, [0] * m)[0][0] for t in high]
        suffix = [0] * (len(high) + 1)
        for k in range(len(high) - 1, -1, -1):
            suffix[k] = suffix[k + 1] + cheapest[k]
        best: list[Any] = [None, None]  # cost, assignment
        explored = 0
        complete = True
        deadline = time.monotonic() + TIME_LIMIT

        def dfs(k: int, so_far: int, hv_place: dict[str, str | None]) -> None:
            nonlocal explored, complete
            explored += 1
            if explored > NODE_LIMIT or (best[0] is not None and time.monotonic() > deadline):
                complete = False
                return
            normal_cost, placement = self.normals(
                tuple(1 if h else 0 for h in hosts), tuple(hv_tags)
            )
            bound = so_far + normal_cost + suffix[k]
            if best[0] is not None and bound >= best[0]:
                return
            if k == len(high):
                best[0], best[1] = bound, {**placement, **hv_place}
                return
            t = high[k]
            for cost, target, i in self.hv_options(t, hosts, hv_tags):
                at = m if i is None else i
                if sibling[k] and at < placed_at[k - 1]:
                    continue
                placed_at[k] = at
                if i is not None:
                    hosts[i] += 1
                    hv_tags[i] += t.kind == KIND_HASHTAG
                hv_place[t.key] = target
                dfs(k + 1, so_far + cost, hv_place)
                del hv_place[t.key]
                if i is not None:
                    hosts[i] -= 1
                    hv_tags[i] -= t.kind == KIND_HASHTAG
                if not complete:
                    return

        dfs(0, 0, {})
        if best[1] is None:  # node limit hit before any leaf: keep every HV tracker where it is
            fallback = {t.key: t.connection for t in self.trackers}
            return fallback, False, explored
        return best[1], complete, explored


# -- the proposal ------------------------------------------------------------------------------
def propose(
    trackers: Mapping[str, Tracker] | Iterable[Tracker],
    connections: Mapping[str, Carrier] | Iterable[Carrier],
    settings: Any = None,
) -> Proposal:
    """The closest assignment to every rule with the fewest moves (see the module docstring)."""
    limits = limits_from(settings)
    tlist = sorted(
        trackers.values() if isinstance(trackers, Mapping) else trackers, key=lambda t: t.key
    )
    conns = (
        dict(connections) if isinstance(connections, Mapping) else {c.name: c for c in connections}
    )
    problem = _Problem([t for t in tlist if t.shares_budget], conns, limits)
    assignment, optimal, explored = problem.solve()
    assignment.update(_place_managed([t for t in tlist if not t.shares_budget], conns))
    assignment = {t.key: assignment.get(t.key, t.connection) for t in tlist}
    cost = score(tlist, conns, limits, assignment)
    assert cost is not None, "rebalance produced an assignment that breaks a hard rule"
    proposed = [_moved(t, assignment[t.key]) for t in tlist]
    moves = [
        Move(t.key, t.connection, assignment[t.key], _why(t, assignment[t.key], conns))
        for t in tlist
        if assignment[t.key] != t.connection
    ]
    before = violations(tlist, conns, limits)
    after = violations(proposed, conns, limits)
    return Proposal(
        assignment=assignment,
        moves=moves,
        cost=cost,
        before=before,
        after=after,
        unmet=_unmet(after, proposed, conns, limits),
        optimal=optimal,
        explored=explored,
    )


def _place_managed(trackers: list[Tracker], conns: Mapping[str, Carrier]) -> dict[str, str | None]:
    """Managed accounts: each stays where it can be read, else goes to the eligible connection
    carrying the fewest trackers (no soft rule applies: each spends its own account's budget)."""
    counts: dict[str, int] = {}
    for t in trackers:
        if t.connection is not None:
            counts[t.connection] = counts.get(t.connection, 0) + 1
    out: dict[str, str | None] = {}
    for t in trackers:
        options = eligible(t, conns)
        if t.connection in options:
            out[t.key] = t.connection
            continue
        if not options:
            out[t.key] = unplaced_target(t, conns)
            continue
        best = min(options, key=lambda n: (counts.get(n, 0), n))
        if t.connection is not None:
            counts[t.connection] -= 1
        counts[best] = counts.get(best, 0) + 1
        out[t.key] = best
    return out


def _moved(tracker: Tracker, target: str | None) -> Tracker:
    from dataclasses import replace

    return replace(tracker, connection=target)


def _why(tracker: Tracker, target: str | None, conns: Mapping[str, Carrier]) -> str:
    if target is None:
        current = conns.get(tracker.connection or "")
        reason = ineligible_reason(tracker, current) if current else None
        return f"no working connection can carry it ({reason})" if reason else "no room anywhere"
    if tracker.connection is None:
        return "was unassigned"
    current = conns.get(tracker.connection)
    if current is None:
        return f"connection '{tracker.connection}' no longer exists"
    reason = ineligible_reason(tracker, current)
    if reason:
        return reason
    return (
        "high-volume: needs a connection of its own"
        if tracker.is_high_volume
        else "spreads the load"
    )


def _unmet(
    after: list[Violation], proposed: list[Tracker], conns: Mapping[str, Carrier], limits: Limits
) -> list[str]:
    """One line per rule no assignment can meet, each with the remedy that works (never
    `rebalance` itself: this is already its best)."""
    lines: list[str] = []
    rules = {v.rule for v in after}
    stranded = [t for t in proposed if t.connection is None or _stranded(t, conns)]
    accounts = [t.key for t in stranded if t.kind == "account" and not t.is_public]
    shared = [t.key for t in stranded if t.shares_budget]
    if accounts:
        broken = sorted(c.name for c in conns.values() if c.is_broken)
        reconnect = (
            f"reconnect the broken one (`igconnect login --reconnect {broken[0]}`), or "
            if broken
            else ""
        )
        lines.append(
            f"reachability: no working connection reaches {', '.join(accounts)}; {reconnect}"
            f"{MORE_CONNECTIONS.replace('an Instagram account', 'them')}"
        )
    if shared:
        lines.append(
            f"reachability: {', '.join(shared)} need a working Facebook Login connection with an "
            f"Instagram account (and hashtag budget left); {MORE_CONNECTIONS}"
        )
    if RULE_CAPACITY in rules:
        lines.append(
            f"capacity: more than {limits.capacity} trackers share one token's platform budget "
            "(public accounts, hashtags) and no other Facebook connection has room; "
            f"{MORE_CONNECTIONS}, or raise tracker_capacity: "
            "`igconnect config set tracker_capacity N`"
        )
    if RULE_HIGH_VOLUME_SHARED in rules:
        lines.append(
            "high-volume alone: there are not enough Facebook connections for every high-volume "
            f"public account or hashtag to have one of its own; {MORE_CONNECTIONS}"
        )
    return lines


def _stranded(t: Tracker, conns: Mapping[str, Carrier]) -> bool:
    conn = conns.get(t.connection or "")
    return conn is None or ineligible_reason(t, conn) is not None

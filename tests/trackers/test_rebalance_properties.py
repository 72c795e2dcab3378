"""`rebalance` against brute force on small instances (hypothesis), plus hand-made cases."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from igconnect.trackers.model import Tracker
from igconnect.trackers.rebalance import eligible, propose, score, unplaced_target
from igconnect.trackers.rules import Carrier as Connection
from igconnect.trackers.rules import Limits, ineligible_reason
from tests.trackers.conftest import conn

USERS = ["u0", "u1", "u2", "u3"]


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Tracker], dict[str, Connection], Limits]:
    n_conns = draw(st.integers(1, 3))
    conns: dict[str, Connection] = {}
    for i in range(n_conns):
        users = draw(st.lists(st.sampled_from(USERS), max_size=3, unique=True))
        provider = draw(st.sampled_from(["facebook", "facebook", "instagram"]))
        broken = draw(st.booleans().map(lambda b: b and draw(st.booleans())))
        conns[f"c{i}"] = conn(f"c{i}", users, provider=provider, broken=broken)
    current = st.sampled_from([None, "gone", *conns])
    trackers: list[Tracker] = []
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["account", "account", "public", "hashtag"]))
        target = draw(st.sampled_from(USERS)) + f"x{i}" if kind != "account" else None
        access = None
        if kind == "public":  # a public account: business discovery, on the platform budget
            kind, access = "account", "public"
        elif kind == "account":
            # distinct accounts, each reachable where its base username is
            base = draw(st.sampled_from(USERS))
            target = f"{base}"
            if any(t.kind == "account" and t.target == target for t in trackers):
                continue
        trackers.append(
            Tracker(
                kind,
                target or f"t{i}",
                connection=draw(current),
                volume=draw(st.sampled_from(["normal", "normal", "high"])),
                access=access,
            )
        )
    # a small hashtag budget (1 per account) so that the budget rule actually binds
    limits = Limits(capacity=draw(st.integers(1, 3)), hashtags_per_account=1)
    return trackers, conns, limits


def brute_force(trackers: list[Tracker], conns: dict[str, Connection], limits: Limits):  # type: ignore[no-untyped-def]
    domains = [sorted({*eligible(t, conns), unplaced_target(t, conns)}, key=str) for t in trackers]
    best = None
    for combo in itertools.product(*domains):
        assignment = {t.key: c for t, c in zip(trackers, combo, strict=True)}
        cost = score(trackers, conns, limits, assignment)
        if cost is None:
            continue
        key = (cost.unplaced, cost.excess, cost.moves)
        if best is None or key < best[0]:
            best = (key, assignment)
    assert best is not None  # leaving every tracker unplaced always scores
    return best


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_rebalance_is_optimal_and_never_breaks_a_hard_rule(instance) -> None:  # type: ignore[no-untyped-def]
    trackers, conns, limits = instance
    proposal = propose(trackers, conns, limits)
    (best_unplaced, best_excess, best_moves), _ = brute_force(trackers, conns, limits)
    cost = proposal.cost
    assert proposal.optimal
    # optimal in the lexicographic order: collected first, then the rules, then moves
    assert (cost.unplaced, cost.excess, cost.moves) == (best_unplaced, best_excess, best_moves)
    for t in trackers:
        target = proposal.assignment[t.key]
        c = conns.get(target) if target else None
        # never an unreachable / ineligible placement: either eligible, or left where it had to stay
        assert (c is not None and ineligible_reason(t, c) is None) or target == unplaced_target(
            t, conns
        )
    if best_unplaced == 0 and best_excess == 0:
        # a feasible assignment exists: the proposal has every rule satisfied
        assert proposal.satisfies_every_rule, proposal.after
        for name in conns:
            # capacity and "high-volume alone" are about the trackers sharing a platform budget
            on = [t for t in trackers if proposal.assignment[t.key] == name and t.shares_budget]
            assert len(on) <= limits.capacity  # never over capacity
            if any(t.is_high_volume for t in on):
                assert len(on) == 1  # high-volume alone
    assert len(proposal.moves) == cost.moves
    assert all(m.source != m.target for m in proposal.moves)


def test_keeps_a_valid_assignment_as_it_is() -> None:
    conns = {"a": conn("a", ["x", "y"]), "b": conn("b", ["x", "y"])}
    trackers = [Tracker("account", "x", "b"), Tracker("account", "y", "b")]
    proposal = propose(trackers, conns, Limits(capacity=4))
    assert proposal.moves == [] and proposal.satisfies_every_rule


def test_moves_the_fewest_to_free_a_high_volume_tracker() -> None:
    # hv shares 'a' with three others; moving hv alone to empty 'b' is one move (not three)
    conns = {"a": conn("a", ["h", "p", "q", "r"]), "b": conn("b", ["h", "p", "q", "r"])}
    trackers = [Tracker("hashtag", "h", "a", volume="high")] + [
        Tracker("account", u, "a", access="public") for u in ("p", "q", "r")
    ]
    proposal = propose(trackers, conns, Limits(capacity=4))
    assert [(m.tracker, m.source, m.target) for m in proposal.moves] == [("#h", "a", "b")]
    assert proposal.satisfies_every_rule


def test_managed_accounts_are_never_left_idle_by_a_count() -> None:
    # The case: one login reaching 24 client accounts. Each spends its own budget, so
    # all 24 stay on it, and the proposal follows every rule (no advice to rebalance again).
    clients = [f"acme_{i}" for i in range(1, 25)]
    conns = {"ada": conn("ada", clients)}
    trackers = [Tracker("account", u, None if i % 2 else "ada") for i, u in enumerate(clients)]
    proposal = propose(trackers, conns, Limits(capacity=4))
    assert set(proposal.assignment.values()) == {"ada"}
    assert proposal.satisfies_every_rule and proposal.unmet == []


def test_says_which_rule_cannot_be_met() -> None:
    conns = {"a": conn("a", ["p", "q", "r"])}
    trackers = [Tracker("hashtag", u, "a") for u in ("p", "q", "r")] + [Tracker("account", "zz")]
    proposal = propose(trackers, conns, Limits(capacity=2))
    assert not proposal.satisfies_every_rule
    capacity = next(line for line in proposal.unmet if line.startswith("capacity:"))
    # the remedy that works: another person's login or a system user, never `rebalance` again
    assert "--system-user" in capacity and "rebalance" not in capacity
    assert any(line.startswith("reachability:") and "@zz" in line for line in proposal.unmet)


def test_trackers_on_a_broken_connection_move_to_a_working_one_or_stay() -> None:
    conns = {
        "old": conn("old", ["p", "q"], broken=True),
        "new": conn("new", ["p"]),
    }
    trackers = [Tracker("account", "p", "old"), Tracker("account", "q", "old")]
    proposal = propose(trackers, conns, Limits())
    assert proposal.assignment == {"@p": "new", "@q": "old"}  # @q has nowhere else: it waits


def test_agency_size_finishes_fast_and_exact() -> None:
    import time

    conns = {
        f"c{i}": conn(f"c{i}", [f"u{i}_{j}" for j in range(4)] + ["shared"]) for i in range(30)
    }
    trackers = []
    for i in range(30):
        for j in range(4):
            on = f"c{(i + j) % 30}" if j < 3 else None
            trackers.append(
                Tracker(
                    "account",
                    f"u{i}_{j}",
                    on,
                    volume="high" if j == 3 and i % 5 == 0 else "normal",
                )
            )
    trackers += [Tracker("hashtag", f"tag{k}", f"c{k % 30}") for k in range(40)]
    trackers += [
        Tracker(
            "account", f"brand{k}", f"c{k}", access="public", volume="high" if k < 1 else "normal"
        )
        for k in range(10)
    ]
    started = time.perf_counter()
    proposal = propose(trackers, conns, Limits(capacity=4))
    assert time.perf_counter() - started < 5
    assert proposal.optimal
    # 120 managed accounts on their own budgets, 50 shared-budget trackers (1 high-volume) over
    # 30 × 4 slots: every rule holds, and every tracker is carried
    assert proposal.satisfies_every_rule, proposal.after
    assert proposal.cost.unplaced == 0

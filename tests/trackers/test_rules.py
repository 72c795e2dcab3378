"""The rules: violations, the load summary and the choice of a connection for a new tracker."""

from __future__ import annotations

from igconnect.trackers.model import Tracker
from igconnect.trackers.rules import (
    RULE_BROKEN,
    RULE_CAPACITY,
    RULE_HASHTAG_BUDGET,
    RULE_HASHTAG_PROVIDER,
    RULE_HIGH_VOLUME_SHARED,
    RULE_PENDING,
    RULE_PUBLIC_PROVIDER,
    RULE_UNASSIGNED,
    RULE_UNKNOWN_CONNECTION,
    RULE_UNREACHABLE,
    Limits,
    choose_connection,
    load_summary,
    loads_by_name,
    violations,
)
from tests.trackers.conftest import conn


def acct(name: str, on: str | None = None, high: bool = False, public: bool = False) -> Tracker:
    return Tracker(
        "account",
        name,
        connection=on,
        volume="high" if high else "normal",
        access="public" if public else None,
    )


def tag(name: str, on: str | None = None, high: bool = False) -> Tracker:
    return Tracker("hashtag", name, connection=on, volume="high" if high else "normal")


def rules_of(found: list) -> list[str]:
    return sorted(v.rule for v in found)


def test_clean_assignment_has_no_violation() -> None:
    conns = [conn("a", ["x", "y"]), conn("b", ["z"])]
    trackers = [acct("x", "a"), acct("y", "a"), tag("food", "a"), acct("z", "b")]
    assert violations(trackers, conns, Limits(capacity=4)) == []


def test_managed_accounts_never_count_against_capacity() -> None:
    # One login reaching 24 client accounts: each spends its own account's budget.
    clients = [f"acme_{i}" for i in range(1, 25)]
    conns = [conn("ada", clients)]
    trackers = [acct(u, "ada") for u in clients]
    assert violations(trackers, conns, Limits(capacity=4)) == []
    (load,) = load_summary(trackers, conns).connections
    assert (load.count, load.managed, load.shared, load.over_capacity) == (24, 24, 0, False)
    choice = choose_connection(
        acct("acme_25"), loads_by_name(trackers, conns), [conn("ada", [*clients, "acme_25"])]
    )
    assert choice.connection == "ada" and not choice.warnings


def test_each_rule_is_reported_with_a_fix() -> None:
    conns = [
        conn("a", ["x", "y", "w", "v", "u"]),
        conn("ig", ["z"], provider="instagram"),
        conn("dead", ["q"], broken=True),
    ]
    trackers = [
        *(acct(n, "a") for n in ("x", "y", "w", "v", "u")),  # managed: never over capacity
        *(tag(n, "a") for n in ("t1", "t2", "t3", "t4")),
        acct("nike", "a", public=True),  # the 5th sharing the platform budget
        acct("nobody", "a"),  # unreachable
        tag("food", "ig"),  # hashtag on Instagram Login
        acct("brand", "ig", public=True),  # business discovery on Instagram Login
        acct("q", "dead"),  # broken
        acct("lost", "gone"),  # connection removed
        acct("free"),  # unassigned
        Tracker("account", "acme_8", pending=True),  # kept with --pending
    ]
    found = violations(trackers, conns, {"tracker_capacity": 4})
    assert rules_of(found) == sorted(
        [
            RULE_CAPACITY,
            RULE_UNREACHABLE,
            RULE_HASHTAG_PROVIDER,
            RULE_PUBLIC_PROVIDER,
            RULE_BROKEN,
            RULE_UNKNOWN_CONNECTION,
            RULE_UNASSIGNED,
            RULE_PENDING,
        ]
    )
    by_rule = {v.rule: v for v in found}
    assert by_rule[RULE_UNREACHABLE].trackers == ("@nobody",)
    assert by_rule[RULE_CAPACITY].trackers == ("#t1", "#t2", "#t3", "#t4", "@nike")
    # no other Facebook connection has room: the fix names the connections to add, not a rebalance
    assert "--system-user" in by_rule[RULE_CAPACITY].fix
    assert by_rule[RULE_BROKEN].connection == "dead"
    assert "collect nothing" in by_rule[RULE_BROKEN].message
    assert "igconnect login --reconnect dead" in by_rule[RULE_BROKEN].fix
    assert by_rule[RULE_UNKNOWN_CONNECTION].connection == "gone"
    assert "`igconnect trackers remove @acme_8 --yes`" in by_rule[RULE_PENDING].fix
    assert all("`igconnect" in v.fix for v in found)


def test_capacity_fix_is_a_rebalance_only_when_another_connection_has_room() -> None:
    crowded = [*(tag(f"t{i}", "a") for i in range(5))]
    alone = violations(crowded, [conn("a", ["x"])], Limits(capacity=4))
    assert [v.rule for v in alone] == [RULE_CAPACITY] and "rebalance" in alone[0].fix
    assert alone[0].fix.index("--system-user") < alone[0].fix.index("rebalance")
    spare = violations(crowded, [conn("a", ["x"]), conn("b", ["y"])], Limits(capacity=4))
    assert spare[0].fix == "run `igconnect trackers rebalance --apply`"


def test_high_volume_shared_and_hashtag_budget() -> None:
    conns = [conn("a", ["x", "y"]), conn("b", ["z"])]
    trackers = [tag("big", "a", high=True), acct("nike", "a", public=True), acct("y", "a")]
    trackers += [tag(f"t{i}", "b") for i in range(31)]  # budget: 30 × 1 account
    found = violations(trackers, conns, Limits(capacity=100))
    assert rules_of(found) == [RULE_HASHTAG_BUDGET, RULE_HIGH_VOLUME_SHARED]
    # a high-volume managed account shares nothing: its own budget
    managed = violations([acct("x", "a", high=True), acct("y", "a")], conns, Limits())
    assert managed == []


def test_load_summary_for_doctor() -> None:
    conns = [conn("a", ["x", "y"]), conn("b", ["z"]), conn("c", ["w"], provider="instagram")]
    trackers = [tag("big", "a", high=True), tag("food", "a"), acct("x", "a"), acct("z", "b")]
    trackers.append(acct("free"))
    summary = load_summary(trackers, conns, Limits(capacity=3))
    a, b, c = summary.connections
    assert (a.count, a.shared, a.capacity, a.high_volume, a.high_volume_shared) == (
        3,
        2,
        3,
        ["#big"],
        True,
    )
    assert (a.hashtags_used, a.hashtag_budget, a.hashtags_left) == (2, 60, 58)
    assert (b.count, b.high_volume_shared, b.empty) == (1, False, False)
    assert c.hashtag_budget == 0 and c.empty
    assert summary.empty_connections == ["c"]
    assert summary.unassigned == ["@free"]
    assert set(summary.to_json()) == {"connections", "unassigned", "orphaned", "empty_connections"}


def test_choose_prefers_reachable_working_least_loaded() -> None:
    conns = [
        conn("busy", ["x"]),
        conn("quiet", ["x"]),
        conn("dead", ["x"], broken=True),
        conn("other", ["y"]),
    ]
    trackers = [acct("a1", "busy"), acct("a2", "busy")]
    choice = choose_connection(acct("x"), loads_by_name(trackers, conns, Limits()), conns)
    assert choice.connection == "quiet"
    assert "reaches @x" in choice.reason and "fewest trackers (0)" in choice.reason


def test_choose_a_public_account_or_hashtag_by_room_and_warn_when_all_are_full() -> None:
    conns = [conn("a", ["x"]), conn("b", ["y"]), conn("ig", ["z"], provider="instagram")]
    on_a = [acct("p1", "a", public=True), acct("p2", "a", public=True)]
    choice = choose_connection(acct("nike", public=True), loads_by_name(on_a, conns), conns)
    assert choice.connection == "b" and "business discovery" in choice.reason
    full = [tag(f"t{i}", n) for n in ("a", "b") for i in range(4)]
    choice = choose_connection(tag("food"), loads_by_name(full, conns), conns)
    # every one is full: it still goes on the least loaded, with the remedy that works
    assert choice.connection == "a"
    assert (
        "--system-user" in choice.warnings[0]
        and "`igconnect login --name NAME`" in choice.warnings[0]
    )


def test_choose_high_volume_needs_an_empty_platform_budget() -> None:
    conns = [conn("a", ["x"]), conn("b", ["y"])]
    busy = [tag("t1", "a"), acct("managed", "b")]
    choice = choose_connection(tag("big", high=True), loads_by_name(busy, conns), conns)
    assert choice.connection == "b" and not choice.warnings  # a managed account shares nothing
    choice = choose_connection(
        tag("big", high=True), loads_by_name([tag("t1", "a"), tag("t2", "b")], conns), conns
    )
    assert choice.warnings and "needs an empty connection" in choice.warnings[0]


def test_choose_hashtag_needs_facebook_with_budget() -> None:
    conns = [conn("ig", ["x"], provider="instagram"), conn("fb", ["y"])]
    assert choose_connection(tag("food"), loads_by_name([], conns), conns).connection == "fb"
    full = [tag(f"t{i}", "fb") for i in range(30)]
    choice = choose_connection(tag("food"), loads_by_name(full, conns, Limits(capacity=100)), conns)
    assert choice.connection is None
    assert "no hashtag budget left" in choice.reason

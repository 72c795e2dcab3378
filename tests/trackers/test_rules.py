"""The rules: violations, the load summary and the choice of a connection for a new tracker."""

from __future__ import annotations

from igconnect.trackers.model import Tracker
from igconnect.trackers.rules import (
    RULE_BROKEN,
    RULE_CAPACITY,
    RULE_HASHTAG_BUDGET,
    RULE_HASHTAG_PROVIDER,
    RULE_HIGH_VOLUME_SHARED,
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


def acct(name: str, on: str | None = None, high: bool = False) -> Tracker:
    return Tracker("account", name, connection=on, volume="high" if high else "normal")


def tag(name: str, on: str | None = None, high: bool = False) -> Tracker:
    return Tracker("hashtag", name, connection=on, volume="high" if high else "normal")


def rules_of(found: list) -> list[str]:
    return sorted(v.rule for v in found)


def test_clean_assignment_has_no_violation() -> None:
    conns = [conn("a", ["x", "y"]), conn("b", ["z"])]
    trackers = [acct("x", "a"), acct("y", "a"), tag("food", "a"), acct("z", "b")]
    assert violations(trackers, conns, Limits(capacity=4)) == []


def test_each_rule_is_reported_with_a_fix() -> None:
    conns = [
        conn("a", ["x", "y", "w", "v", "u"]),
        conn("ig", ["z"], provider="instagram"),
        conn("dead", ["q"], broken=True),
    ]
    trackers = [
        *(acct(n, "a") for n in ("x", "y", "w", "v", "u")),  # 5 > 4
        acct("nobody", "a"),  # unreachable (and a 6th)
        tag("food", "ig"),  # hashtag on Instagram Login
        acct("q", "dead"),  # broken
        acct("lost", "gone"),  # connection removed
        acct("free"),  # unassigned
    ]
    found = violations(trackers, conns, {"tracker_capacity": 4})
    assert rules_of(found) == sorted(
        [
            RULE_CAPACITY,
            RULE_UNREACHABLE,
            RULE_HASHTAG_PROVIDER,
            RULE_BROKEN,
            RULE_UNKNOWN_CONNECTION,
            RULE_UNASSIGNED,
        ]
    )
    by_rule = {v.rule: v for v in found}
    assert by_rule[RULE_UNREACHABLE].trackers == ("@nobody",)
    assert by_rule[RULE_BROKEN].connection == "dead"
    assert "collect nothing" in by_rule[RULE_BROKEN].message
    assert "igconnect login --reconnect dead" in by_rule[RULE_BROKEN].fix
    assert by_rule[RULE_UNKNOWN_CONNECTION].connection == "gone"
    assert all(v.fix.startswith("run `igconnect") for v in found)


def test_high_volume_shared_and_hashtag_budget() -> None:
    conns = [conn("a", ["x", "y"]), conn("b", ["z"])]
    trackers = [acct("x", "a", high=True), acct("y", "a")]
    trackers += [tag(f"t{i}", "b") for i in range(31)]  # budget: 30 × 1 account
    found = violations(trackers, conns, Limits(capacity=100))
    assert rules_of(found) == [RULE_HASHTAG_BUDGET, RULE_HIGH_VOLUME_SHARED]


def test_load_summary_for_doctor() -> None:
    conns = [conn("a", ["x", "y"]), conn("b", ["z"]), conn("c", ["w"], provider="instagram")]
    trackers = [acct("x", "a", high=True), tag("food", "a"), acct("z", "b"), acct("free")]
    summary = load_summary(trackers, conns, Limits(capacity=3))
    a, b, c = summary.connections
    assert (a.count, a.capacity, a.high_volume, a.high_volume_shared) == (2, 3, ["@x"], True)
    assert (a.hashtags_used, a.hashtag_budget, a.hashtags_left) == (1, 60, 59)
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
    assert "reaches @x" in choice.reason and "fewest trackers (0/4)" in choice.reason


def test_choose_high_volume_needs_an_empty_connection() -> None:
    conns = [conn("a", ["x"]), conn("b", ["x"])]
    busy = [acct("y", "a"), acct("z", "b")]
    choice = choose_connection(acct("x", high=True), loads_by_name(busy, conns), conns)
    assert choice.connection is None
    assert "needs an empty connection" in choice.reason
    choice = choose_connection(acct("x", high=True), loads_by_name([acct("y", "a")], conns), conns)
    assert choice.connection == "b"


def test_choose_skips_connection_reserved_for_high_volume_and_full_ones() -> None:
    conns = [conn("a", ["x"]), conn("b", ["x"])]
    trackers = [acct("hv", "a", high=True), acct("p", "b")]
    assert (
        choose_connection(
            acct("x"), loads_by_name(trackers, conns, Limits(capacity=1)), conns
        ).connection
        is None
    )
    assert (
        choose_connection(
            acct("x"), loads_by_name(trackers, conns, Limits(capacity=2)), conns
        ).connection
        == "b"
    )


def test_choose_hashtag_needs_facebook_with_budget() -> None:
    conns = [conn("ig", ["x"], provider="instagram"), conn("fb", ["y"])]
    assert choose_connection(tag("food"), loads_by_name([], conns), conns).connection == "fb"
    full = [tag(f"t{i}", "fb") for i in range(30)]
    choice = choose_connection(tag("food"), loads_by_name(full, conns, Limits(capacity=100)), conns)
    assert choice.connection is None
    assert "no hashtag budget left" in choice.reason

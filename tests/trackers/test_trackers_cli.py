"""`igconnect trackers ...` end to end through the CLI (settings file in tmp_path)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from igconnect.errors import ExitCode
from igconnect.meta.usage import AccountUsage, Usage
from igconnect.runtime import Runtime
from tests import stored as store
from tests.trackers.conftest import conn


def stored() -> dict[str, str | None]:
    return {k: t.connection for k, t in store.trackers().items()}


def test_add_picks_the_best_connection_and_says_why(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(
        conn("acme", ["acme_1"]), conn("acme-b", ["acme_1"]), conn("dead", ["acme_1"], broken=True)
    )
    assert cli("trackers", "add", "@acme_1", "--connection", "acme").exit_code == 0
    save_connections(conn("acme", ["acme_1", "acme_2"]), conn("acme-b", ["acme_1", "acme_2"]))
    result = cli("trackers", "add", "@Acme_2")
    assert result.exit_code == 0, result.output
    assert "picked 'acme-b': it reaches @acme_2, it has the fewest trackers (0/4)" in result.stderr
    assert stored() == {"@acme_1": "acme", "@acme_2": "acme-b"}


def test_add_with_no_qualifying_connection_adds_unassigned_and_says_what_to_do(
    cli, save_connections
) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("acme", ["acme_1"]))
    result = cli("trackers", "add", "@stranger")
    assert result.exit_code == 0
    assert "unassigned" in result.stderr and "igconnect login" in result.stderr
    assert stored() == {"@stranger": None}
    strict = cli("trackers", "add", "@other", "--strict")
    assert strict.exit_code == ExitCode.CONFLICT
    assert "@other" not in stored()


def test_bad_inputs(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(
        conn("acme", ["acme_1", "a2", "a3", "a4", "a5"]), conn("ig", ["x"], provider="instagram")
    )
    assert cli("trackers", "add", "@acme_1", "-c", "acme").exit_code == 0
    dup = cli("trackers", "add", "@ACME_1")
    assert dup.exit_code == ExitCode.CONFLICT and "already tracked" in dup.stderr
    unknown = cli("trackers", "assign", "@acme_1", "acmee")
    assert unknown.exit_code == ExitCode.NOT_FOUND and "did you mean 'acme'" in unknown.stderr
    unknown_tracker = cli("trackers", "remove", "@acme_")
    assert unknown_tracker.exit_code == ExitCode.NOT_FOUND and "'@acme_1'" in unknown_tracker.stderr
    unreachable = cli("trackers", "assign", "@acme_1", "ig")
    assert unreachable.exit_code == ExitCode.CONFLICT
    assert "does not reach @acme_1" in unreachable.stderr
    tag_on_ig = cli("trackers", "add", "#food", "-c", "ig")
    assert tag_on_ig.exit_code == ExitCode.CONFLICT and "Facebook Login" in tag_on_ig.stderr
    bad_ref = cli("trackers", "add", "acme_1")
    assert bad_ref.exit_code == ExitCode.USAGE
    for name in ("a2", "a3", "a4"):
        assert cli("trackers", "add", f"@{name}", "-c", "acme").exit_code == 0
    strict = cli("trackers", "add", "@a5", "-c", "acme", "--strict")
    assert strict.exit_code == ExitCode.CONFLICT and "more than 4" in strict.stderr
    assert "@a5" not in stored()
    over = cli("trackers", "add", "@a5", "-c", "acme")
    assert over.exit_code == 0 and "Warning: connection 'acme' will carry 5 trackers" in over.stderr
    assert stored()["@a5"] == "acme"


def test_unassign_remove_and_move_all_or_nothing(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("old", ["p", "q"]), conn("new", ["p", "q"]), conn("half", ["p"]))
    cli("trackers", "add", "@p", "-c", "old")
    cli("trackers", "add", "@q", "-c", "old")
    refused = cli("trackers", "move", "--from", "old", "--to", "half", "--yes")
    assert refused.exit_code == ExitCode.CONFLICT and "nothing moved" in refused.stderr
    assert stored() == {"@p": "old", "@q": "old"}
    moved = cli("trackers", "move", "--from", "old", "--to", "new", "--yes")
    assert moved.exit_code == 0 and "moved 2 tracker(s)" in moved.stderr
    assert stored() == {"@p": "new", "@q": "new"}
    assert cli("trackers", "move", "--from", "nwe", "--to", "old").exit_code == ExitCode.NOT_FOUND
    assert cli("trackers", "unassign", "@p").exit_code == 0
    assert cli("trackers", "remove", "@q", "--yes").exit_code == 0
    assert stored() == {"@p": None}


def test_assignments_survive_rename_and_reconnect(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    (acme,) = save_connections(conn("acme", ["p"]))
    cli("trackers", "add", "@p")
    assert cli("connections", "rename", "acme", "acme-main").exit_code == 0
    assert stored() == {"@p": "acme-main"}
    # a reconnect saves the connection again under the same id (new token, status ok)
    acme.name = "acme-main"
    acme.renewed_at = datetime.now(UTC)
    store.save_connection(acme, store.reach("acme-main").accounts)
    assert stored() == {"@p": "acme-main"}
    assert (
        json.loads(cli("trackers", "list", "--json").stdout)["connections"][0]["trackers"][0][
            "tracker"
        ]
        == "@p"
    )


LIST_KEYS = ["capacity", "connections", "unassigned", "orphaned", "violations"]
CONNECTION_KEYS = [
    "name",
    "provider",
    "status",
    "broken_reason",
    "collects",
    "count",
    "capacity",
    "over_capacity",
    "high_volume_shared",
    "hashtags_used",
    "hashtag_budget",
    "usage",
    "trackers",
]
TRACKER_KEYS = ["tracker", "kind", "volume", "volume_source", "volume_measured_at", "created_at"]
USAGE_KEYS = ["scope", "percent", "observed_at", "regain_minutes"]


def test_list_json_keys_are_stable(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("acme", ["p"]), conn("dead", ["q"], broken=True), conn("spare", ["p"]))
    cli("trackers", "add", "@p", "-c", "acme")
    cli("trackers", "add", "@q", "-c", "dead")
    cli("trackers", "add", "@nobody")
    usage = Usage(
        observed_at=datetime.now(UTC),
        app={"call_count": 42.0},
        accounts={"id-p": AccountUsage("id-p", "instagram", 73, 5, 5, 0)},
    )
    runtime = Runtime()
    runtime.usage_recorder.record(store.connection("acme").id, usage)
    runtime.close()  # a command writes what it saw when it ends
    data = json.loads(cli("trackers", "list", "--json").stdout)
    assert list(data) == LIST_KEYS
    assert [list(c) for c in data["connections"]] == [CONNECTION_KEYS] * 3
    acme, dead, spare = data["connections"]
    assert list(acme["trackers"][0]) == TRACKER_KEYS
    assert [list(u) for u in acme["usage"]] == [USAGE_KEYS, USAGE_KEYS]
    assert {u["scope"]: u["percent"] for u in acme["usage"]} == {"app": 42.0, "id-p": 73.0}
    assert (dead["status"], dead["collects"]) == ("broken", False)
    assert (spare["count"], spare["trackers"]) == (0, [])
    assert [t["tracker"] for t in data["unassigned"]] == ["@nobody"]
    assert {v["rule"] for v in data["violations"]} == {"broken-connection", "unassigned"}
    assert list(data["violations"][0]) == ["rule", "trackers", "connection", "message", "fix"]


def test_list_table_marks_broken_and_empty_connections(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("acme", ["p"]), conn("dead", ["q"], broken=True), conn("spare", ["p"]))
    cli("trackers", "add", "@q", "-c", "dead")
    cli("trackers", "add", "@nobody")
    result = cli("trackers", "list")
    assert result.exit_code == 0
    out = result.stdout
    assert "BROKEN: collects nothing (the password was changed)" in out
    assert "(no trackers)" in out and "spare" in out
    assert "(unassigned)" in out and "@nobody" in out
    assert "no usage seen yet" in out


def test_rebalance_proposes_then_applies(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("a", ["h", "p", "q"]), conn("b", ["h", "p", "q"]))
    for name in ("p", "q"):
        cli("trackers", "add", f"@{name}", "-c", "a")
    cli("trackers", "add", "@h", "-c", "a", "--high-volume")
    proposal = cli("trackers", "rebalance")
    assert proposal.exit_code == 0
    assert "@h" in proposal.stdout and "--apply" in proposal.stderr
    assert stored()["@h"] == "a"  # nothing written without --apply
    data = json.loads(cli("trackers", "rebalance", "--json").stdout)
    assert data["moves"] == [
        {
            "tracker": "@h",
            "from": "a",
            "to": "b",
            "why": "high-volume: needs a connection of its own",
        }
    ]
    assert data["satisfies_every_rule"] is True and data["applied"] is False
    applied = cli("trackers", "rebalance", "--apply", "--yes")
    assert applied.exit_code == 0 and "applied 1 move(s)" in applied.stderr
    assert stored() == {"@h": "b", "@p": "a", "@q": "a"}
    again = cli("trackers", "rebalance")
    assert "no moves" in again.stderr

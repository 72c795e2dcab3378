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
    assert (
        "picked 'acme-b': it reaches @acme_2 (managed: its own budget), it carries the fewest "
        "trackers (0)" in result.stderr
    )
    assert stored() == {"@acme_1": "acme", "@acme_2": "acme-b"}


def test_add_what_nothing_can_carry_yet(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("shop", ["acme_1"], provider="instagram"))
    # No Facebook connection to ask business discovery: refused, nothing written...
    refused = cli("trackers", "add", "@stranger")
    assert refused.exit_code == ExitCode.NOT_FOUND, refused.output
    assert "no working Facebook Login connection" in refused.stderr
    assert "`igconnect trackers add @stranger --pending`" in refused.stderr
    assert "@stranger" not in stored()
    # ...unless kept on purpose.
    kept = cli("trackers", "add", "stranger", "--pending")
    assert kept.exit_code == 0, kept.output
    assert store.trackers()["@stranger"].pending and stored()["@stranger"] is None
    # A hashtag needs Facebook Login: added on no connection, with the connection to add.
    tag = cli("trackers", "add", "#food")
    assert tag.exit_code == 0 and "--system-user" in tag.stderr
    assert stored()["#food"] is None
    strict = cli("trackers", "add", "#other", "--strict")
    assert strict.exit_code == ExitCode.CONFLICT
    assert "#other" not in stored()


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


def test_move_remove_unassign_and_rename_tell_their_outcome_as_json(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("old", ["p", "q"]), conn("new", ["p", "q"]))
    cli("trackers", "add", "@p", "-c", "old")
    cli("trackers", "add", "@q", "-c", "old")
    planned = cli("trackers", "move", "--from", "old", "--to", "new", "--dry-run", "--json")
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout) == {"source": "old", "target": "new",
                                          "moved": ["@p", "@q"], "warnings": [],
                                          "dry_run": True}  # fmt: skip
    assert "Dry run: would move 2 tracker(s)" in planned.stderr  # the plan, told as before
    assert stored() == {"@p": "old", "@q": "old"}
    moved = json.loads(
        cli("trackers", "move", "--from", "old", "--to", "new", "-y", "--json").stdout
    )
    assert moved["moved"] == ["@p", "@q"] and moved["dry_run"] is False
    assert stored() == {"@p": "new", "@q": "new"}
    nothing = cli("trackers", "move", "--from", "old", "--to", "new", "--json")
    assert nothing.exit_code == 0 and json.loads(nothing.stdout)["moved"] == []
    off = json.loads(cli("trackers", "unassign", "@p", "--json").stdout)
    assert off["tracker"] == "@p" and off["previous"] == "new" and off["changed"] is True
    assert json.loads(cli("trackers", "unassign", "@p", "--json").stdout)["changed"] is False
    would = json.loads(cli("trackers", "remove", "@q", "--dry-run", "--json").stdout)
    assert would == {"tracker": "@q", "kind": "account", "connection": "new", "dry_run": True}
    assert "@q" in stored()
    gone = json.loads(cli("trackers", "remove", "@q", "--yes", "--json").stdout)
    assert gone == {"tracker": "@q", "kind": "account", "connection": "new", "dry_run": False}
    assert stored() == {"@p": None}
    renamed = cli("connections", "rename", "new", "newer", "--json")
    assert json.loads(renamed.stdout) == {"previous": "new", "name": "newer",
                                          "provider": "facebook"}  # fmt: skip
    assert "✓ Renamed 'new' to 'newer'" not in renamed.stderr  # the JSON tells it


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
    "managed",
    "shared",
    "capacity",
    "over_capacity",
    "high_volume_shared",
    "hashtags_used",
    "hashtag_budget",
    "usage",
    "trackers",
]
TRACKER_KEYS = [
    "tracker",
    "kind",
    "volume",
    "volume_source",
    "volume_measured_at",
    "created_at",
    "access",
    "pending",
]
USAGE_KEYS = ["scope", "username", "percent", "observed_at", "regain_minutes"]


def test_list_json_keys_are_stable(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("acme", ["p"]), conn("dead", ["q"], broken=True), conn("spare", ["p"]))
    cli("trackers", "add", "@p", "-c", "acme")
    cli("trackers", "add", "@q", "-c", "dead")
    cli("trackers", "add", "@nobody", "--pending")
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
    assert {u["scope"]: u["username"] for u in acme["usage"]} == {"app": None, "id-p": "p"}
    assert "@p 73%" in cli("trackers", "list").stdout  # the throttled account by its name
    assert (dead["status"], dead["collects"]) == ("broken", False)
    assert (spare["count"], spare["trackers"]) == (0, [])
    assert [t["tracker"] for t in data["unassigned"]] == ["@nobody"]
    assert {v["rule"] for v in data["violations"]} == {"broken-connection", "pending"}
    assert list(data["violations"][0]) == ["rule", "trackers", "connection", "message", "fix"]


def test_list_table_marks_broken_and_empty_connections(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("acme", ["p"]), conn("dead", ["q"], broken=True), conn("spare", ["p"]))
    cli("trackers", "add", "@q", "-c", "dead")
    cli("trackers", "add", "@nobody", "--pending")
    result = cli("trackers", "list")
    assert result.exit_code == 0
    out = result.stdout
    assert "BROKEN: collects nothing (the password was changed)" in out
    assert "(no trackers)" in out and "spare" in out
    assert "(unassigned)" in out and "@nobody" in out
    assert "no usage seen yet" in out


def test_rebalance_proposes_then_applies(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("a", ["x"]), conn("b", ["y"]))
    for name in ("#p", "#q"):
        cli("trackers", "add", name, "-c", "a")
    cli("trackers", "add", "#h", "-c", "a", "--high-volume")
    proposal = cli("trackers", "rebalance")
    assert proposal.exit_code == 0
    assert "#h" in proposal.stdout and "--apply" in proposal.stderr
    assert stored()["#h"] == "a"  # nothing written without --apply
    data = json.loads(cli("trackers", "rebalance", "--json").stdout)
    assert data["moves"] == [
        {
            "tracker": "#h",
            "from": "a",
            "to": "b",
            "why": "high-volume: needs a connection of its own",
        }
    ]
    assert data["satisfies_every_rule"] is True and data["applied"] is False
    applied = cli("trackers", "rebalance", "--apply", "--yes")
    assert applied.exit_code == 0 and "applied 1 move(s)" in applied.stderr
    assert stored() == {"#h": "b", "#p": "a", "#q": "a"}
    again = cli("trackers", "rebalance")
    assert "no moves" in again.stderr


def test_repeated_warnings_are_one_line_with_a_count(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("acme", ["acme_1"], provider="instagram"))
    names = [f"@gone_{i}" for i in range(7)]
    added = cli("trackers", "add", *names, "--pending")
    assert added.exit_code == 0, added.output
    assert "7 tracker(s): 7 pending" in added.stderr
    assert added.stderr.count("kept pending") == 1  # seven alike, said once with a count
    listed = cli("trackers", "list")
    pending = [line for line in listed.stderr.splitlines() if "is pending" in line]
    assert len(pending) == 1, listed.stderr
    assert (
        "(and 6 more like it: @gone_1, @gone_2, @gone_3, @gone_4, @gone_5 and 1 more)" in pending[0]
    )

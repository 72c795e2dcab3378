# ruff: noqa: F811 (the fixtures imported from the login and e2e conftests are used as arguments)
"""The `--json` contract: every command's keys, pinned.

An agency's day is played over the sandbox (real HTTP, the real Secret Service): log in, invite a
client, track, export, report, back up, check. Each command runs with `--json` and the keys of what
it prints (recursively: `a.b`, `a[].c`; `a{}` for a map whose keys are data) are compared to the
table below. A key may be added (add it here, and to CHANGELOG under Added); a key renamed or
removed breaks the scripts built on it, so this test fails until the table and CHANGELOG say so.
A second test fails when a command with `--json` is not in the table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from tests.e2e.conftest import browser  # noqa: F401 (fixture)
from tests.login.conftest import (  # noqa: F401 (fixtures)
    APP_SECRET,
    FakeBrowser,
    login_port,
    make_sandbox,
    sandbox_env,
)

from igconnect.sandbox import Sandbox
from igconnect.sandbox.consent import follow_consent
from igconnect.sandbox.world import BOB_ID

# Maps whose keys are data (names, check-specific details), not part of the contract.
FREE_MAPS = ("details", "environment", "granular_scopes", "assignment")


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """The keys of a JSON value as paths: `a`, `a.b`, `a[]`, `a[].b` (the union over a list's
    items), `a{}` for a map under one of FREE_MAPS."""
    paths: set[str] = set()
    if isinstance(value, dict):
        if prefix.rsplit(".", 1)[-1] in FREE_MAPS:
            return {prefix + "{}"}
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        paths.add(prefix + "[]")
        for item in value:
            paths |= key_paths(item, prefix + "[]")
        paths.discard("[]")
    return paths


def test_key_paths() -> None:
    value = {"a": 1, "b": {"c": [{"d": 1}, {"e": None}]}, "details": {"x": 1}, "f": [],
             "environment": [{"id": 1}]}  # fmt: skip
    assert key_paths(value) == {"a", "b", "b.c", "b.c[]", "b.c[].d", "b.c[].e", "details",
                                "details{}", "f", "f[]", "environment", "environment[]",
                                "environment[].id"}  # fmt: skip
    assert key_paths([{"a": 1}]) == {"[].a"}


# -- the pinned table ------------------------------------------------------------------------------
# fmt: off
PINNED: dict[str, set[str]] = {
    "app show": {
        "app_id", "app_id_source", "instagram_app_id", "instagram_app_id_source",
        "instagram_secret", "secret"
    },
    "login": {
        "accounts", "accounts[]", "broken_reason", "checked_at", "data_access_days_left",
        "data_access_expires_at", "exit_code", "kind", "missing", "missing[]",
        "missing_permissions", "missing_permissions[]", "name", "origin", "provider", "reconnected",
        "replaced_user", "secret_store", "status", "token_days_left", "token_expires_at",
        "trackers", "user_id", "user_name"
    },
    "login --system-user": {
        "accounts", "accounts[]", "broken_reason", "checked_at", "data_access_days_left",
        "data_access_expires_at", "exit_code", "kind", "missing", "missing[]",
        "missing_permissions", "missing_permissions[]", "name", "origin", "provider", "reconnected",
        "replaced_user", "secret_store", "status", "token_days_left", "token_expires_at",
        "trackers", "user_id", "user_name"
    },
    "login --invite": {
        "connection", "created_at", "expires_at", "id", "name", "provider", "reconnect",
        "redirect_uri", "status", "url", "used_at"
    },
    "login --complete": {
        "accounts", "accounts[]", "broken_reason", "checked_at", "data_access_days_left",
        "data_access_expires_at", "exit_code", "kind", "missing", "missing[]",
        "missing_permissions", "missing_permissions[]", "name", "origin", "provider", "reconnected",
        "replaced_user", "secret_store", "status", "token_days_left", "token_expires_at",
        "trackers", "user_id", "user_name"
    },
    "connections list": {
        "connections", "connections[]", "connections[].accounts", "connections[].accounts[]",
        "connections[].broken_reason", "connections[].checked_at",
        "connections[].data_access_days_left", "connections[].data_access_expires_at",
        "connections[].kind", "connections[].name", "connections[].origin",
        "connections[].provider", "connections[].secret_store", "connections[].status",
        "connections[].token_days_left", "connections[].token_expires_at", "connections[].trackers",
        "connections[].user_id", "connections[].user_name"
    },
    "connections list --check": {
        "connections", "connections[]", "connections[].accounts", "connections[].accounts[]",
        "connections[].broken_reason", "connections[].check", "connections[].check.message",
        "connections[].check.result", "connections[].checked_at",
        "connections[].data_access_days_left", "connections[].data_access_expires_at",
        "connections[].kind", "connections[].name", "connections[].origin",
        "connections[].provider", "connections[].secret_store", "connections[].status",
        "connections[].token_days_left", "connections[].token_expires_at", "connections[].trackers",
        "connections[].user_id", "connections[].user_name"
    },
    "connections show": {
        "account_details", "account_details[]", "account_details[].account_type",
        "account_details[].id", "account_details[].page_id", "account_details[].page_name",
        "account_details[].username", "accounts", "accounts[]", "broken_at", "broken_reason",
        "checked_at", "created_at", "data_access_days_left", "data_access_expires_at",
        "granular_scopes", "granular_scopes{}", "id", "kind", "name", "origin", "pages", "pages[]",
        "pages[].id", "pages[].instagram_account_id", "pages[].name", "pages[].tasks",
        "pages[].tasks[]", "provider", "renewed_at", "scopes_declined", "scopes_declined[]",
        "scopes_granted", "scopes_granted[]", "secret_store", "status", "token", "token_days_left",
        "token_expires_at", "tracker_names", "tracker_names[]", "trackers", "user_id", "user_name"
    },
    "connections show --check": {
        "account_details", "account_details[]", "account_details[].account_type",
        "account_details[].id", "account_details[].page_id", "account_details[].page_name",
        "account_details[].username", "accounts", "accounts[]", "broken_at", "broken_reason",
        "check", "check.message", "check.result", "checked_at", "created_at",
        "data_access_days_left", "data_access_expires_at", "granular_scopes", "granular_scopes{}",
        "id", "kind", "name", "origin", "pages", "pages[]", "pages[].id",
        "pages[].instagram_account_id", "pages[].name", "pages[].tasks", "pages[].tasks[]",
        "provider", "renewed_at", "scopes_declined", "scopes_declined[]", "scopes_granted",
        "scopes_granted[]", "secret_store", "status", "token", "token_days_left",
        "token_expires_at", "tracker_names", "tracker_names[]", "trackers", "user_id", "user_name"
    },
    "connections invites": {
        "invites", "invites[]", "invites[].connection", "invites[].created_at",
        "invites[].expires_at", "invites[].id", "invites[].name", "invites[].provider",
        "invites[].reconnect", "invites[].redirect_uri", "invites[].status", "invites[].used_at"
    },
    "connections refresh": {
        "connections", "connections[]", "connections[].action", "connections[].message",
        "connections[].name", "connections[].provider", "exit_code"
    },
    "trackers add": {
        "added", "connection", "exists", "exit_code", "failed", "items", "items[]",
        "items[].access", "items[].close_matches", "items[].close_matches[]", "items[].connection",
        "items[].exit_code", "items[].hint", "items[].outcome", "items[].reason", "items[].tracker",
        "items[].warnings", "items[].warnings[]", "pending", "reason", "refused", "tracker"
    },
    "trackers add (no connection reaches it)": {
        "added", "connection", "exists", "exit_code", "failed", "items", "items[]",
        "items[].access", "items[].close_matches", "items[].close_matches[]", "items[].connection",
        "items[].exit_code", "items[].hint", "items[].outcome", "items[].reason", "items[].tracker",
        "items[].warnings", "items[].warnings[]", "pending", "reason", "refused", "tracker"
    },
    "trackers assign": {
        "access", "changed", "connection", "previous", "reason", "tracker", "warnings", "warnings[]"
    },
    "trackers list": {
        "capacity", "connections", "connections[]", "connections[].broken_reason",
        "connections[].capacity", "connections[].collects", "connections[].count",
        "connections[].hashtag_budget", "connections[].hashtags_used",
        "connections[].high_volume_shared", "connections[].managed", "connections[].name",
        "connections[].over_capacity", "connections[].provider", "connections[].shared",
        "connections[].status", "connections[].trackers", "connections[].trackers[]",
        "connections[].trackers[].access", "connections[].trackers[].created_at",
        "connections[].trackers[].kind", "connections[].trackers[].pending",
        "connections[].trackers[].tracker", "connections[].trackers[].volume",
        "connections[].trackers[].volume_measured_at", "connections[].trackers[].volume_source",
        "connections[].usage", "connections[].usage[]", "connections[].usage[].observed_at",
        "connections[].usage[].percent", "connections[].usage[].regain_minutes",
        "connections[].usage[].scope", "connections[].usage[].username", "orphaned", "orphaned[]",
        "unassigned", "unassigned[]", "unassigned[].access", "unassigned[].created_at",
        "unassigned[].kind", "unassigned[].pending", "unassigned[].tracker", "unassigned[].volume",
        "unassigned[].volume_measured_at", "unassigned[].volume_source", "violations",
        "violations[]", "violations[].connection", "violations[].fix", "violations[].message",
        "violations[].rule", "violations[].trackers", "violations[].trackers[]"
    },
    "trackers rebalance": {
        "applied", "assignment", "assignment{}", "cost", "cost.excess", "cost.moves",
        "cost.unplaced", "moves", "moves[]", "optimal", "satisfies_every_rule", "unmet", "unmet[]",
        "violations_after", "violations_after[]", "violations_after[].connection",
        "violations_after[].fix", "violations_after[].message", "violations_after[].rule",
        "violations_after[].trackers", "violations_after[].trackers[]", "violations_before",
        "violations_before[]", "violations_before[].connection", "violations_before[].fix",
        "violations_before[].message", "violations_before[].rule", "violations_before[].trackers",
        "violations_before[].trackers[]"
    },
    "trackers classify": {
        "notes", "notes[]", "results", "results[]", "results[].connection", "results[].likes",
        "results[].measured_at", "results[].note", "results[].posts", "results[].previous_source",
        "results[].previous_volume", "results[].status", "results[].tracker", "results[].volume"
    },
    "trackers import": {
        "added", "added[]", "applied", "removed", "removed[]", "unassigned", "unassigned[]",
        "unchanged", "updated", "updated[]", "warnings", "warnings[]"
    },
    "export stories": {
        "accounts", "accounts[]", "accounts[].account_id", "accounts[].connection",
        "accounts[].reason", "accounts[].requests", "accounts[].state", "accounts[].stories",
        "accounts[].username", "broken_connections", "broken_connections[]",
        "connection_problems", "connection_problems[]", "exit_code", "format", "kind",
        "log_file", "missed_final_reads", "moved_trackers", "moved_trackers[]", "output",
        "requests", "round_trips", "rows", "seconds", "warnings", "warnings[]"
    },
    "export stories (a connection broke)": {
        "accounts", "accounts[]", "accounts[].account_id", "accounts[].connection",
        "accounts[].reason", "accounts[].requests", "accounts[].state", "accounts[].stories",
        "accounts[].username", "broken_connections", "broken_connections[]",
        "connection_problems", "connection_problems[]", "exit_code", "format", "kind",
        "log_file", "missed_final_reads", "moved_trackers", "moved_trackers[]", "output",
        "requests", "round_trips", "rows", "seconds", "warnings", "warnings[]",
        "connection_problems[].connection", "connection_problems[].fix",
        "connection_problems[].reason", "connection_problems[].targets",
        "connection_problems[].targets[]"
    },
    "export stories (failover)": {
        "accounts", "accounts[]", "accounts[].account_id", "accounts[].connection",
        "accounts[].reason", "accounts[].requests", "accounts[].state", "accounts[].stories",
        "accounts[].username", "broken_connections", "broken_connections[]",
        "connection_problems", "connection_problems[]", "exit_code", "format", "kind",
        "log_file", "missed_final_reads", "moved_trackers", "moved_trackers[]",
        "moved_trackers[].direction", "moved_trackers[].from", "moved_trackers[].reason",
        "moved_trackers[].to", "moved_trackers[].tracker", "output", "requests", "round_trips",
        "rows", "seconds", "warnings", "warnings[]"
    },
    "export profiles": {
        "connection_problems", "connection_problems[]", "exit_code", "format", "items", "items[]",
        "items[].access", "items[].connection", "items[].reason", "items[].rows", "items[].state",
        "items[].target", "kind", "log_file", "output", "outputs", "outputs.posts", "requests",
        "round_trips", "rows", "seconds", "warnings", "warnings[]"
    },
    "export hashtags": {
        "connection_problems", "connection_problems[]", "exit_code", "format", "items", "items[]",
        "kind", "log_file", "output", "outputs", "requests", "round_trips", "rows", "seconds",
        "warnings", "warnings[]"
    },
    "export": {
        "connection_problems", "connection_problems[]", "exit_code", "failures", "kinds",
        "kinds.profiles", "kinds.profiles.connection_problems",
        "kinds.profiles.connection_problems[]", "kinds.profiles.exit_code",
        "kinds.profiles.format", "kinds.profiles.items", "kinds.profiles.items[]",
        "kinds.profiles.items[].access", "kinds.profiles.items[].connection",
        "kinds.profiles.items[].reason", "kinds.profiles.items[].rows",
        "kinds.profiles.items[].state", "kinds.profiles.items[].target", "kinds.profiles.kind",
        "kinds.profiles.log_file", "kinds.profiles.output", "kinds.profiles.outputs",
        "kinds.profiles.outputs.posts", "kinds.profiles.requests", "kinds.profiles.round_trips",
        "kinds.profiles.rows", "kinds.profiles.seconds", "kinds.profiles.warnings",
        "kinds.profiles.warnings[]", "kinds.stories", "kinds.stories.accounts",
        "kinds.stories.accounts[]", "kinds.stories.accounts[].account_id",
        "kinds.stories.accounts[].connection", "kinds.stories.accounts[].reason",
        "kinds.stories.accounts[].requests", "kinds.stories.accounts[].state",
        "kinds.stories.accounts[].stories", "kinds.stories.accounts[].username",
        "kinds.stories.broken_connections", "kinds.stories.broken_connections[]",
        "kinds.stories.connection_problems", "kinds.stories.connection_problems[]",
        "kinds.stories.exit_code", "kinds.stories.format", "kinds.stories.kind",
        "kinds.stories.log_file", "kinds.stories.missed_final_reads",
        "kinds.stories.moved_trackers", "kinds.stories.moved_trackers[]", "kinds.stories.output",
        "kinds.stories.requests", "kinds.stories.round_trips", "kinds.stories.rows",
        "kinds.stories.seconds", "kinds.stories.warnings", "kinds.stories.warnings[]", "seconds"
    },
    "trackers list (usage seen)": {
        "capacity", "connections", "connections[]", "connections[].broken_reason",
        "connections[].capacity", "connections[].collects", "connections[].count",
        "connections[].hashtag_budget", "connections[].hashtags_used",
        "connections[].high_volume_shared", "connections[].managed", "connections[].name",
        "connections[].over_capacity", "connections[].provider", "connections[].shared",
        "connections[].status", "connections[].trackers", "connections[].trackers[]",
        "connections[].trackers[].access", "connections[].trackers[].created_at",
        "connections[].trackers[].kind", "connections[].trackers[].pending",
        "connections[].trackers[].tracker", "connections[].trackers[].volume",
        "connections[].trackers[].volume_measured_at", "connections[].trackers[].volume_source",
        "connections[].usage", "connections[].usage[]", "connections[].usage[].observed_at",
        "connections[].usage[].percent", "connections[].usage[].regain_minutes",
        "connections[].usage[].scope", "connections[].usage[].username", "orphaned", "orphaned[]",
        "unassigned", "unassigned[]", "unassigned[].access", "unassigned[].created_at",
        "unassigned[].kind", "unassigned[].pending", "unassigned[].tracker", "unassigned[].volume",
        "unassigned[].volume_measured_at", "unassigned[].volume_source", "violations",
        "violations[]", "violations[].connection", "violations[].fix", "violations[].message",
        "violations[].rule", "violations[].trackers", "violations[].trackers[]"
    },
    "report": {
        "accounts", "exit_code", "not_final", "output", "seconds", "since", "stories", "until"
    },
    "archive check": {
        "archive", "backups", "backups[]", "backups[].bytes", "backups[].path",
        "backups[].taken_at", "exists", "ok", "problems", "problems[]", "seconds", "stories"
    },
    "archive backup": {
        "bytes", "path", "seconds", "stories"
    },
    "archive restore": {
        "archive", "kept_aside", "kept_aside[]", "source", "stories"
    },
    "doctor": {
        "check", "connections", "connections[]", "connections[].accounts",
        "connections[].accounts[]", "connections[].accounts[].account_id",
        "connections[].accounts[].checks", "connections[].accounts[].checks[]",
        "connections[].accounts[].checks[].accept_as", "connections[].accounts[].checks[].accepted",
        "connections[].accounts[].checks[].command", "connections[].accounts[].checks[].details",
        "connections[].accounts[].checks[].details{}", "connections[].accounts[].checks[].evidence",
        "connections[].accounts[].checks[].fix", "connections[].accounts[].checks[].fix[]",
        "connections[].accounts[].checks[].id", "connections[].accounts[].checks[].status",
        "connections[].accounts[].checks[].title", "connections[].accounts[].label",
        "connections[].accounts[].page_id", "connections[].accounts[].page_name",
        "connections[].accounts[].username", "connections[].checks", "connections[].checks[]",
        "connections[].checks[].accept_as", "connections[].checks[].accepted",
        "connections[].checks[].command", "connections[].checks[].details",
        "connections[].checks[].details{}", "connections[].checks[].evidence",
        "connections[].checks[].fix", "connections[].checks[].fix[]", "connections[].checks[].id",
        "connections[].checks[].status", "connections[].checks[].title", "connections[].name",
        "connections[].provider", "connections[].status", "connections[].user_name", "environment",
        "environment[]", "environment[].accept_as", "environment[].accepted",
        "environment[].command", "environment[].details", "environment[].details{}",
        "environment[].evidence", "environment[].fix", "environment[].fix[]", "environment[].id",
        "environment[].status", "environment[].title", "generated_at", "schema", "summary",
        "summary.accepted", "summary.connections", "summary.connections_with_problems",
        "summary.could_not_check", "summary.crashed", "summary.exit_code", "summary.failure",
        "summary.ok", "summary.problems", "summary.skipped", "summary.text", "summary.warning",
        "summary.warnings"
    },
    "doctor --list-checks": {
        "checks", "checks[]", "checks[].depends", "checks[].depends[]", "checks[].fix",
        "checks[].id", "checks[].proves", "checks[].providers", "checks[].providers[]",
        "checks[].scope", "checks[].title", "schema"
    },
    "doctor --accept": {
        "action", "changed", "doctor_accept", "doctor_accept[]", "rule"
    },
    "doctor --unaccept": {
        "action", "changed", "doctor_accept", "doctor_accept[]", "rule"
    },
    "schedule show": {
        "crontab_line", "environment", "environment{}", "interval_minutes", "systemd_service",
        "systemd_timer", "warnings", "warnings[]"
    },
    "config path": {
        "config_file", "data_dir", "state_dir"
    },
    "config show": {
        "file", "settings", "settings[]", "settings[].env", "settings[].key", "settings[].source",
        "settings[].value", "settings[].value[]"
    },
    "app set": {
        "app_id", "instagram_app_id", "secret_store"
    },
    "trackers unassign": {
        "access", "changed", "connection", "previous", "reason", "tracker", "warnings", "warnings[]"
    },
    "trackers move --dry-run": {
        "dry_run", "moved", "moved[]", "source", "target", "warnings", "warnings[]"
    },
    "trackers move": {
        "dry_run", "moved", "moved[]", "source", "target", "warnings", "warnings[]"
    },
    "trackers remove --dry-run": {
        "connection", "dry_run", "kind", "tracker"
    },
    "trackers remove": {
        "connection", "dry_run", "kind", "tracker"
    },
    "connections rename": {
        "name", "previous", "provider"
    },
    "logout --dry-run": {
        "dry_run", "name", "revoked", "unassigned", "unassigned[]", "warnings", "warnings[]"
    },
    "logout": {
        "dry_run", "name", "revoked", "unassigned", "unassigned[]", "warnings", "warnings[]"
    },
    "config set": {
        "changed", "env", "key", "overridden", "value"
    },
    "config get": {
        "env", "key", "source", "value"
    },
    "config unset": {
        "changed", "env", "key", "overridden", "value"
    },
    "schedule install": {
        "changed", "crontab_line", "every", "interval_minutes", "interval_overridden", "warnings",
        "warnings[]"
    },
    "schedule remove": {
        "changed"
    },
}
# fmt: on

# (label, command path, args after it). The order is the day's order: each row may rely on the
# rows before it. {out}, {address}, {app_id} are filled in as the day goes.
ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("app show", "app show", ()),
    ("login", "login", ("--name", "acme")),
    ("login --system-user", "login", ("--system-user", "--name", "agency-bot")),
    ("login --invite", "login", ("--invite", "--name", "bobs")),
    ("login --complete", "login", ("--complete", "{address}")),
    ("connections list", "connections list", ()),
    ("connections list --check", "connections list", ("--check",)),
    ("connections show", "connections show", ("acme",)),
    ("connections show --check", "connections show", ("acme", "--check")),
    ("connections invites", "connections invites", ("--all",)),
    ("connections refresh", "connections refresh", ()),
    ("trackers add", "trackers add", ("@acme_1", "--connection", "acme")),
    ("trackers add (no connection reaches it)", "trackers add", ("@someone_else", "--pending")),
    ("trackers assign", "trackers assign", ("@acme_1",)),
    ("trackers list", "trackers list", ()),
    ("trackers rebalance", "trackers rebalance", ()),
    ("trackers classify", "trackers classify", ("@acme_1",)),
    ("trackers import", "trackers import", ("{out}/trackers.csv", "--dry-run")),
    ("export stories", "export stories", ("--out", "{out}/stories.csv")),
    # every person's token dies (a password change): the run says which connections broke, and
    # the next one moves their trackers onto the system user that reaches the same accounts
    ("export stories (a connection broke)", "export stories", ("--out", "{out}/stories.csv")),
    ("export stories (failover)", "export stories", ("--out", "{out}/stories.csv")),
    # a public account (business discovery) and one discovery cannot find (@someone_else)
    ("export profiles", "export profiles", ("--out", "{out}/profiles.csv")),
    ("export hashtags", "export hashtags", ("--out", "{out}/hashtags.csv")),
    ("export", "export", ("--out", "{out}/exports/")),
    ("trackers list (usage seen)", "trackers list", ()),
    ("report", "report", ("--out", "{out}/report.html")),
    ("archive check", "archive check", ()),
    ("archive backup", "archive backup", ("{out}/backup.sqlite",)),
    ("archive restore", "archive restore", ("{out}/backup.sqlite",)),
    ("doctor", "doctor", ()),
    ("doctor --list-checks", "doctor", ("--list-checks",)),
    ("doctor --accept", "doctor", ("--accept", "account.linked:acme_2")),
    ("doctor --unaccept", "doctor", ("--unaccept", "account.linked:acme_2")),
    ("schedule show", "schedule show", ()),
    ("config path", "config path", ()),
    ("config show", "config show", ()),
    ("app set", "app set", ("--app-id", "{app_id}", "--app-secret-stdin")),
    ("trackers unassign", "trackers unassign", ("@acme_1",)),
    (
        "trackers move --dry-run",
        "trackers move",
        ("--from", "acme", "--to", "agency-bot", "--dry-run"),
    ),
    ("trackers move", "trackers move", ("--from", "acme", "--to", "agency-bot", "--yes")),
    ("trackers remove --dry-run", "trackers remove", ("@someone_else", "--dry-run")),
    ("trackers remove", "trackers remove", ("@someone_else", "--yes")),
    ("connections rename", "connections rename", ("bobs", "bobs-shop")),
    ("logout --dry-run", "logout", ("bobs-shop", "--force", "--dry-run")),
    ("logout", "logout", ("bobs-shop", "--force", "--yes")),
    ("config set", "config set", ("login_port", "8766")),
    ("config get", "config get", ("login_port",)),
    ("config unset", "config unset", ("login_port",)),
    ("schedule install", "schedule install", ("--every", "30")),  # a crontab kept in a file
    ("schedule remove", "schedule remove", ()),
]


# The commands without `--json`, each with the reason: what they print is not an outcome a script
# reads (a file's text, a guided run). A new command goes here or into ROWS.
NO_JSON = {
    "completion",  # prints a shell's completion script, not an outcome
    "demo",  # a guided run for a person, told as it goes
    "trackers export",  # writes the trackers' CSV (on stdout with -), which is its data
    "sandbox serve",  # serves until stopped; prints the environment to use it
}


def all_commands() -> dict[str, bool]:
    """Every command of the typer app, by its path: whether it has a `--json` option."""
    from igconnect.cli.app import app

    found: dict[str, bool] = {}

    def walk(command: Any, path: list[str]) -> None:
        has_json = any("--json" in getattr(p, "opts", ()) for p in command.params)
        subcommands = getattr(command, "commands", None)  # a group
        if subcommands is None:
            found[" ".join(path)] = has_json
            return
        if path and has_json:  # a group that runs on its own (not the root's global --json)
            found[" ".join(path)] = True
        for name, sub in subcommands.items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_with_json_is_in_the_table() -> None:
    every = all_commands()
    commands = {path for path, has_json in every.items() if has_json}
    assert len(commands) > 15  # the walk reached the command groups
    assert sorted(set(every) - commands) == sorted(NO_JSON), "a new command: ROWS or NO_JSON?"
    covered = {path for _label, path, _args in ROWS}
    assert sorted(set(commands) - covered) == [], "add these commands to ROWS and PINNED"
    assert sorted(covered - set(commands)) == [], "these rows name no command with --json"
    assert sorted(PINNED) == sorted(label for label, _path, _args in ROWS)


# -- the day -----------------------------------------------------------------------------------
@pytest.fixture
def day(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    secret_service: Any,
    fake_crontab: Path,
    tmp_path: Path,
) -> Iterator[Callable[[str, str, tuple[str, ...]], Any]]:
    """Runs a row of the day in-process, with the values found so far filled in."""
    from typer.testing import CliRunner

    from igconnect.cli.app import app

    sb = sandbox_env(accounts=3, stories=4, scenarios=["already-connected"])  # Bob, a client
    out = tmp_path / "out"
    out.mkdir()
    found: dict[str, str] = {"out": str(out), "app_id": sb.env()["IGCONNECT_APP_ID"]}
    runner = CliRunner()

    def run(label: str, path: str, args: tuple[str, ...]) -> Any:
        stdin = None
        if label == "login --system-user":
            stdin = sb.issue_system_user_token() + "\n"
        if label == "export stories (a connection broke)":
            sb.set_scenario("password-changed")
        if path == "login" and args[0] == "--complete":
            sb.set_session_user(BOB_ID)  # the client, on their own device
            found["address"] = follow_consent(found.pop("invite_url"))
        if path == "trackers import":
            exported = runner.invoke(app, ["trackers", "export", str(out / "trackers.csv")])
            assert exported.exit_code == 0, exported.stderr
        filled = [a.format(**found) for a in args]
        if path == "app set":
            stdin = APP_SECRET + "\n"
        result = runner.invoke(app, [*path.split(), *filled, "--json"], input=stdin)
        if path == "login" and args[0] == "--invite":
            found["invite_url"] = json.loads(result.stdout)["url"]
        return result

    yield run


@pytest.mark.keyring
@pytest.mark.slow
def test_every_command_keeps_its_json_keys(day: Callable[..., Any]) -> None:
    differences = []
    for label, path, args in ROWS:
        result = day(label, path, args)
        assert result.exit_code not in (1, 2), f"{label}: {result.stderr}"
        try:
            printed = json.loads(result.stdout)
        except ValueError:
            pytest.fail(f"{label} printed no JSON on stdout: {result.stdout!r} {result.stderr}")
        assert isinstance(printed, dict), f"{label}: the top level is an object"
        said = printed.get("exit_code", printed.get("summary", {}).get("exit_code"))
        if said is not None:  # the result carries the exit code the command ends with
            assert said == result.exit_code, label
        keys = key_paths(printed)
        pinned = PINNED[label]
        if keys != pinned:
            differences.append(
                f"{label}: new {sorted(keys - pinned)}, gone {sorted(pinned - keys)}"
            )
    assert differences == []


@pytest.mark.parametrize("args", [("config", "path"), ("config", "show"), ("schedule", "show")])
def test_the_global_json_flag_prints_what_the_commands_own_prints(
    cli: Any, args: tuple[str, ...]
) -> None:
    before = cli("--json", *args)
    after = cli(*args, "--json")
    assert before.exit_code == after.exit_code == 0, before.stderr + after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)

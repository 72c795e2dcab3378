"""The doctor command's contract: JSON schema, list/one check, offline checklist, crash isolation,
bad input, and secrets kept out of every output."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from igconnect.doctor.model import CHECKS
from igconnect.errors import ExitCode
from tests import stored
from tests.doctor.conftest import connect

CHECK_KEYS = {
    "id",
    "title",
    "status",
    "evidence",
    "fix",
    "command",
    "details",
    "accepted",
    "accept_as",
}


def test_json_schema_is_pinned(sandbox: Any, cli: Any) -> None:
    sb = sandbox("page-not-linked@acme_2")
    connect(sb)
    result = cli("doctor", "--json")
    doc = json.loads(result.stdout)
    assert list(doc) == ["schema", "generated_at", "check", "summary", "environment", "connections"]
    assert doc["schema"] == 1
    assert set(doc["summary"]) == {
        "ok",
        "warning",
        "failure",
        "skipped",
        "crashed",
        "could_not_check",
        "problems",
        "warnings",
        "accepted",
        "connections",
        "connections_with_problems",
        "exit_code",
        "text",
    }
    assert doc["summary"]["text"] == "1 problem in 1 connection"
    assert [c["id"] for c in doc["environment"]] == [
        "env.settings",
        "env.app",
        "env.instagram-app",
        "env.secret-store",
        "env.meta",
        "env.file-modes",
        "export.final-reads",
        "trackers.waiting",
    ]
    conn = doc["connections"][0]
    assert set(conn) == {"name", "provider", "user_name", "status", "checks", "accounts"}
    assert set(conn["accounts"][0]) == {
        "username",
        "label",
        "account_id",
        "page_id",
        "page_name",
        "checks",
    }
    for check in doc["environment"] + conn["checks"] + conn["accounts"][0]["checks"]:
        assert set(check) == CHECK_KEYS
        assert check["status"] in {
            "ok",
            "warning",
            "failure",
            "skipped",
            "crashed",
            "could_not_check",
        }
        assert check["id"] in CHECKS
    page_block = conn["accounts"][1]
    assert page_block["label"] == "Page 'Acme Client 2'" and page_block["username"] is None


def test_summary_counts_match_checks(sandbox: Any, cli: Any) -> None:
    sb = sandbox("declined-permission")
    connect(sb)
    doc = json.loads(cli("doctor", "--json").stdout)
    statuses = [c["status"] for c in doc["environment"]]
    for conn in doc["connections"]:
        statuses += [c["status"] for c in conn["checks"]]
        statuses += [c["status"] for a in conn["accounts"] for c in a["checks"]]
    for status in ("ok", "failure", "skipped"):
        assert doc["summary"][status] == statuses.count(status)


def test_crashing_check_is_reported_and_others_run(
    sandbox: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox()
    connect(sb)

    def boom(state: Any) -> Any:
        raise RuntimeError("kaboom")

    spec = CHECKS["account.stories"]
    monkeypatch.setitem(CHECKS, "account.stories", dataclasses.replace(spec, fn=boom))
    result = cli("doctor", "--json")
    assert result.exit_code == ExitCode.DOCTOR_FAILURES
    doc = json.loads(result.stdout)
    account = doc["connections"][0]["accounts"][0]
    by_id = {c["id"]: c for c in account["checks"]}
    assert by_id["account.stories"]["status"] == "crashed"
    assert "RuntimeError: kaboom" in by_id["account.stories"]["evidence"]
    assert by_id["account.rate-limit"]["status"] == "ok"  # independent checks still ran
    assert by_id["account.insights"]["status"] == "skipped"
    text = cli("doctor")
    assert "‼ Stories readable: the check crashed" in text.stdout


def test_list_checks_names_every_check(cli: Any) -> None:
    result = cli("doctor", "--list-checks")
    assert result.exit_code == 0
    for check_id in CHECKS:
        assert check_id in result.stdout
    doc = json.loads(cli("doctor", "--list-checks", "--json").stdout)
    assert [c["id"] for c in doc["checks"]] == list(CHECKS)


def test_check_runs_one(sandbox: Any, cli: Any) -> None:
    sb = sandbox("declined-permission")
    connect(sb)
    result = cli("doctor", "--check", "conn.permissions", "--json")
    doc = json.loads(result.stdout)
    assert doc["check"] == "conn.permissions"
    assert doc["environment"] == []
    ids = {c["id"] for conn in doc["connections"] for c in conn["checks"]}
    assert ids == {"conn.permissions"}
    assert doc["connections"][0]["accounts"] == []
    assert result.exit_code == 21
    ok = cli("doctor", "--check", "account.rate-limit", "--json")
    doc = json.loads(ok.stdout)
    checks = [c for a in doc["connections"][0]["accounts"] for c in a["checks"]]
    assert [c["id"] for c in checks] == ["account.rate-limit", "account.rate-limit"]
    assert ok.exit_code == 0


def test_unknown_check_connection_and_account_are_usage_errors(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb)
    bad = cli("doctor", "--check", "conn.permision")
    assert bad.exit_code == ExitCode.NOT_FOUND
    assert "did you mean 'conn.permissions'" in bad.stderr
    missing = cli("doctor", "acm")
    assert missing.exit_code == ExitCode.NOT_FOUND and "'acme'" in missing.stderr
    nobody = cli("doctor", "--account", "acme_9")
    assert nobody.exit_code == ExitCode.NOT_FOUND


def test_account_filter(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb)
    doc = json.loads(cli("doctor", "--account", "@acme_2", "--json").stdout)
    assert [a["username"] for a in doc["connections"][0]["accounts"]] == ["acme_2"]
    # named with the connection, an account it does not reach is looked for live and reported
    result = cli("doctor", "acme", "--account", "someone_else", "--json")
    doc = json.loads(result.stdout)
    linked = doc["connections"][0]["accounts"][0]["checks"][0]
    assert linked["id"] == "account.linked" and linked["status"] == "failure"
    assert "@someone_else is not linked to any Page" in linked["evidence"]


def test_checklist_is_offline(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx
    import keyring

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the checklist touched the network or the keyring")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    monkeypatch.setattr(keyring, "get_keyring", refuse)
    monkeypatch.setattr("igconnect.runtime.Runtime.document", refuse)
    result = cli("doctor", "--checklist")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# Before we connect your Instagram account")
    order = ["professional", "Facebook Page", "Link the Page", "Confirm the link", "role"]
    positions = [text.index(word) for word in order]
    assert positions == sorted(positions)
    assert text.count("- [ ]") >= 10


def test_broken_settings_file_skips_the_rest(cli: Any, tmp_path: Any) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("version = 1\napp_id = [\n", encoding="utf-8")
    result = cli("doctor", "--json")
    doc = json.loads(result.stdout)
    settings = doc["environment"][0]
    assert settings["status"] == "failure" and "line" in settings["evidence"]
    assert all(c["status"] == "skipped" for c in doc["environment"][1:])
    assert result.exit_code == 21
    assert config.read_text(encoding="utf-8") == "version = 1\napp_id = [\n"  # left as it was


def test_no_app_is_a_failure_with_the_command(cli: Any) -> None:
    result = cli("doctor", "--check", "env.app", "--json")
    found = json.loads(result.stdout)["environment"][0]
    assert found["status"] == "failure"
    assert found["command"] == "igconnect app set --app-id APP_ID"


def test_secrets_never_printed(sandbox: Any, cli: Any) -> None:
    sb = sandbox("password-changed")
    _conn, token = connect(sb)
    for args in (("doctor",), ("doctor", "-v"), ("doctor", "--json", "-v")):
        result = cli(*args)
        blob = result.stdout + result.stderr
        assert token not in blob
        assert sb.config.app_secret not in blob

    assert token not in stored.written_text()


def test_verbose_adds_details(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb)
    plain = cli("doctor", "--all").stdout
    verbose = cli("doctor", "-v").stdout
    assert "permissions: {" in verbose and "permissions: {" not in plain
    assert "usage: {" in verbose

"""Doctor is short by default (problems and one line per connection; --all shows every check), and
a known, permanent finding can be accepted so it stops failing cron. Real HTTP against the sandbox."""

from __future__ import annotations

import json
from typing import Any

from igconnect.errors import ExitCode
from tests.doctor.conftest import connect


def test_default_shows_only_problems_and_a_line_per_connection(sandbox: Any, cli: Any) -> None:
    sb = sandbox("page-not-linked@acme_2")
    connect(sb)
    connect(sb, "solo", provider="instagram", ig_username="acme_1")
    short = cli("doctor")
    full = cli("doctor", "--all")
    assert short.exit_code == full.exit_code == ExitCode.DOCTOR_FAILURES
    lines = short.stdout.splitlines()
    print(short.stdout)
    assert len(lines) < len(full.stdout.splitlines()) / 2
    assert "✓" not in short.stdout  # no ok check is listed
    assert lines[0].startswith("Environment: ") and lines[0].endswith(" ok")
    head = next(line for line in lines if line.startswith("Connection acme "))
    assert head.startswith("Connection acme (Facebook Login, Ada Agency): 1 problem, ")
    assert "skipped" in head
    assert any(
        line.startswith("Connection solo (Instagram Login") and "checks ok" in line
        for line in lines
    )
    assert "✗ Professional Instagram account linked: Page 'Acme Client 2'" in short.stdout
    assert ". Run: igconnect login --reconnect acme" in short.stdout
    assert "@acme_1" not in short.stdout  # a healthy account has no block
    assert lines[-1] == "1 problem in 1 connection"
    assert "igconnect doctor --all" in short.stderr
    # --all lists every check, as before
    assert "✓ Story insights readable" in full.stdout


def test_healthy_run_is_a_few_lines(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb)
    result = cli("doctor")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        result.stdout.splitlines()[0],
        result.stdout.splitlines()[1],
        "",
        "No problems found",
    ]
    assert result.stdout.startswith("Environment: all ")
    assert "Connection acme (Facebook Login, Ada Agency): all " in result.stdout
    assert result.stderr == ""


def test_accepted_finding_is_one_line_and_exits_zero(sandbox: Any, cli: Any) -> None:
    sb = sandbox("page-not-linked@acme_2")
    connect(sb)
    doc = json.loads(cli("doctor", "--json").stdout)
    page = doc["connections"][0]["accounts"][1]
    linked = next(c for c in page["checks"] if c["id"] == "account.linked")
    # the rule doctor suggests names the Page by id (no quoting needed in a shell)
    assert linked["accept_as"] == f"account.linked:{page['page_id']}"
    assert linked["accepted"] is None

    accepted = cli("doctor", "--accept", linked["accept_as"])
    assert accepted.exit_code == 0, accepted.stderr
    assert f"Accepted {linked['accept_as']}" in accepted.stderr
    assert cli("config", "get", "doctor_accept").stdout.strip() == linked["accept_as"]

    result = cli("doctor")
    assert result.exit_code == 0, result.stdout
    shown = [line for line in result.stdout.splitlines() if "Acme Client 2" in line]
    assert any(line.strip().startswith("~ Professional Instagram account linked") for line in shown)
    assert "(accepted: account.linked:" in result.stdout
    assert " 1. " not in result.stdout  # no fix steps for an accepted finding
    assert result.stdout.splitlines()[-1] == "No problems found; 1 accepted"
    doc = json.loads(cli("doctor", "--json").stdout)
    assert doc["summary"]["accepted"] == 1 and doc["summary"]["problems"] == 0
    assert doc["summary"]["exit_code"] == 0

    # accepting twice changes nothing; unaccepting makes it count again
    again = cli("doctor", "--accept", linked["accept_as"])
    assert again.exit_code == 0 and "Already accepted" in again.stderr
    assert cli("doctor", "--unaccept", linked["accept_as"]).exit_code == 0
    assert cli("doctor").exit_code == ExitCode.DOCTOR_FAILURES


def test_accept_by_name_or_account_matches_only_that_subject(sandbox: Any, cli: Any) -> None:
    sb = sandbox("page-not-linked@acme_2", "throttled@acme_1")
    connect(sb)
    # a Page named in the setting (case and spaces as the user writes them); the other finding
    # still counts
    assert cli("config", "set", "doctor_accept", "account.linked:acme client 2").exit_code == 0
    doc = json.loads(cli("doctor", "--json").stdout)
    assert doc["summary"]["accepted"] == 1
    assert doc["summary"]["problems"] >= 1  # acme_1's throttling is not accepted
    # an account with its @, and a check everywhere
    assert cli("doctor", "--accept", "account.rate-limit:@acme_1").exit_code == 0
    doc = json.loads(cli("doctor", "--json").stdout)
    assert doc["summary"]["accepted"] == 2


def test_accept_bad_rules_are_usage_errors(cli: Any) -> None:
    unknown = cli("doctor", "--accept", "account.linkd:acme_2")
    assert unknown.exit_code == ExitCode.NOT_FOUND
    assert "unknown check 'account.linkd'" in unknown.stderr
    assert "did you mean 'account.linked'" in unknown.stderr
    missing = cli("doctor", "--unaccept", "account.linked")
    assert missing.exit_code == ExitCode.NOT_FOUND
    both = cli("doctor", "--accept", "account.linked", "--unaccept", "account.linked")
    assert both.exit_code == ExitCode.USAGE


def test_accepted_env_finding_by_check_id(sandbox: Any, cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")  # the plaintext store: a warning every run
    sb = sandbox()
    connect(sb)
    assert cli("doctor").exit_code == ExitCode.DOCTOR_WARNINGS
    monkeypatch.setenv("IGCONNECT_DOCTOR_ACCEPT", "env.secret-store")
    result = cli("doctor")
    assert result.exit_code == 0, result.stdout
    assert "~ Secret store usable" in result.stdout

# ruff: noqa: F811 (the fixtures imported from the login and e2e conftests are used as arguments)
"""Repeated warnings collapse into one line with a count (or with the names they concern)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.e2e.conftest import browser  # noqa: F401 (fixture)
from tests.login.conftest import (  # noqa: F401 (fixtures)
    FakeBrowser,
    free_port,
    login_port,
    make_sandbox,
    sandbox_env,
)

from igconnect.cli.collapse import collapse, collapse_by_subject
from igconnect.errors import ExitCode
from igconnect.sandbox import Sandbox


@pytest.mark.parametrize(
    ("messages", "lines"),
    [
        ([], []),
        (["a"], ["a"]),
        (["a"] * 24, ["a (24 times)"]),
        (["a", "b", "a", "c", "a"], ["a (3 times)", "b", "c"]),  # first-seen order
    ],
)
def test_collapse(messages: list[str], lines: list[str]) -> None:
    assert collapse(messages) == lines


@pytest.mark.parametrize(
    ("items", "lines"),
    [
        ([("ada", "dead")], ["'ada': dead"]),
        ([("ada", "dead"), ("bob", "dead")], ["'ada', 'bob': dead"]),
        ([("ada", "dead"), ("ada", "dead")], ["'ada': dead"]),
        (
            [(f"c{n}", "Meta is down") for n in range(5)] + [("ada", "dead")],
            ["'c0', 'c1', 'c2' and 2 more: Meta is down", "'ada': dead"],
        ),
    ],
)
def test_collapse_by_subject(items: list[tuple[str, str]], lines: list[str]) -> None:
    assert collapse_by_subject(items) == lines


def test_one_failure_on_every_connection_is_one_line(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox_env()
    assert cli("login", "--name", "ada").exit_code == 0
    token = sb.issue_system_user_token()
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    monkeypatch.setenv("IGCONNECT_GRAPH_URL", f"http://127.0.0.1:{free_port()}")  # nobody there
    refreshed = cli("connections", "refresh")
    assert refreshed.exit_code == ExitCode.AUTH, refreshed.stderr
    warnings = [line for line in refreshed.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and warnings[0].startswith("Warning: 'ada', 'bot': "), warnings
    assert "Error: no connection could be refreshed (2 failed)" in refreshed.stderr

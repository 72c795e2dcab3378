"""Account names are accepted with or without `@` wherever a command takes one: doctor --account,
doctor --accept, export stories --account, report --account (real HTTP against the sandbox)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from igconnect.trackers.model import Tracker
from tests import stored
from tests.doctor.conftest import connect


@pytest.fixture
def acme(sandbox: Any) -> Any:
    sb = sandbox()
    connect(sb)
    stored.save_tracker(Tracker(kind="account", target="acme_1", connection="acme"))
    stored.save_tracker(Tracker(kind="account", target="acme_2", connection="acme"))
    return sb


@pytest.mark.parametrize("name", ["acme_1", "@acme_1", "@ACME_1"])
def test_doctor_account(acme: Any, cli: Any, name: str) -> None:
    for args in (("doctor", "--account", name), ("doctor", "acme", "--account", name)):
        doc = json.loads(cli(*args, "--json").stdout)
        (account,) = doc["connections"][0]["accounts"]
        assert account["username"] == "acme_1", args


@pytest.mark.parametrize("name", ["acme_1", "@acme_1"])
def test_export_and_report_account(acme: Any, cli: Any, tmp_path: Path, name: str) -> None:
    out = tmp_path / "stories.csv"
    result = cli("export", "stories", "--account", name, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()[1:]
    assert rows and all("acme_1" in row for row in rows)
    assert not any("acme_2" in row for row in rows)
    report = cli("report", "--account", name, "--out", str(tmp_path / "r.html"), "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["accounts"] == 1


def test_accept_account_with_or_without_at(acme: Any, cli: Any) -> None:
    assert cli("doctor", "--accept", "account.stories:@acme_1").exit_code == 0
    assert cli("doctor", "--accept", "account.stories:acme_1").stderr.startswith(
        "✓ Already accepted"
    )

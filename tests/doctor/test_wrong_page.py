"""`doctor CONN --account NAME` for an account the connection never recorded: the wrong-Page
evidence docs/doctor.md promises (the expected Page and the account it is linked to instead), and
no placeholder left in the text. Real HTTP against the sandbox."""

from __future__ import annotations

import json
from typing import Any

from tests.doctor.conftest import connect


def _linked(cli: Any, *args: str) -> tuple[Any, dict[str, Any]]:
    result = cli("doctor", *args, "--json")
    doc = json.loads(result.stdout)
    checks = [c for a in doc["connections"][0]["accounts"] for c in a["checks"]]
    return result, next(c for c in checks if c["id"] == "account.linked")


def test_wrong_page_from_the_start_names_the_page_by_the_accounts_name(
    sandbox: Any, cli: Any
) -> None:
    # The client had linked the wrong account before the agency ever logged in: the connection
    # recorded @acme_2_old, never @acme_2.
    sb = sandbox("wrong-page@acme_2")
    connect(sb)
    result, found = _linked(cli, "acme", "--account", "acme_2")
    assert result.exit_code == 21
    assert found["status"] == "failure"
    assert found["evidence"] == (
        "Instagram account @acme_2 is not linked to any Page this login can see: Page 'Acme "
        "Client 2' (it bears the account's name, Acme Client 2) is linked to @acme_2_old"
    )
    assert found["details"]["linked_instead"] == "acme_2_old"
    assert found["details"]["expected_page_id"] == sb.world.by_username["acme_2_old"].page_id
    assert any("unlink the Page 'Acme Client 2'" in step for step in found["fix"])
    text = cli("doctor", "acme", "--account", "@acme_2")
    assert "its Page" not in text.stdout
    assert "is linked to @acme_2_old" in text.stdout


def test_wrong_page_recorded_by_another_connection(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb, "old")  # recorded @acme_2 on Page 'Acme Client 2' while all was well
    sb.set_scenario("wrong-page", "acme_2")
    connect(sb, "ada")  # a login afterwards sees the Page linked to @acme_2_old
    _result, found = _linked(cli, "ada", "--account", "acme_2")
    assert found["evidence"] == (
        "Instagram account @acme_2 is not linked to any Page this login can see: Page 'Acme "
        "Client 2' (where connection 'old' found it) is linked to @acme_2_old"
    )


def test_unknown_account_has_no_placeholder(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb)
    _result, found = _linked(cli, "acme", "--account", "nobody_here")
    assert found["status"] == "failure"
    assert "business discovery finds no professional account @nobody_here" in found["evidence"]
    blob = json.dumps(found)
    assert "its Page" not in blob and "'None'" not in blob


def test_account_without_a_page_of_its_name(sandbox: Any, cli: Any) -> None:
    # nike is a professional account nobody in the agency manages: no Page of its name
    sb = sandbox()
    connect(sb)
    _result, found = _linked(cli, "acme", "--account", "nike")
    assert found["evidence"] == (
        "Instagram account @nike is not linked to any Page this login can see"
    )
    steps = " ".join(found["fix"])
    assert "its Page" not in steps
    assert "Link @nike to the client's Facebook Page from the Instagram app" in steps

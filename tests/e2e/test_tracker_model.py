"""Trackers that always collect (issue 12), over real HTTP against the sandbox: one login reaching
24 clients, public accounts through business discovery, typos and personal accounts refused with
close matches, bulk add, and `--all --connection`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igconnect.errors import ExitCode
from igconnect.sandbox import Sandbox
from tests import stored
from tests.login.conftest import FakeBrowser


def assigned() -> dict[str, str | None]:
    return {k: t.connection for k, t in stored.trackers().items()}


def test_one_login_reaching_24_clients_collects_all_of_them(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    sandbox_env(accounts=24, stories=2)
    assert cli("login", "--name", "ada").exit_code == 0
    for i in range(1, 25):  # as a new user does it: one command per client
        added = cli("trackers", "add", f"@acme_{i}")
        assert added.exit_code == 0, added.output
        assert "Warning" not in added.stderr
    assert assigned() == {f"@acme_{i}": "ada" for i in range(1, 25)}
    assert {t.access for t in stored.trackers().values()} == {"managed"}
    # No advice at all, so none that goes in a circle.
    listed = cli("trackers", "list")
    assert listed.exit_code == 0 and "Warning" not in listed.stderr, listed.stderr
    assert json.loads(cli("trackers", "list", "--json").stdout)["violations"] == []
    rebalanced = cli("trackers", "rebalance")
    assert "no moves" in rebalanced.stderr and "follows every rule" in rebalanced.stderr
    assert "igconnect login" not in rebalanced.stderr
    exported = cli("export", "stories", "--out", str(tmp_path / "stories.csv"), "--json")
    assert exported.exit_code == 0, exported.stderr
    summary = json.loads(exported.stdout)
    collected = {a["username"] for a in summary["accounts"] if a["state"] == "collected"}
    assert collected == {f"acme_{i}" for i in range(1, 25)}


def test_a_public_account_is_accepted_and_put_on_a_facebook_connection(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=2)
    assert cli("login", "--name", "ada").exit_code == 0
    added = cli("trackers", "add", "@nike", "--json")
    assert added.exit_code == 0, added.stderr
    (item,) = json.loads(added.stdout)["items"]
    assert (item["outcome"], item["access"], item["connection"]) == ("added", "public", "ada")
    tracker = stored.trackers()["@nike"]
    assert tracker.access == "public" and tracker.account_id == sb.world.by_username["nike"].id
    assert stored.connection("ada").provider == "facebook"
    listed = json.loads(cli("trackers", "list", "--json").stdout)
    assert listed["violations"] == []
    (ada,) = listed["connections"]
    assert (ada["managed"], ada["shared"]) == (0, 1)
    # A bare name is an account too, and the same answer comes back.
    again = cli("trackers", "add", "public_1")
    assert again.exit_code == 0 and stored.trackers()["@public_1"].access == "public"


def test_a_typo_and_a_personal_account_are_refused_with_close_matches(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env(accounts=8, scenarios=["wrong-page@acme_8"])
    assert cli("login", "--name", "ada").exit_code == 0
    assert "acme_8_old" in {a.username for a in stored.reach("ada").accounts}
    # @acme_8 itself is a professional account no Page links to any more: business discovery
    # finds it, so it is public, with a word about the managed account spelt like it.
    public = cli("trackers", "add", "@acme_8")
    assert public.exit_code == 0 and stored.trackers()["@acme_8"].access == "public"
    assert "did you mean @acme_8_old, which a connection manages?" in public.stderr
    assert cli("trackers", "remove", "@acme_8", "--yes").exit_code == 0
    # A real typo: nothing by that name.
    typo = cli("trackers", "add", "@acme_8_odl")
    assert typo.exit_code == ExitCode.NOT_FOUND, typo.output
    assert "business discovery (asked through 'ada') does not find it" in typo.stderr
    assert "did you mean @acme_8_old" in typo.stderr
    assert "`igconnect trackers add @acme_8_odl --pending`" in typo.stderr
    assert "@acme_8_odl" not in assigned()
    personal = cli("trackers", "add", "@personal_1", "--json")
    assert personal.exit_code == ExitCode.NOT_FOUND
    (item,) = json.loads(personal.stdout)["items"]
    assert item["outcome"] == "refused" and "personal account" in item["reason"]
    kept = cli("trackers", "add", "@acme_8_odl", "--pending")
    assert kept.exit_code == 0, kept.output
    tracker = stored.trackers()["@acme_8_odl"]
    assert tracker.pending and tracker.connection is None
    # doctor lists it, with the fix
    doctor = json.loads(cli("doctor", "--json").stdout)
    (waiting,) = [c for c in doctor["environment"] if c["id"] == "trackers.waiting"]
    assert waiting["status"] == "warning" and waiting["details"]["pending"] == ["@acme_8_odl"]
    assert "@acme_8_old" in " ".join(waiting["fix"])
    assert waiting["command"] == "igconnect trackers remove @acme_8_odl --yes"
    # followed, as the steps say: the typo goes, the account meant is tracked, doctor is content
    assert cli(*waiting["command"].split()[1:]).exit_code == 0
    assert cli("trackers", "add", "@acme_8_old").exit_code == 0
    doctor = json.loads(cli("doctor", "--json").stdout)
    (waiting,) = [c for c in doctor["environment"] if c["id"] == "trackers.waiting"]
    assert waiting["status"] == "ok"


def test_bulk_add_has_one_summary_and_the_worst_exit_code(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env(accounts=3)
    assert cli("login", "--name", "ada").exit_code == 0
    assert cli("trackers", "add", "@acme_3").exit_code == 0
    result = cli("trackers", "add", "@acme_1", "acme_2", "@nike", "@personal_2", "#food", "@acme_3")
    assert result.exit_code == ExitCode.NOT_FOUND, result.output  # worse than "already tracked"
    assert "6 tracker(s): 4 added, 1 already tracked, 1 refused" in result.stderr
    assert result.stderr.count("Error:") == 2  # the refused one and the one tracked already
    assert assigned() == {
        "#food": "ada",
        "@acme_1": "ada",
        "@acme_2": "ada",
        "@acme_3": "ada",
        "@nike": "ada",
    }
    only_conflict = cli("trackers", "add", "@acme_1", "#drink")
    assert only_conflict.exit_code == ExitCode.CONFLICT
    assert "#drink" in assigned()
    bad = cli("trackers", "add", "@acme_1", "not a name")
    assert bad.exit_code == ExitCode.USAGE  # bad input refuses the whole batch


def test_add_every_account_a_connection_reaches(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env(accounts=12)
    assert cli("login", "--name", "ada").exit_code == 0
    assert cli("trackers", "add", "@acme_5").exit_code == 0
    everything = cli("trackers", "add", "--all", "--connection", "ada", "--json")
    assert everything.exit_code == 0, everything.stderr
    data = json.loads(everything.stdout)
    assert (data["added"], data["exists"], data["refused"]) == (11, 1, 0)
    assert assigned() == {f"@acme_{i}": "ada" for i in range(1, 13)}
    again = cli("trackers", "add", "--all", "--connection", "ada")
    assert again.exit_code == 0 and "12 already tracked" in again.stderr
    assert cli("trackers", "add", "--all").exit_code == ExitCode.USAGE
    assert cli("trackers", "add", "--all", "--connection", "adaa").exit_code == ExitCode.NOT_FOUND


def test_import_goes_through_the_same_checks(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    sandbox_env(accounts=2)
    assert cli("login", "--name", "ada").exit_code == 0
    file = tmp_path / "trackers.csv"
    file.write_text("tracker,connection,volume\n@acme_1,,\n@nike,,\n@acme_9,,\n")
    refused = cli("trackers", "import", str(file))
    assert refused.exit_code == ExitCode.USAGE
    assert "line 4: no connection reaches @acme_9" in refused.stderr
    assert assigned() == {}
    file.write_text("tracker,connection,volume\n@acme_1,,\n@nike,,\n")
    assert cli("trackers", "import", str(file)).exit_code == 0
    trackers = stored.trackers()
    assert (trackers["@acme_1"].access, trackers["@nike"].access) == ("managed", "public")


def test_a_public_account_fails_over_to_another_facebook_connection(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    sb = sandbox_env(accounts=2)
    assert cli("login", "--name", "ada").exit_code == 0
    token = sb.issue_system_user_token(pages=["acme_2"], name="Agency Bot")
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    assert cli("trackers", "add", "@nike", "--connection", "ada").exit_code == 0
    assert cli("trackers", "add", "@acme_1").exit_code == 0  # only ada reaches it
    sb.set_scenario("password-changed")  # ada's person changed their password; bot's token lives
    for _ in range(2):  # the first run finds ada broken, the next moves what it can
        cli("export", "stories", "--out", str(tmp_path / "stories.csv"))
    assert assigned() == {"@acme_1": "ada", "@nike": "bot"}

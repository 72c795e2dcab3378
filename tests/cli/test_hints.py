# ruff: noqa: F811 (the fixtures imported from tests/login/conftest.py are used as arguments)
"""Advice that works: every command a connection or login message suggests is parsed out of the
message and run, and must succeed. The sandbox plays Meta over HTTP; a browser follows the consent
page; prompts are answered on a real pty where the command asks a person.

`COVERED` lists the shapes of the commands followed here; `test_every_suggested_command_is_followed`
reads the sources and fails when a message suggests a command of a shape no test follows."""

from __future__ import annotations

import os
import pty
import re
import shlex
import sys
import webbrowser
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests import stored
from tests.login.conftest import (  # noqa: F401 (fixtures)
    FakeBrowser,
    login_port,
    make_sandbox,
    sandbox_env,
)

from igconnect.errors import ExitCode
from igconnect.sandbox import Sandbox
from igconnect.sandbox.config import DEFAULT_INSTAGRAM_APP_ID, DEFAULT_INSTAGRAM_APP_SECRET
from igconnect.sandbox.consent import follow_consent
from igconnect.sandbox.world import BOB_ID
from igconnect.timestamps import iso_z
from igconnect.trackers.model import Tracker

SRC = Path(__file__).resolve().parents[2] / "src" / "igconnect"
IGCONNECT = Path(sys.executable).with_name("igconnect")
# The shapes (command words and flags, no values) of every command followed below.
COVERED = {
    "igconnect login",
    "igconnect login --reconnect",
    "igconnect login --provider",
    "igconnect login --invite --name",
    "igconnect login --invite --reconnect",
    "igconnect login --system-user --name",
    "igconnect logout --force",
    "igconnect connections list",
    "igconnect connections show",
    "igconnect connections invites",
    "igconnect connections rename",
    "igconnect app set --instagram-app-id",
    "igconnect app set --instagram-app-id --instagram-app-secret-stdin",
    "igconnect doctor",
    "igconnect trackers --help",
    "igconnect app set --help",
    "igconnect app show",
    "igconnect config set",
    "igconnect login --name",
    "igconnect trackers add",
    "igconnect trackers add --pending",
    "igconnect trackers add --all --connection",
    "igconnect trackers assign",
    "igconnect trackers remove --yes",
    "igconnect trackers list",
    "igconnect trackers rebalance --apply",
    "igconnect trackers classify",
    "igconnect trackers classify --set",
    "igconnect trackers import --pending",
}
# Suggested by these files, followed elsewhere (the file says where) or not a next step.
EXEMPT = {
    "igconnect app set --app-id": "tests/doctor/test_doctor_cli.py (no Meta app)",
    "igconnect app set --app-id --app-secret-stdin": "tests/cli/test_root.py (no terminal)",
    "igconnect demo": "the name of the command in a docstring",
    "igconnect login --invite": "the name of the option in a docstring",
    "igconnect schedule show": "a pointer in the ssh hint of the paste path",
    "igconnect login --no-browser": "tests/e2e/test_login_cli.py (paste the redirect URL)",
    "igconnect connections": "the name of the command group in a docstring",
    "igconnect connections ...": "the name of the command group in a docstring",
    "igconnect logout": "the name of the command in a docstring",
    "igconnect app": "the name of the command group in a docstring",
    "igconnect app set": "built from the flags given: both forms are followed (here, test_root)",
    "igconnect trackers": "the name of the command group in a docstring",
    "igconnect.trackers.rules.load_summary": "a module named in a docstring",
    "igconnect export": "the name of the command in a docstring (run throughout test_export_hints)",
}
SOURCES = [
    "connections",
    "login",
    "meta_app.py",
    "meta/oauth.py",
    "trackers/failover.py",
    "cli/login_cmd.py",
    "cli/connections_cmd.py",
    "cli/app_cmd.py",
    "trackers",
    "cli/trackers_cmd.py",
    "cli/trackers_render.py",
    "doctor/checks_trackers.py",
    "export/profiles.py",
    "export/hashtags.py",
    "export/kinds.py",
    "export/results.py",
]


GROUPS = {"connections", "trackers", "app", "config", "export", "schedule", "sandbox"}


def shape(command: str) -> str:
    """`igconnect connections show acme --check` → `igconnect connections show --check`."""
    words = shlex.split(command.split("<", 1)[0])
    out = words[:2]
    rest = words[2:]
    if len(words) > 1 and words[1] in GROUPS and rest and not rest[0].startswith("-"):
        out.append(rest.pop(0))
    return " ".join(out + [w for w in rest if w.startswith("--")])


def suggested(text: str) -> list[str]:
    """Every `igconnect ...` command between backticks in `text`, in order."""
    return [c for c in re.findall(r"`([^`]+)`", text) if c.startswith("igconnect")]


def follow(
    cli: Any,
    text: str,
    *,
    index: int = 0,
    subs: dict[str, str] | None = None,
    input: str | None = None,
    ok: tuple[int, ...] = (0,),
) -> Any:
    """Run the `index`-th command `text` suggests (placeholders replaced) and check it worked."""
    commands = suggested(text)
    assert commands, f"no command suggested in: {text}"
    command = commands[index]
    for placeholder, value in (subs or {}).items():
        command = command.replace(placeholder, value)
    assert shape(command) in COVERED, shape(command)
    args = shlex.split(command.split("<", 1)[0])[1:]
    result = cli(*args, input=input)
    assert result.exit_code in ok, f"`{command}` failed:\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> FakeBrowser:
    fake = FakeBrowser()
    monkeypatch.setattr(webbrowser, "open", fake)
    monkeypatch.setenv("BROWSER", "fake-browser")
    return fake


def _on_a_terminal(
    args: list[str], answers: dict[bytes, str], timeout: float = 60
) -> tuple[int, str]:
    """Run igconnect on a pty that is its controlling terminal (as a person's shell gives it, so
    hidden prompts can turn echo off), typing each answer when its prompt shows."""
    import select
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    pid, leader = pty.fork()
    if pid == 0:  # the child: becomes igconnect
        os.execve(str(IGCONNECT), [str(IGCONNECT), *args], env)
    seen, pending = b"", dict(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        seen += data
        for prompt in list(pending):
            if prompt in seen:
                os.write(leader, pending.pop(prompt).encode() + b"\r")
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(leader)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


# -- the scenarios ----------------------------------------------------------------------------------
def test_login_hints(sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any) -> None:
    sb = sandbox_env(accounts=3, scenarios=["already-connected"])
    browser.tamper = lambda address: address.replace("code=", "code=x")
    refused = cli("login")
    assert refused.exit_code == ExitCode.LOGIN_FAILED
    assert "Meta refused to exchange the login code" in refused.stderr
    browser.tamper = None
    empty = cli("connections", "list")
    follow(cli, empty.stderr)  # "run `igconnect login` to add one": it makes 'ada-agency'
    # The refused exchange's other pointers (its `igconnect login` was just followed).
    error_line = refused.stderr.split("Error:")[-1]
    assert suggested(error_line)[0] == "igconnect login"
    for index in range(1, len(suggested(error_line))):
        follow(cli, error_line, index=index)
    assert cli("config", "unset", "login_pkce").exit_code == 0
    again = cli("login", "--name", "other")  # the same person twice
    assert again.exit_code == ExitCode.CONFLICT
    follow(cli, again.stderr)
    clash = cli("login", "--name", "ada-agency")
    follow(cli, clash.stderr, index=-1)
    rename = cli("login", "--reconnect", "ada-agency", "--name", "ada")
    follow(cli, rename.stderr, subs={"NEW": "ada"})
    wrong = cli("login", "--reconnect", "ada", "--provider", "instagram")
    follow(cli, wrong.stderr, index=-1)  # "add a new connection with `login --provider instagram`"
    # Permissions: a new login without one, a reconnect that would lose one, one that would lose
    # accounts; each fix followed with every permission and Page ticked.
    sb.set_session_user(BOB_ID)
    browser.decline_scopes = ("instagram_manage_insights",)
    lacking = cli("login", "--name", "bob")
    assert lacking.exit_code == ExitCode.PERMISSION_MISSING
    browser.decline_scopes = ()
    follow(cli, lacking.stderr)
    browser.decline_scopes = ("instagram_manage_insights",)
    downgrade = cli("login", "--reconnect", "bob")
    assert downgrade.exit_code == ExitCode.PERMISSION_MISSING
    browser.decline_scopes = ()
    follow(cli, downgrade.stderr)
    sb.set_session_user(sb.world.users["10000000000000001"].id)
    browser.pages = [str(sb.world.by_username["acme_1"].page_id)]
    fewer = cli("login", "--reconnect", "ada")
    assert fewer.exit_code == ExitCode.CONFLICT
    browser.pages = None
    follow(cli, fewer.stderr)
    # A Page without an Instagram account: the doctor it points to explains it.
    sb.set_scenario("page-not-linked", "acme_3")
    noted = cli("login", "--reconnect", "ada", "--force")
    assert "Page 'Acme Client 3' has no linked Instagram" in noted.stderr
    follow(cli, noted.stderr, ok=(0, ExitCode.DOCTOR_WARNINGS, ExitCode.DOCTOR_FAILURES))


def test_connection_hints(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    sb = sandbox_env(accounts=2)
    assert cli("login", "--name", "ada").exit_code == 0
    unknown = cli("connections", "show", "adaa")
    assert unknown.exit_code == ExitCode.NOT_FOUND
    follow(cli, unknown.stderr)
    # Broken: from `list --check`, `refresh`, an export that has nowhere to move the tracker.
    stored.save_tracker(Tracker("account", "acme_1", connection="ada"))
    sb.set_scenario("password-changed")
    checked = cli("connections", "list", "--check")
    refreshed = cli("connections", "refresh", "ada")
    cli("export", "stories", "--out", str(tmp_path / "stories.csv"))
    exported = cli("export", "stories", "--out", str(tmp_path / "stories.csv"))
    sb.clear_scenarios()
    for text in (checked.stderr, refreshed.stderr, exported.stderr):
        follow(cli, text)
    # Expiring soon.
    connection = stored.connection("ada")
    connection.token_expires_at = datetime.now(UTC) + timedelta(days=3)
    stored.save_connection(connection, stored.reach("ada").accounts)
    expiring = cli("connections", "list")
    assert "expires in 3 day(s)" in expiring.stderr
    follow(cli, expiring.stderr)


def test_export_hints(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    """What `igconnect export` suggests works: a dead connection's one line, a hashtag over Meta's
    budget, a public account business discovery cannot find."""
    from igconnect.export.archive import Archive
    from igconnect.export.public import PublicArchive
    from igconnect.runtime import Runtime

    sb = sandbox_env(accounts=2, scenarios=["already-connected"])  # Bob exists too
    assert cli("login", "--name", "ada").exit_code == 0
    stored.save_tracker(Tracker("account", "acme_1", connection="ada"))
    stored.save_tracker(Tracker("hashtag", "coffee", connection="ada"))
    out = tmp_path / "exports"
    out.mkdir()
    sb.set_scenario("password-changed")
    cli("export", "--out", str(out))  # finds the token dead
    broken = cli("export", "--out", str(out))
    assert broken.exit_code == ExitCode.NOTHING_COLLECTED
    lines = [line for line in broken.stderr.splitlines() if "ada" in line]
    assert len(lines) == 1 and "2 trackers not collected (#coffee, @acme_1)" in lines[0]
    sb.remove_scenario("password-changed")
    follow(cli, lines[0])  # `igconnect login --reconnect ada`
    assert cli("export", "--out", str(out)).exit_code == 0
    # Every account of 'ada' has used its 30 hashtags this week (another run did): a new one is
    # skipped, and moving it to a connection with room works.
    now = datetime.now(UTC)
    with Archive(Runtime().paths.archive_file) as archive:
        public = PublicArchive(archive)
        for account in stored.reach("ada").accounts:
            for i in range(30):
                public.record_query(account.id, f"used{i}", now)
    stored.save_tracker(Tracker("hashtag", "tea", connection="ada"))
    over = cli("export", "hashtags", "--out", str(out / "h.csv"))
    assert over.exit_code == ExitCode.PARTIAL and "#tea skipped" in over.stderr
    sb.set_session_user(BOB_ID)
    assert cli("login", "--name", "bob").exit_code == 0
    follow(cli, over.stderr.split("Warning:")[1], subs={"CONNECTION": "bob"})
    moved = cli("export", "hashtags", "--out", str(out / "h.csv"), "--hashtag", "#tea")
    assert moved.exit_code == 0, moved.stderr
    # A name business discovery does not find: removing the tracker works.
    stored.save_tracker(Tracker("account", "personal_1", connection="ada"))
    unknown = cli("export", "profiles", "--out", str(out / "p.csv"))
    assert unknown.exit_code == ExitCode.PARTIAL
    follow(cli, unknown.stderr.split("@personal_1 (")[1])


def test_failover_hint(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    sb = sandbox_env(accounts=1)
    assert cli("login", "--name", "ada").exit_code == 0
    token = sb.issue_system_user_token()
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    stored.save_tracker(Tracker("account", "acme_1", connection="ada"))
    sb.set_scenario("password-changed")
    cli("export", "stories", "--out", str(tmp_path / "stories.csv"))
    moved = cli("export", "stories", "--out", str(tmp_path / "stories.csv"))
    assert "moved @acme_1 from 'ada'" in moved.stderr
    sb.clear_scenarios()
    follow(cli, moved.stderr)


def test_system_user_hints(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    from tests.e2e.conftest import new_system_user_token

    sb = sandbox_env()
    empty = cli("login", "--system-user", "--name", "bot", input="")
    assert empty.exit_code == ExitCode.USAGE
    token = sb.issue_system_user_token(expires_in_60_days=True, name="Agency Bot")
    follow(cli, empty.stderr, subs={"NAME": "bot"}, input=token)
    sb.advance_clock(days=61)
    checked = cli("connections", "list", "--check")
    assert "'bot': the token expired" in checked.stderr
    follow(cli, checked.stderr, input=new_system_user_token(sb, stored.connection("bot").user_id))
    no_invite = cli("login", "--invite", "--reconnect", "bot")
    assert no_invite.exit_code == ExitCode.USAGE
    follow(cli, no_invite.stderr, input=new_system_user_token(sb, stored.connection("bot").user_id))


def test_invite_hints(sandbox_env: Callable[..., Sandbox], cli: Any) -> None:
    sb = sandbox_env(scenarios=["already-connected"])
    sb.set_session_user(BOB_ID)
    url = cli("login", "--invite", "--name", "bobs").stdout.strip()
    twice = cli("login", "--invite", "--name", "bobs")
    follow(cli, twice.stderr)  # `connections invites`
    unknown = cli("login", "--complete", "http://localhost:8765/callback?code=x&state=forged")
    follow(cli, unknown.stderr)
    address = follow_consent(url)
    assert cli("login", "--complete", address).exit_code == 0
    used = cli("login", "--complete", address)
    follow(cli, used.stderr)  # `connections show bobs`
    # A broken connection made from an invite: a new link for the client.
    sb.set_scenario("password-changed")
    checked = cli("connections", "list", "--check")
    assert "send the client a new link" in checked.stderr
    renewal = follow(cli, checked.stderr)
    sb.remove_scenario("password-changed")
    assert cli("login", "--complete", follow_consent(renewal.stdout.strip())).exit_code == 0
    # Expired.
    stale = cli("login", "--invite", "--name", "later").stdout.strip()
    from igconnect.runtime import Runtime

    with Runtime().state.transaction() as db:
        db.execute(
            "UPDATE invites SET expires_at = ? WHERE name = 'later'",
            (iso_z(datetime(2020, 1, 1, tzinfo=UTC)),),
        )
    expired = cli("login", "--complete", follow_consent(stale))
    follow(cli, expired.stderr)


def test_hints_that_ask_a_person_on_a_terminal(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox_env(accounts=1)
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")  # reachable from the child process
    monkeypatch.delenv("IGCONNECT_INSTAGRAM_APP_ID")
    monkeypatch.delenv("IGCONNECT_INSTAGRAM_APP_SECRET")
    no_app = cli("login", "--provider", "instagram")
    assert no_app.exit_code == ExitCode.CONFIG
    (command,) = suggested(no_app.stderr.split("Error:")[-1])
    command = command.replace("INSTAGRAM_APP_ID", DEFAULT_INSTAGRAM_APP_ID)
    assert shape(command) in COVERED
    code, screen = _on_a_terminal(
        # click writes "...secret:", then getpass turns echo off and writes the space.
        shlex.split(command)[1:],
        {b"Instagram app secret: ": DEFAULT_INSTAGRAM_APP_SECRET},
    )
    assert code == 0, screen
    assert DEFAULT_INSTAGRAM_APP_SECRET not in screen  # a hidden prompt
    # Without a terminal it says how to pipe the secret in, and that works too.
    piped = cli("app", "set", "--instagram-app-id", DEFAULT_INSTAGRAM_APP_ID)
    follow(
        cli, piped.stderr, subs={"ID": DEFAULT_INSTAGRAM_APP_ID}, input=DEFAULT_INSTAGRAM_APP_SECRET
    )
    assert cli("login", "--provider", "instagram", "--name", "shop").exit_code == 0
    # Logout with trackers: the --force it suggests asks on a terminal.
    stored.save_tracker(Tracker("account", "acme_1", connection="shop"))
    refused = cli("logout", "shop")
    assert refused.exit_code == ExitCode.CONFLICT
    (command,) = suggested(refused.stderr)
    assert shape(command) in COVERED
    code, screen = _on_a_terminal(shlex.split(command)[1:], {b"Go ahead?": "y"})
    assert code == 0, screen
    assert "Logged out of 'shop'" in screen
    # And the pointers to help.
    unassigned = [line for line in screen.splitlines() if "trackers --help" in line]
    assert unassigned
    follow(cli, unassigned[0])
    follow(cli, cli("app", "set").stderr)


def test_tracker_hints(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Path
) -> None:
    import json

    sb = sandbox_env(accounts=3, scenarios=["already-connected", "wrong-page@acme_3"])
    assert cli("login", "--name", "ada").exit_code == 0
    # A typo: refused; the --pending it offers keeps it; `list` then says how to fix it.
    typo = cli("trackers", "add", "@acme_3_odl")
    assert typo.exit_code == ExitCode.NOT_FOUND
    follow(cli, typo.stderr.split("Error:")[-1], index=-1)  # `trackers add @acme_3_odl --pending`
    listed = cli("trackers", "list").stderr
    line = next(x for x in listed.splitlines() if "@acme_3_odl is pending" in x)
    follow(cli, line, index=0)  # `trackers remove @acme_3_odl --yes`
    follow(cli, line, index=1)  # `trackers add @acme_3_old`
    assert stored.trackers()["@acme_3_old"].connection == "ada"
    # Unassigned: `list` names the connection to assign it to; asked twice, it says how to move.
    assert cli("trackers", "unassign", "@acme_3_old").exit_code == 0
    line = next(x for x in cli("trackers", "list").stderr.splitlines() if "@acme_3_old" in x)
    follow(cli, line)  # `trackers assign @acme_3_old ada`
    twice = cli("trackers", "add", "acme_3_old")
    assert twice.exit_code == ExitCode.CONFLICT
    follow(cli, twice.stderr, subs={"CONNECTION": "ada"})
    # The export's hint for an unassigned tracker is complete and works.
    assert cli("trackers", "add", "@acme_2").exit_code == 0
    assert cli("trackers", "unassign", "@acme_2").exit_code == 0
    exported = cli("export", "stories", "--out", str(tmp_path / "stories.csv"))
    line = next(x for x in exported.stderr.splitlines() if "@acme_2" in x or "acme_2" in x)
    follow(cli, line)
    assert stored.trackers()["@acme_2"].connection == "ada"
    # Over the recommended load of one platform budget: another person's login, then rebalance.
    for tag in ("#t1", "#t2", "#t3", "#t4"):
        assert cli("trackers", "add", tag).exit_code == 0
    crowded = cli("trackers", "add", "#t5")
    assert "--system-user" in crowded.stderr
    sb.set_session_user(BOB_ID)
    follow(cli, crowded.stderr, subs={"NAME": "bob"})  # `login --name NAME` as Bob
    command = suggested(crowded.stderr)[-1]  # `trackers rebalance --apply`: it asks first
    assert shape(command) in COVERED
    code, screen = _on_a_terminal(shlex.split(command)[1:], {b"Go ahead?": "y"})
    assert code == 0 and "applied" in screen, screen
    after = cli("trackers", "list")
    assert "Warning" not in after.stderr, after.stderr  # no advice left, so none in a circle
    # An empty connection: doctor says how to track what it reaches.
    token = sb.issue_system_user_token(pages=["bobs_bakery"], name="Agency Bot")
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    report = json.loads(cli("doctor", "--json").stdout)
    (bot,) = [c for c in report["connections"] if c["name"] == "bot"]
    (load,) = [c for c in bot["checks"] if c["id"] == "trackers.load"]
    follow(cli, load["evidence"])  # `trackers add --all --connection bot`
    # A connection that cannot carry it: let igconnect choose.
    assert cli("trackers", "add", "@acme_1").exit_code == 0
    refused = cli("trackers", "assign", "@acme_1", "bot")
    assert refused.exit_code == ExitCode.CONFLICT
    follow(cli, refused.stderr)  # `trackers assign @acme_1`
    unknown = cli("trackers", "remove", "@nobody")
    follow(cli, unknown.stderr)  # `trackers list`
    empty = cli("trackers", "add")
    follow(cli, empty.stderr, subs={"@USERNAME": "@nike", "'#HASHTAG'": "'#x1'"})
    # A file with an account nothing can read: its line says how to keep it anyway.
    file = tmp_path / "trackers.csv"
    file.write_text("tracker\n@acme_1\n@nobody_at_all\n")
    imported = cli("trackers", "import", str(file))
    assert imported.exit_code == ExitCode.USAGE
    line = next(x for x in imported.stderr.splitlines() if "@nobody_at_all" in x)
    follow(cli, line, index=-1, subs={"FILE": str(file)})  # `trackers import FILE --pending`
    assert stored.trackers()["@nobody_at_all"].pending
    # Hashtags cannot be measured: the note says how to set one, once.
    classified = cli("trackers", "classify")
    note = next(x for x in classified.stderr.splitlines() if "--set" in x)
    follow(cli, note, subs={"'#HASHTAG'": "'#t1'"})
    follow(cli, "see `igconnect trackers classify`", ok=(0, ExitCode.PARTIAL))


def test_every_suggested_command_is_followed() -> None:
    found: dict[str, str] = {}
    for name in SOURCES:
        path = SRC / name
        for file in [path] if path.is_file() else sorted(path.glob("*.py")):
            text = file.read_text(encoding="utf-8")
            for command in re.findall(r"`(igconnect[^`]*)`", text):
                command = re.sub(r"\{[^}]*\}", "X", command)
                found.setdefault(shape(command), str(file.relative_to(SRC)))
    missing = {s: f for s, f in found.items() if s not in COVERED and s not in EXEMPT}
    assert not missing, f"suggested but never followed by a test: {missing}"

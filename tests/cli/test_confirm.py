"""What destroys asks first: on a terminal it shows the plan and waits for a yes; without one it
needs --yes, and the command its refusal suggests works; --dry-run changes nothing."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests import stored

from igconnect.connections.model import Account, Connection
from igconnect.errors import ExitCode
from igconnect.trackers.model import Tracker

IGCONNECT = Path(sys.executable).with_name("igconnect")

# (command, what must still be there after a refusal or a dry run, what is gone once done)
CASES = [
    (["logout", "acme", "--force"], lambda: "acme" in stored.connections()),
    (["logout", "acme", "--revoke", "--force"], lambda: "acme" in stored.connections()),
    (["trackers", "remove", "@p"], lambda: "@p" in stored.trackers()),
    (
        ["trackers", "move", "--from", "acme", "--to", "spare"],
        lambda: stored.trackers()["@p"].connection == "acme",
    ),
    (["trackers", "rebalance", "--apply"], lambda: stored.trackers()["@p"].connection == "acme"),
]


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two connections reaching @p and @q, both public-account trackers on acme (over the capacity
    of 1 for trackers sharing a platform budget), so that each command of CASES has something to
    do. The file store lets child processes in."""
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    monkeypatch.setenv("IGCONNECT_TRACKER_CAPACITY", "1")
    accounts = [Account("id-p", "p"), Account("id-q", "q")]
    stored.save_connection(
        Connection("acme", "facebook"), accounts, token="EAAtoken-acme-0123456789"
    )
    stored.save_connection(
        Connection("spare", "facebook"), accounts, token="EAAtoken-spare-0123456"
    )
    for name in ("p", "q"):
        stored.save_tracker(Tracker("account", name, connection="acme", access="public"))


@pytest.mark.parametrize(("args", "untouched"), CASES)
def test_without_a_terminal_it_needs_yes_and_the_hint_works(
    home: None, cli: Any, args: list[str], untouched: Any
) -> None:
    refused = cli(*args)
    assert refused.exit_code == ExitCode.USAGE, refused.output
    assert "without a confirmation" in refused.stderr
    suggested = refused.stderr.split("`")[1]
    assert suggested == "igconnect " + " ".join(args) + " --yes"
    assert untouched()
    dry = cli(*[a for a in args if a != "--apply"], "--dry-run") if args[-1] != "--apply" else None
    if dry is not None:
        assert dry.exit_code == 0, dry.output
        assert "Dry run: would" in dry.stderr and "Nothing was changed." in dry.stderr
        assert dry.stdout == ""
        assert untouched()
        planned = cli(*args, "--dry-run", "--json")  # the plan, for a script
        assert planned.exit_code == 0, planned.output
        assert json.loads(planned.stdout)["dry_run"] is True
        assert untouched()
    done = cli(*suggested.split()[1:])
    assert done.exit_code == 0, done.output
    assert not untouched()


def _on_a_terminal(args: list[str], answer: str) -> tuple[int, str]:
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    process = subprocess.Popen(
        [str(IGCONNECT), *args], env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    seen = b""
    while b"Go ahead?" not in seen:
        data = os.read(leader, 4096)
        if not data:
            break
        seen += data
    os.write(leader, answer.encode() + b"\r")
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        seen += data
    os.close(leader)
    return process.wait(timeout=60), seen.decode("utf-8", "replace")


@pytest.mark.parametrize("answer", ["n", "y"])
def test_on_a_terminal_it_shows_the_plan_and_asks(home: None, answer: str) -> None:
    code, screen = _on_a_terminal(["logout", "acme", "--force"], answer)
    assert code == 0, screen
    assert "This will log out of 'acme'" in screen
    assert "unassign 2 tracker(s): @p, @q" in screen
    if answer == "n":
        assert "Nothing was changed." in screen and "acme" in stored.connections()
    else:
        assert "Logged out of 'acme'" in screen and "acme" not in stored.connections()
        assert {t.connection for t in stored.trackers().values()} == {None}


def test_logout_with_revoke_shows_both_steps_on_a_terminal(home: None) -> None:
    code, screen = _on_a_terminal(["logout", "acme", "--revoke", "--force"], "n")
    assert code == 0, screen
    assert "This will log out of 'acme'" in screen
    assert "revoke the app's permissions on Meta's side for this login" in screen
    assert "unassign 2 tracker(s): @p, @q" in screen
    assert "Nothing was changed." in screen and "acme" in stored.connections()

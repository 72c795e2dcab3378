# ruff: noqa: F811 (the fixtures imported from the login and e2e conftests are used as arguments)
"""Tables fit the width: COLUMNS, else the terminal, else 120 columns for output no terminal reads;
ids keep one line and end in "…", messages fold onto more lines and lose nothing."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from tests.e2e.conftest import browser  # noqa: F401 (fixture)
from tests.login.conftest import (  # noqa: F401 (fixtures)
    FakeBrowser,
    login_port,
    make_sandbox,
    sandbox_env,
)

from igconnect.cli.context import PIPE_WIDTH, output_width
from igconnect.cli.tables import table
from igconnect.sandbox import Sandbox

LONG = "acme-agency-of-northern-europe"


class _Tty:
    """A stream on a pseudo-terminal of a given width."""

    def __init__(self, columns: int) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))

    def fileno(self) -> int:
        return self.slave

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


class _Pipe:
    def fileno(self) -> int:
        raise OSError("not a terminal")


@pytest.mark.parametrize(
    ("environ", "terminal", "width"),
    [
        ({"COLUMNS": "80"}, 150, 80),  # COLUMNS first, even on a terminal
        ({}, 150, 150),  # the terminal's width, found on stderr when stdout is piped
        ({}, None, PIPE_WIDTH),  # no terminal at all: cron mail, a log file
        ({"COLUMNS": "wide"}, None, PIPE_WIDTH),  # nonsense is ignored
        ({"COLUMNS": "0"}, None, PIPE_WIDTH),
    ],
)
def test_output_width(environ: dict[str, str], terminal: int | None, width: int) -> None:
    tty = _Tty(terminal) if terminal else None
    try:
        streams = [_Pipe(), tty] if tty else [_Pipe(), _Pipe()]
        assert output_width(environ, streams) == width
    finally:
        if tty:
            tty.close()


def test_ids_end_in_an_ellipsis_and_messages_fold() -> None:
    made = table(("id", "id"), ("message", "text"))
    message = (
        "Meta answered with code 190: the session was invalidated because the password changed"
    )
    made.add_row("inv_0123456789abcdef0123456789", message)
    console = Console(width=40, file=open(os.devnull, "w"), record=True)  # noqa: SIM115
    console.print(made)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 40
    rows = [line.split("│")[1:3] for line in lines if line.count("│") == 3]  # the data rows
    assert rows[0][0].strip().startswith("inv_") and rows[0][0].strip().endswith("…")
    assert all(not cell.strip() for cell, _message in rows[1:])  # the id kept to one line
    folded = " ".join(message.strip() for _cell, message in rows)
    assert folded == message  # the message folded onto more lines, nothing lost


@pytest.mark.parametrize("columns", [80, 60])
def test_every_table_fits_columns_when_piped(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, columns: int
) -> None:
    sandbox_env(accounts=3)
    env = {"COLUMNS": str(columns)}
    printed = {"login": cli("login", "--name", LONG, env=env)}
    assert cli("login", "--invite", "--name", LONG + "-client").exit_code == 0
    assert cli("trackers", "add", "@acme_1", "--connection", LONG).exit_code == 0
    for args in (
        ("connections", "list"),
        ("connections", "list", "--check"),
        ("connections", "invites"),
        ("config", "show"),
        ("trackers", "list"),
        ("trackers", "classify"),
    ):
        printed[" ".join(args)] = cli(*args, env=env)
    for label, result in printed.items():
        assert result.exit_code == 0, f"{label}: {result.stderr}"
        assert result.stdout.count("\n") > 3, label  # a table was printed
        too_wide = [line for line in result.stdout.splitlines() if len(line) > columns]
        assert too_wide == [], label


def test_piped_with_no_terminal_and_no_columns_is_120_wide(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    shown = subprocess.run(
        [sys.executable, "-m", "igconnect", "config", "show"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = shown.stdout.splitlines()
    assert max(len(line) for line in lines) <= PIPE_WIDTH < 200
    assert max(len(line) for line in lines) > 100  # it used the room it has, not 80

"""`igconnect --help` and `--version` must stay fast: no httpx, keyring, sqlite3 or matplotlib (the
report extra) at start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("httpx", "keyring", "sqlite3", "_sqlite3", "tomlkit", "matplotlib")

PROBE = """
import runpy, sys
sys.argv = ["igconnect", *{args!r}]
try:
    runpy.run_module("igconnect", run_name="__main__")
except SystemExit:
    pass
loaded = [m for m in {heavy!r} if m in sys.modules]
sys.__stderr__.write("LOADED:" + ",".join(loaded) + "\\n")
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["trackers", "--help"], ["export", "--help"], ["report", "--help"]],
)
def test_help_and_version_import_no_heavy_module(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = [ln for ln in result.stderr.splitlines() if ln.startswith("LOADED:")]
    assert line, result.stderr
    assert line[-1] == "LOADED:", f"{args} imported {line[-1][7:]}"


def test_python_dash_m_and_version_output() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "igconnect", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    from igconnect import __version__

    assert result.stdout.startswith(f"igconnect {__version__}\nPython 3.")
    for dependency in ("typer", "rich", "httpx", "keyring", "tomlkit"):
        assert dependency in result.stdout

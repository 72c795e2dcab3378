"""The igconnect commands the docs show, run: none may exit 1 (a bug) or 2 (a command line we no
longer accept), like `igconnect config path -v` once did (issue 15, case 11).

Every `igconnect ...` line of a code block and every inline `` `igconnect ...` `` of docs/*.md and
README.md is one of:
- skipped, for the reason in SKIP (needs a browser and a real Meta app, edits the crontab, ...);
- a synopsis (placeholders such as NAME, [--json], a|b) or a mention of a command by name in a
  sentence (MENTIONS): its command must exist, so `igconnect <command> --help` must exit 0;
- an invocation: run in a fresh offline home (endpoints on a closed loopback port, memory keyring).
"""

from __future__ import annotations

import re
import shlex
import socket
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

SKIP = {
    "igconnect login": "opens a browser on Meta's login dialog (tests/e2e cover it on the sandbox)",
    "igconnect schedule install": "edits the crontab of whoever runs the tests",
    "igconnect schedule remove": "edits the crontab of whoever runs the tests",
    "igconnect sandbox serve": "serves until stopped (tests/sandbox cover it)",
    "igconnect demo": "a whole run on the sandbox (tests/e2e/test_demo.py covers it)",
    # Named by docs/export.md and docs/report.md, but no such command exists yet: remove this line
    # when it does, or fix those docs.
    "igconnect export profiles": "not a command (yet)",
}
# Commands named in a sentence, not meant to be typed as they are.
MENTIONS = {
    "igconnect app set",
    "igconnect archive restore",
    "igconnect report",
    "igconnect config set",
    "igconnect connections show",
    "igconnect schedule",
}
_PLACEHOLDER = re.compile(r"\[|\||\.\.\.|\b[A-Z][A-Z_]+\b|^-?-?[a-z]+=[A-Z]")


def doc_commands() -> list[tuple[str, str]]:
    """(where, command) for every igconnect command shown in the docs, once each."""
    found: dict[str, str] = {}
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
            for line in block.splitlines():
                line = re.sub(r"^\$\s+", "", line.strip())
                if line.startswith("igconnect "):
                    found.setdefault(re.split(r"\s{2,}#", line)[0].strip(), path.name)
        for span in re.findall(r"`(igconnect [^`]+)`", text):
            found.setdefault(span.strip(), path.name)
    return sorted((where, command) for command, where in found.items())


def _command_path(words: list[str]) -> list[str]:
    """The command and subcommand words, up to the first option, value or placeholder."""
    path: list[str] = []
    for word in words[1:]:
        if not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        path.append(word)
    return path[:2]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every endpoint on a loopback port nobody listens on: a command that calls Meta fails fast."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    for key in ("GRAPH", "FACEBOOK", "INSTAGRAM_GRAPH", "INSTAGRAM", "INSTAGRAM_API"):
        monkeypatch.setenv(f"IGCONNECT_{key}_URL", closed)
    monkeypatch.setenv("IGCONNECT_HTTP_RETRIES", "0")
    monkeypatch.chdir(tmp_path)


def test_the_docs_show_commands() -> None:
    commands = [c for _, c in doc_commands()]
    assert "igconnect config path -v" in commands
    assert len(commands) > 30


@pytest.mark.parametrize(("where", "command"), doc_commands())
def test_a_command_from_the_docs(cli: Any, offline: None, where: str, command: str) -> None:
    skipped = next((why for prefix, why in SKIP.items() if command.startswith(prefix)), None)
    if skipped:
        pytest.skip(skipped)
    words = shlex.split(command)
    if command in MENTIONS or _PLACEHOLDER.search(command.removeprefix("igconnect")):
        result = cli(*_command_path(words), "--help")
        assert result.exit_code == 0, f"{where}: `{command}` names no command: {result.output}"
        return
    result = cli(*words[1:], input="")
    assert result.exit_code not in (1, 2), f"{where}: `{command}` exits {result.exit_code}: " + (
        result.output
    )

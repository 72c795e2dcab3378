"""Help that is true: every command's --help reads as users write (no `<bool>`, `<list[str]>`,
`TEXT`), has no stray spaces or sentences cut where a docstring's line ended, and every example
in it parses (the sandbox's really runs: tests/cli/test_sandbox_example.py)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command

from igconnect.cli.app import app

ROOT = get_command(app)
TYPED_METAVAR = re.compile(r"<[A-Za-z_][\w\[\]|, .]*>|\b(TEXT|INTEGER|FLOAT|BOOLEAN|PATH)\b")
STRAY_SPACE = re.compile(r"\S (?=[.,;:)](\s|$))|\S {2,}\S")


def _commands(cmd: Any = ROOT, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        if not sub.hidden:
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands())
IDS = [" ".join(p) or "igconnect" for p, _ in COMMANDS]


def examples(help_text: str | None) -> list[str]:
    """The commands of a help text's examples: lines `$ igconnect ...`, `igconnect ...` or
    `Example: igconnect ...`."""
    out = []
    for line in (help_text or "").splitlines():
        line = line.strip()
        for prefix in ("$ ", "Example: ", "Examples: "):
            if line.startswith(prefix):
                line = line[len(prefix) :]
        if line.startswith("igconnect "):
            out.append(line)
    return out


def parse_check(command_line: str) -> None:
    """Parse a command line as igconnect would, down to its command, without running it."""
    words = shlex.split(command_line)[1:]
    for i, word in enumerate(words):
        if word in ("<", ">", "|", "&&", ";", "&"):  # the shell's, not igconnect's
            words = words[:i]
            break
    cmd = ROOT
    ctx = cmd.make_context("igconnect", list(words))
    while hasattr(cmd, "resolve_command"):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        if not rest and getattr(cmd, "invoke_without_command", False):
            return  # a group that runs by itself (`igconnect export`: every kind)
        assert rest, f"{command_line!r} names no command"
        name, cmd, rest = (
            ROOT.resolve_command(ctx, rest) if cmd is ROOT else _resolve(cmd, ctx, rest)
        )
        ctx = cmd.make_context(name, rest, parent=ctx)


def _resolve(cmd: Any, ctx: Any, rest: list[str]) -> Any:
    return cmd.resolve_command(ctx, rest)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_reads_as_users_write(cli: Any, path: tuple[str, ...], command: Any) -> None:
    result = cli(*path, "--help", env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert not TYPED_METAVAR.search(text), TYPED_METAVAR.search(text)
    assert not re.search(r"[\w)] \.(\s|$)", text), text  # "or - for stdout ."
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage  # a required argument is NAME, not typer's `{NAME}`
    prose = [command.help or "", *(p.help or "" for p in command.params)]
    for piece in prose:
        for line in piece.splitlines():
            if line.startswith(("$ ", "  ")):
                continue
            assert not STRAY_SPACE.search(line), (line, STRAY_SPACE.search(line))
    # A sentence is never cut where the docstring's line ended: every paragraph that is not a
    # list of examples is one line.
    for paragraph in (command.help or "").split("\n\n"):
        lines = paragraph.splitlines()
        if not any(line.startswith(("$ ", "igconnect ", "- ", "  ")) for line in lines[1:]):
            assert len(lines) <= 1, paragraph


EXAMPLES = [(" ".join(p), e) for p, c in COMMANDS for e in examples(c.help)]


@pytest.mark.parametrize(("where", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_every_example_parses(where: str, example: str) -> None:
    assert example.startswith("igconnect " + where) or not where, (where, example)
    parse_check(example)


def test_examples_are_found() -> None:
    assert len(EXAMPLES) >= 20
    assert "igconnect doctor --accept account.linked:20000000000000002" in [e for _, e in EXAMPLES]


def test_a_bad_example_would_fail_the_parse_check() -> None:
    with pytest.raises(Exception, match="No such option"):
        parse_check("igconnect doctor --no-such-flag")
    with pytest.raises(Exception, match="No such command"):
        parse_check("igconnect connections lst")


def test_config_path_verbose_works(cli: Any) -> None:
    # docs/configuration.md says `igconnect config path -v`
    result = cli("config", "path", "-v")
    assert result.exit_code == 0, result.output
    assert "data dir: " in result.stderr and "state dir: " in result.stderr

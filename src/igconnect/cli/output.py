"""One way out for every command: a result dataclass from the core, rendered for people or as JSON.

A result has `to_json()` (a JSON object with stable keys, pinned by tests/cli/test_json_contract.py)
and an `exit_code` property: the result decides how the command ends, never the command module.
A result that ends in an error line (`Error: ... — next step`) also has `failure()`, returning the
`IgconnectError` to report after the output, or None.

    render(obj, result, text, json_flag=json_output)

is `show` (JSON or `text(obj, result)`) followed by `finish` (gathered warnings, then the exit
code). A command that prints something in both forms (the export's problems) calls the two
itself, with its extra lines in between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import typer

from igconnect.cli.context import CliContext


class Result(Protocol):
    @property
    def exit_code(self) -> int: ...

    def to_json(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Result)


def show(
    obj: CliContext,
    result: R,
    text: Callable[[CliContext, R], None],
    *,
    json_flag: bool = False,
    json_to_stderr: bool = False,
) -> None:
    """Print `result` as JSON (global `--json` or the command's) or with its text renderer."""
    if obj.wants_json(json_flag):
        obj.emit_json(result.to_json(), to_stderr=json_to_stderr)
    else:
        text(obj, result)


def finish(obj: CliContext, result: Result) -> None:
    """Print the gathered warnings, then end the command as the result says: its error line
    (through the root's error translation) or its exit code."""
    obj.flush_warnings()
    failure = getattr(result, "failure", None)
    error = failure() if callable(failure) else None
    if error is not None:
        raise error
    code = int(result.exit_code)
    if code:
        raise typer.Exit(code)


def render(
    obj: CliContext, result: R, text: Callable[[CliContext, R], None], *, json_flag: bool = False
) -> None:
    show(obj, result, text, json_flag=json_flag)
    finish(obj, result)


def said_already(obj: CliContext, result: Result) -> None:
    """The text form of a dry run: `confirm.go_ahead` has shown the plan; only `--json` adds it."""

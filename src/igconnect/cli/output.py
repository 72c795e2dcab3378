"""One way out for every command: a result dataclass from the core, rendered for people or as JSON.

A core result has `to_json()` (stable keys, pinned by a contract test) and, when the command can
end in anything but success, an `exit_code`. The command passes it here with its text renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import typer

from igconnect.cli.context import CliContext


class Result(Protocol):
    def to_json(self) -> Any: ...


R = TypeVar("R", bound=Result)


def render(
    obj: CliContext, result: R, text: Callable[[CliContext, R], None], *, json_flag: bool = False
) -> None:
    """Print `result` as JSON (global `--json` or the command's) or with `text`, then end the
    command with the result's exit code."""
    if obj.wants_json(json_flag):
        obj.emit_json(result.to_json())
    else:
        text(obj, result)
    obj.flush_warnings()
    code = int(getattr(result, "exit_code", 0))
    if code:
        raise typer.Exit(code)

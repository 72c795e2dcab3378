"""Asking before what destroys: on a terminal the plan is shown and the person says yes; without one
(cron, pipes) the command needs `--yes`; `--dry-run` shows the plan and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from igconnect.cli.context import CliContext
from igconnect.errors import UsageError

YES_HELP = "Do it without asking (needed without a terminal)."
DRY_RUN_HELP = "Show what would happen; change nothing."


def go_ahead(
    obj: CliContext, action: str, plan: Sequence[str], *, yes: bool, dry_run: bool, command: str
) -> bool:
    """Whether to carry out `action` (one line, e.g. "log out of 'acme'"), after showing `plan`.

    `command` is the command line to repeat with `--yes` (for the message without a terminal).
    False for a dry run (the plan was shown); raises when there is no terminal and no `--yes`.
    """
    if dry_run:
        _show(obj, f"Dry run: would {action}", plan)
        obj.info("Nothing was changed.")
        return False
    if yes:
        return True
    if not obj.interactive:
        raise UsageError(
            f"refusing to {action} without a confirmation (no terminal to ask on)",
            hint=f"add --yes to confirm (`{command} --yes`), or --dry-run to see what it would do",
        )
    _show(obj, f"This will {action}", plan)
    if not typer.confirm("Go ahead?", default=False, err=True):
        obj.info("Nothing was changed.")
        return False
    return True


def _show(obj: CliContext, title: str, plan: Sequence[str]) -> None:
    obj.info(f"{title}:" if plan else f"{title}.")
    for line in plan:
        obj.info(f"  {line}")

"""`igconnect trackers`: what is tracked, and which connection carries it."""

from __future__ import annotations

from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.confirm import DRY_RUN_HELP, YES_HELP
from igconnect.cli.output import render, said_already

trackers_app = typer.Typer(
    help="Accounts and hashtags to track, and the connection each one uses (see docs/trackers.md).",
    no_args_is_help=True,
)

_TRACKER_HELP = "@USERNAME (or USERNAME) or '#HASHTAG'."
_STRICT_HELP = "Refuse instead of warning when the connection would go over capacity or is broken."
_JSON_HELP = "Output JSON."


def register(app: typer.Typer) -> None:
    app.add_typer(trackers_app, name="trackers")


def _warn_all(obj: cli_context.CliContext, warnings: list[str]) -> None:
    obj.warn_all(warnings)  # repeats collapse into one line with a count


@trackers_app.command("add")
def add_command(
    ctx: typer.Context,
    trackers: list[str] = typer.Argument(
        None,
        metavar="TRACKER",
        help="@USERNAME (or USERNAME) and '#HASHTAG' (quote # in the shell); several at once.",
    ),
    connection: str | None = typer.Option(
        None, "--connection", "-c", help="Connection to use (default: the best one by the rules)."
    ),
    every_account: bool = typer.Option(
        False, "--all", help="Track every account the --connection reaches."
    ),
    high_volume: bool = typer.Option(
        False, "--high-volume", help="Mark them high-volume (a budget of their own)."
    ),
    pending: bool = typer.Option(
        False,
        "--pending",
        help="Keep an account that nothing can read yet, instead of refusing it.",
    ),
    strict: bool = typer.Option(False, "--strict", help=_STRICT_HELP),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Track Instagram accounts and hashtags: a managed account on a connection that reaches it, a
    public professional account through business discovery; one nothing can read is refused.

    Example: igconnect trackers add @acme_shop acme_cafe '#summersale'

    Every account a connection reaches: igconnect trackers add --all --connection acme
    """
    from igconnect.cli.trackers_render import render_add
    from igconnect.trackers.adding import add_trackers

    obj = cli_context.get(ctx)
    report = add_trackers(
        obj.runtime,
        list(trackers or []),
        connection,
        every_account=every_account,
        high_volume=high_volume,
        strict=strict,
        pending=pending,
    )
    render(obj, report, render_add, json_flag=json_output)


@trackers_app.command("assign")
def assign_command(
    ctx: typer.Context,
    tracker: str = typer.Argument(..., help=_TRACKER_HELP),
    connection: str | None = typer.Argument(
        None, help="Connection name (default: the best one by the rules)."
    ),
    strict: bool = typer.Option(False, "--strict", help=_STRICT_HELP),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Put a tracker on a connection, or on the best one by the rules when none is named.

    Example: igconnect trackers assign @acme_shop acme
    """
    from igconnect.cli.trackers_render import render_assign
    from igconnect.trackers.service import assign_tracker

    obj = cli_context.get(ctx)
    result = assign_tracker(obj.runtime, tracker, connection, strict=strict)
    render(obj, result, render_assign, json_flag=json_output)


@trackers_app.command("unassign")
def unassign_command(
    ctx: typer.Context,
    tracker: str = typer.Argument(..., help=_TRACKER_HELP),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Take a tracker off its connection (it stays tracked, and collects nothing until assigned)."""
    from igconnect.trackers.service import unassign_tracker

    obj = cli_context.get(ctx)
    render(obj, unassign_tracker(obj.runtime, tracker), _unassign_text, json_flag=json_output)


def _unassign_text(obj: cli_context.CliContext, result: Any) -> None:
    if result.changed:
        obj.success(f"{result.tracker.key} is unassigned (was on '{result.previous}')")
    else:
        obj.info(f"{result.tracker.key} was not assigned")


@trackers_app.command("remove")
def remove_command(
    ctx: typer.Context,
    tracker: str = typer.Argument(..., help=_TRACKER_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Stop tracking an account or hashtag (what was collected stays in the archive)."""
    from igconnect.cli.confirm import go_ahead
    from igconnect.trackers.service import remove_tracker

    obj = cli_context.get(ctx)
    planned = remove_tracker(obj.runtime, tracker, dry_run=True)
    key, on = planned.tracker.key, planned.tracker.connection
    where = f" (on '{on}')" if on else " (unassigned)"
    plan = [f"stop tracking {key}{where}; what was collected stays in the archive"]
    command = f"igconnect trackers remove {key}"
    if not go_ahead(obj, f"remove {key}", plan, yes=yes, dry_run=dry_run, command=command):
        if dry_run:
            render(obj, planned, said_already, json_flag=json_output)
        return
    render(obj, remove_tracker(obj.runtime, tracker), _remove_text, json_flag=json_output)


def _remove_text(obj: cli_context.CliContext, result: Any) -> None:
    obj.success(f"stopped tracking {result.tracker.key}")


@trackers_app.command("move")
def move_command(
    ctx: typer.Context,
    source: str = typer.Option(..., "--from", help="Connection the trackers are on now."),
    target: str = typer.Option(..., "--to", help="Connection to move them to."),
    strict: bool = typer.Option(False, "--strict", help=_STRICT_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Move every tracker from one connection to another (all or nothing).

    Example, after reconnecting under a new name: igconnect trackers move --from acme --to acme-2
    """
    from igconnect.cli.confirm import go_ahead
    from igconnect.trackers.service import move_trackers

    obj = cli_context.get(ctx)
    planned = move_trackers(obj.runtime, source, target, strict=strict, dry_run=True)
    if not planned.moved:
        render(obj, planned, _move_text, json_flag=json_output)
        return
    plan = [f"{key}: '{source}' → '{target}'" for key in planned.moved] + [
        f"warning: {w}" for w in planned.warnings
    ]
    action = f"move {len(planned.moved)} tracker(s) from '{source}' to '{target}'"
    command = f"igconnect trackers move --from {source} --to {target}"
    if not go_ahead(obj, action, plan, yes=yes, dry_run=dry_run, command=command):
        if dry_run:
            render(obj, planned, said_already, json_flag=json_output)
        return
    result = move_trackers(obj.runtime, source, target, strict=strict)
    render(obj, result, _move_text, json_flag=json_output)


def _move_text(obj: cli_context.CliContext, result: Any) -> None:
    if not result.moved:
        obj.info(f"no trackers to move from '{result.source}'")
        return
    _warn_all(obj, result.warnings)
    obj.success(
        f"moved {len(result.moved)} tracker(s) from '{result.source}' to '{result.target}': "
        + ", ".join(result.moved)
    )


@trackers_app.command("list")
def list_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=_JSON_HELP)
) -> None:
    """Trackers grouped by connection, with each connection's load, status and last rate-limit
    usage."""
    from igconnect.trackers.listing import list_trackers

    obj = cli_context.get(ctx)
    from igconnect.cli.trackers_render import render_listing

    render(obj, list_trackers(obj.runtime), render_listing, json_flag=json_output)


@trackers_app.command("rebalance")
def rebalance_command(
    ctx: typer.Context,
    apply: bool = typer.Option(False, "--apply", help="Write the proposed assignment."),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Propose the assignment that follows the rules with the fewest moves; --apply writes it
    (after asking, on a terminal, when it moves trackers)."""
    from igconnect.cli.confirm import go_ahead
    from igconnect.trackers.service import rebalance

    obj = cli_context.get(ctx)
    result = rebalance(obj.runtime, apply=False)
    moves = result.proposal.moves
    if apply and moves:
        plan = [
            f"{m.tracker}: {m.source or 'unassigned'} → {m.target or 'unassigned'}" for m in moves
        ]
        action = f"move {len(moves)} tracker(s)"
        if go_ahead(
            obj,
            action,
            plan,
            yes=yes,
            dry_run=False,
            command="igconnect trackers rebalance --apply",
        ):
            result = rebalance(obj.runtime, apply=True)
    from igconnect.cli.trackers_render import render_rebalance

    render(obj, result, render_rebalance, json_flag=json_output)


@trackers_app.command("classify")
def classify_command(
    ctx: typer.Context,
    tracker: str | None = typer.Argument(None, help="@USERNAME or '#HASHTAG' (default: all)."),
    set_volume: str | None = typer.Option(
        None, "--set", help="Set the volume class by hand: high or normal."
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Measure whether accounts are high-volume (posts and likes over 30 days), and record it.

    Example: igconnect trackers classify @acme_shop
    """
    from igconnect.cli.trackers_render import render_classify
    from igconnect.trackers.classify import classify

    obj = cli_context.get(ctx)
    report = classify(obj.runtime, tracker, set_volume=set_volume)
    render(obj, report, render_classify, json_flag=json_output)


@trackers_app.command("export")
def export_command(
    ctx: typer.Context,
    file: str = typer.Argument("-", metavar="[FILE|-]", help="CSV file to write, or - for stdout."),
) -> None:
    """Write every tracker to a CSV file (tracker, connection, volume), to keep it in git or a
    spreadsheet.

    Example: igconnect trackers export trackers.csv
    """
    from pathlib import Path

    from igconnect.fileio import atomic_write_text
    from igconnect.trackers.transfer import export_csv

    obj = cli_context.get(ctx)
    text = export_csv(obj.runtime)
    if file == "-":
        obj.out.file.write(text)
        return
    atomic_write_text(Path(file).expanduser(), text)
    obj.success(f"wrote {text.count(chr(10)) - 1} tracker(s) to {file}")


@trackers_app.command("import")
def import_command(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE|-", help="CSV file to read, or - for stdin."),
    sync: bool = typer.Option(False, "--sync", help="Also remove the trackers FILE does not list."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; change nothing."),
    pending: bool = typer.Option(
        False, "--pending", help="Keep the accounts nothing can read yet instead of refusing them."
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Add the trackers of a CSV file and set their connection and volume, all or nothing.

    The file has a header: tracker,connection,volume. An empty connection lets igconnect choose;
    an empty volume keeps the current one. One bad line and nothing is imported: every bad line is
    listed with its number.

    Example: igconnect trackers import trackers.csv --dry-run
    """
    import sys
    from pathlib import Path

    from igconnect.errors import UsageError
    from igconnect.trackers.transfer import ImportRefused, import_csv

    obj = cli_context.get(ctx)
    try:
        text = sys.stdin.read() if file == "-" else Path(file).expanduser().read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise UsageError(
            f"cannot read {file}: {reason}", hint="give the path of a CSV file"
        ) from None
    try:
        result = import_csv(
            obj.runtime, text, source=file, sync=sync, dry_run=dry_run, pending=pending
        )
    except ImportRefused as exc:
        for problem in exc.problems:
            obj.err.print(f"  {problem}", markup=False, highlight=False)
        raise

    def said(obj: cli_context.CliContext, result: Any) -> None:
        _import_text(obj, result, file, dry_run=dry_run)

    render(obj, result, said, json_flag=json_output)


def _import_text(obj: cli_context.CliContext, result: Any, file: str, *, dry_run: bool) -> None:
    _warn_all(obj, result.warnings)
    counts = (
        f"{len(result.added)} added, {len(result.updated)} updated, {len(result.removed)} removed, "
        f"{result.unchanged} unchanged"
    )
    if dry_run:
        obj.info(f"Dry run of {file}: {counts}; nothing was changed")
    else:
        obj.success(f"imported {file}: {counts}")
    if result.unassigned:
        obj.warn(
            f"{len(result.unassigned)} tracker(s) have no connection that can carry them: "
            + ", ".join(result.unassigned[:5])
            + " (see `igconnect trackers list`)"
        )

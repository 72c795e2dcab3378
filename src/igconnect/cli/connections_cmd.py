"""`igconnect connections`: list, show, rename and refresh the stored logins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.collapse import collapse_by_subject
from igconnect.cli.output import render

connections_app = typer.Typer(
    help="The stored Meta logins (connections) and the Instagram accounts each reaches.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(connections_app, name="connections")


def _days(value: float | None) -> str:
    if value is None:
        return "never"
    if value <= 0:
        return "expired"
    return f"{value:.0f}"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """When a status was last confirmed, for people: "just now", "5 min ago", "never"."""
    if moment is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86400 * 2:
        return f"{seconds // 3600:.0f} h ago"
    return f"{seconds // 86400:.0f} days ago"


def _status(connection: Any) -> str:
    if connection.status == "ok":
        return "ok"
    return f"{connection.status}: {connection.broken_reason or 'unknown'}"


def _kind(connection: Any) -> str:
    return "system user" if connection.is_system_user else "user"


CHECK_HELP = "Confirm each token with Meta first (one cheap call each, in parallel) and record it."


@connections_app.command("list")
def list_command(
    ctx: typer.Context,
    check: bool = typer.Option(False, "--check", help=CHECK_HELP),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """List the connections: kind, user, accounts, trackers, status (and when Meta last confirmed
    it), days until expiry.

    It exits 5 when the secret store cannot be used (no token can be read). With --check it exits
    4 if a token is dead, 5 if one could not be read, 7 if Meta could not be asked about one; 0
    when every token was confirmed. Safe from cron (no prompt, bounded).

    Example: igconnect connections list --check
    """
    from igconnect.connections.service import list_connections

    obj = cli_context.get(ctx)
    render(obj, list_connections(obj.runtime, check=check), _list_text, json_flag=json_output)


def _list_text(obj: cli_context.CliContext, result: Any) -> None:
    summaries = result.summaries
    if not summaries:
        obj.info("No connections yet: run `igconnect login` to add one.")
        return
    from igconnect.cli.tables import table as new_table

    unreadable = result.store_error is not None
    title = (
        "Connections (their tokens cannot be read: the secret store is unavailable)"
        if unreadable
        else f"Connections (tokens in the {summaries[0].secret_store})"
    )
    table = new_table(
        ("name", "id"),
        ("provider", "id"),
        ("kind", "text"),
        ("user", "text"),
        ("accounts", "text"),
        ("trackers", "number"),
        ("status", "text"),
        ("checked", "text"),
        ("token days", "number"),
        ("data days", "number"),
        title=title,
    )
    now = datetime.now(UTC)
    for s in summaries:
        c = s.connection
        checked = ago(c.checked_at, now)
        if s.check is not None and not s.check.definite:
            checked = f"{checked} (now: {s.check.message})"
        table.add_row(
            c.name,
            c.provider,
            _kind(c),
            c.user_name,
            ", ".join("@" + u for u in s.usernames) or "(none)",
            str(s.trackers),
            "token unreadable" if unreadable else _status(c),
            checked,
            _days(s.token_days_left),
            _days(s.data_access_days_left),
        )
    obj.out.print(table)
    dead = [
        (s.connection.name, s.check.message)
        for s in summaries
        if s.check is not None and s.check.result in ("broken", "checkpoint")
    ]
    for line in collapse_by_subject(dead):
        obj.warn(line)
    if result.store_error is not None:
        _store_error(obj, result.store_error)


def _store_error(obj: cli_context.CliContext, exc: Any) -> None:
    """The one-line error of an unusable secret store: what happened, what to do."""
    hint = f" — {exc.hint}" if exc.hint else ""
    obj.err.print(f"Error: the tokens cannot be read: {exc.message}{hint}", markup=False)


@connections_app.command("show")
def show_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Connection name."),
    check: bool = typer.Option(False, "--check", help=CHECK_HELP),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Show everything known about one connection (the token masked).

    Example: igconnect connections show acme --check
    """
    from igconnect.connections.service import show_connection

    obj = cli_context.get(ctx)
    render(obj, show_connection(obj.runtime, name, check=check), _show_text, json_flag=json_output)


def _show_text(obj: cli_context.CliContext, details: Any) -> None:
    data = details.to_json()
    summary = details.summary
    c = summary.connection
    checked = ago(c.checked_at)
    if summary.check is not None:
        checked += f" ({summary.check.result}: {summary.check.message})"
    lines = [
        ("name", c.name),
        ("id", c.id),
        ("provider", c.provider),
        ("kind", _kind(c) + (", token from an invite link" if c.origin == "invite" else "")),
        ("user", f"{c.user_name} ({c.user_id})"),
        ("status", "token unreadable" if details.token_error else _status(c)),
        ("checked", checked),
        ("token", f"{details.token} in the {summary.secret_store}"),
        (
            "token expires",
            f"{data['token_expires_at'] or 'never'} ({_days(summary.token_days_left)} days)",
        ),
        (
            "data access expires",
            f"{data['data_access_expires_at'] or 'n/a'} "
            f"({_days(summary.data_access_days_left)} days)",
        ),
        ("scopes granted", ", ".join(c.scopes_granted) or "(none)"),
        ("scopes declined", ", ".join(c.scopes_declined) or "(none)"),
        ("created", data["created_at"] or ""),
        ("renewed", data["renewed_at"] or "never"),
        ("trackers", ", ".join(details.trackers) or "(none)"),
    ]
    for label, value in lines:
        obj.out.print(f"{label + ':':<21}{value}")
    obj.out.print("accounts:")
    for a in details.reach.accounts:
        via = f" via Page '{a.page_name}'" if a.page_name else ""
        obj.out.print(f"  @{a.username} ({a.id}){via}")
    for p in details.reach.pages:
        if not p.instagram_account_id:
            obj.out.print(f"  Page '{p.name}' ({p.id}): no linked Instagram account")
    if details.token_error is not None:
        _store_error(obj, details.token_error)


@connections_app.command("invites")
def invites_command(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="Also the used and expired invites."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """List the pending invite links (`igconnect login --invite`) and when each expires.

    Example: igconnect connections invites --all
    """
    from igconnect.login.invite import list_invites

    obj = cli_context.get(ctx)
    render(
        obj, list_invites(obj.runtime, include_done=show_all), _invites_text, json_flag=json_output
    )


def _invites_text(obj: cli_context.CliContext, result: Any) -> None:
    if not result.invites:
        obj.info("No pending invites: `igconnect login --invite --name NAME` makes one.")
        return
    from igconnect.cli.tables import table as new_table

    table = new_table(
        ("id", "id"),
        ("connection", "id"),
        ("provider", "id"),
        ("status", "text"),
        ("made", "text"),
        ("expires", "text"),
        ("used", "text"),
    )
    for invite in result.invites:
        name = invite.name + (" (renewal)" if invite.reconnect_id else "")
        table.add_row(
            invite.id,
            name,
            invite.provider,
            invite.status(result.now),
            ago(invite.created_at, result.now),
            f"{invite.expires_at:%Y-%m-%d %H:%M} UTC",
            ago(invite.used_at, result.now) if invite.used_at else "",
        )
    obj.out.print(table)


@connections_app.command("rename")
def rename_command(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="Current name."),
    new: str = typer.Argument(..., help="New name."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Rename a connection; its trackers follow it.

    Example: igconnect connections rename acme acme-agency
    """
    from igconnect.connections.service import rename

    obj = cli_context.get(ctx)
    render(obj, rename(obj.runtime, old, new), _rename_text, json_flag=json_output)


def _rename_text(obj: cli_context.CliContext, result: Any) -> None:
    obj.success(f"Renamed '{result.previous}' to '{result.name}'")


@connections_app.command("refresh")
def refresh_command(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="Connection name (default: all)."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Renew Instagram Login tokens and re-read every connection's accounts and expiry.

    Facebook tokens cannot be renewed this way: log in again with `igconnect login --reconnect NAME`.
    """
    from igconnect.connections.service import refresh_connections

    obj = cli_context.get(ctx)
    render(obj, refresh_connections(obj.runtime, name), _refresh_text, json_flag=json_output)


def _refresh_text(obj: cli_context.CliContext, result: Any) -> None:
    for outcome in result.outcomes:
        if outcome.succeeded:
            obj.success(f"{outcome.name}: {outcome.message}")
    # the same failure on many connections (Meta down) is one line naming them
    for line in collapse_by_subject((o.name, o.message) for o in result.failed):
        obj.warn(line)

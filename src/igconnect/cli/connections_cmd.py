"""`igconnect connections`: list, show, rename and refresh the stored logins."""

from __future__ import annotations

import typer

from igconnect.cli import context as cli_context

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


@connections_app.command("list")
def list_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Output JSON.")
) -> None:
    """List the connections: user, accounts, trackers, status and days until expiry."""
    from igconnect.connections.service import list_connections

    obj = cli_context.get(ctx)
    summaries = list_connections(obj.runtime)
    if obj.wants_json(json_output):
        obj.emit_json([s.to_json() for s in summaries])
        obj.flush_warnings()
        return
    if not summaries:
        obj.info("No connections yet: run `igconnect login` to add one.")
        return
    from rich.table import Table

    table = Table(title=f"tokens in the {summaries[0].secret_store}", title_justify="left")
    for column in (
        "name",
        "provider",
        "user",
        "accounts",
        "trackers",
        "status",
        "token days",
        "data days",
    ):
        table.add_column(column)
    for s in summaries:
        c = s.connection
        status = c.status if not c.is_broken else f"broken: {c.broken_reason or 'unknown'}"
        table.add_row(
            c.name,
            c.provider,
            c.user_name,
            ", ".join("@" + u for u in s.usernames) or "(none)",
            str(s.trackers),
            status,
            _days(s.token_days_left),
            _days(s.data_access_days_left),
        )
    obj.out.print(table)
    obj.flush_warnings()


@connections_app.command("show")
def show_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Connection name."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Show everything known about one connection (the token masked).

    Example: igconnect connections show acme
    """
    from igconnect.connections.service import show_connection

    obj = cli_context.get(ctx)
    details = show_connection(obj.runtime, name)
    data = details.to_json()
    if obj.wants_json(json_output):
        obj.emit_json(data)
        obj.flush_warnings()
        return
    c = details.summary.connection
    lines = [
        ("name", c.name),
        ("id", c.id),
        ("provider", c.provider),
        ("user", f"{c.user_name} ({c.user_id})"),
        ("status", c.status + (f": {c.broken_reason}" if c.broken_reason else "")),
        ("token", f"{details.token} in the {details.summary.secret_store}"),
        (
            "token expires",
            f"{data['token_expires_at'] or 'never'} ({_days(details.summary.token_days_left)} days)",
        ),
        (
            "data access expires",
            f"{data['data_access_expires_at'] or 'n/a'} ({_days(details.summary.data_access_days_left)} days)",
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
    obj.flush_warnings()


@connections_app.command("rename")
def rename_command(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="Current name."),
    new: str = typer.Argument(..., help="New name."),
) -> None:
    """Rename a connection; its trackers follow it.

    Example: igconnect connections rename acme acme-agency
    """
    from igconnect.connections.service import rename

    obj = cli_context.get(ctx)
    rename(obj.runtime, old, new)
    obj.success(f"Renamed '{old}' to '{new}'")


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
    from igconnect.errors import AuthError, PartialFailure

    obj = cli_context.get(ctx)
    outcomes = refresh_connections(obj.runtime, name)
    if obj.wants_json(json_output):
        obj.emit_json([o.to_json() for o in outcomes])
    for outcome in outcomes:
        line = f"{outcome.name}: {outcome.message}"
        if outcome.action in ("refreshed", "checked"):
            if not obj.wants_json(json_output):
                obj.success(line)
        else:
            obj.warn(line)
    obj.flush_warnings()
    bad = [o for o in outcomes if o.action not in ("refreshed", "checked")]
    if bad and len(bad) == len(outcomes):
        raise AuthError(
            f"no connection could be refreshed ({len(bad)} failed)",
            hint="see the lines above; `igconnect doctor NAME` explains each",
        )
    if bad:
        raise PartialFailure(f"{len(bad)} of {len(outcomes)} connections could not be refreshed")

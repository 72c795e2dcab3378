"""`igconnect login` and `igconnect logout`."""

from __future__ import annotations

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.confirm import DRY_RUN_HELP, YES_HELP


def register(app: typer.Typer) -> None:
    app.command("login")(login_command)
    app.command("logout")(logout_command)


def login_command(
    ctx: typer.Context,
    name: str = typer.Option(
        None, "--name", help="Name of the new connection (default: from the Meta user / username)."
    ),
    provider: str = typer.Option(
        None,
        "--provider",
        help="facebook (default: Pages and their Instagram accounts) or instagram.",
    ),
    port: int = typer.Option(
        None, "--port", min=1, max=65535, help="Loopback port of the callback (setting login_port)."
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Print the URL and read the final address pasted on stdin."
    ),
    timeout: float = typer.Option(
        None, "--timeout", min=1, help="Seconds to wait for the browser (setting login_timeout)."
    ),
    reconnect: str = typer.Option(
        None, "--reconnect", help="Renew this connection's token; its trackers stay on it."
    ),
    force: bool = typer.Option(
        False, "--force", help="With --reconnect: accept a different Meta user coming back."
    ),
    json_output: bool = typer.Option(False, "--json", help="Output the new connection as JSON."),
) -> None:
    """Connect Instagram accounts by logging in with Facebook (or Instagram) in the browser.

    Register exactly http://localhost:8765/callback as a redirect URI in the Meta app first
    (docs/login.md). Over SSH, or with --no-browser, paste the address the browser ends on.

    Example: igconnect login --name acme
    """
    from igconnect.connections.service import summarize
    from igconnect.login.flow import LoginOptions, run_login

    obj = cli_context.get(ctx)
    options = LoginOptions(
        provider=provider,
        name=name,
        port=port,
        no_browser=no_browser,
        timeout=timeout,
        reconnect=reconnect,
        force=force,
    )
    result = run_login(obj.runtime, options, notify=obj.info)
    connection = result.connection
    if obj.wants_json(json_output):
        data = summarize(
            obj.runtime,
            connection,
            store=result.secret_store,
            usernames=[a.username for a in result.reach.accounts],
        ).to_json()
        data["reconnected"] = result.reconnected
        data["missing"] = result.missing
        obj.emit_json(data)
    else:
        from rich.table import Table

        table = Table(
            title=f"Instagram accounts reachable through '{connection.name}'", title_justify="left"
        )
        for column in (
            "account",
            "id",
            "Facebook Page" if connection.provider == "facebook" else "type",
        ):
            table.add_column(column)
        for account in result.reach.accounts:
            third = account.page_name if connection.provider == "facebook" else account.account_type
            table.add_row("@" + account.username, account.id, third or "")
        obj.out.print(table)
    if result.replaced_user:
        obj.warn(
            f"'{connection.name}' now belongs to {connection.user_name}, not {result.replaced_user}"
        )
    verb = "renewed" if result.reconnected else "added"
    obj.success(
        f"Connection '{connection.name}' {verb} ({connection.user_name}); token in the {result.secret_store}"
    )
    for line in result.missing:
        obj.warn(f"{line}: run `igconnect doctor {connection.name}`")
    obj.flush_warnings()


def logout_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Connection to remove."),
    revoke: bool = typer.Option(
        False, "--revoke", help="Also revoke the app's permissions on Meta's side."
    ),
    force: bool = typer.Option(
        False, "--force", help="Unassign the trackers on this connection instead of refusing."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Remove a connection: its token from the secret store and its record from the state store.

    On a terminal it shows what will happen and asks first; without one it needs --yes.

    Example: igconnect logout acme --revoke
    """
    from igconnect.cli.confirm import go_ahead
    from igconnect.connections.service import logout

    obj = cli_context.get(ctx)
    planned = logout(obj.runtime, name, revoke=revoke, force=force, dry_run=True)
    plan = [f"delete the token of '{name}' and its record (the archive keeps what it collected)"]
    if revoke:
        plan.append("revoke the app's permissions on Meta's side for this login")
    if planned.unassigned:
        plan.append(
            f"unassign {len(planned.unassigned)} tracker(s): "
            + ", ".join(planned.unassigned[:10])
            + (" …" if len(planned.unassigned) > 10 else "")
        )
    flags = " --revoke" * revoke + " --force" * force
    if not go_ahead(
        obj,
        f"log out of '{name}'",
        plan,
        yes=yes,
        dry_run=dry_run,
        command=f"igconnect logout {name}{flags}",
    ):
        return
    result = logout(obj.runtime, name, revoke=revoke, force=force)
    for warning in result.warnings:
        obj.warn(warning)
    if result.unassigned:
        obj.warn(
            f"unassigned {len(result.unassigned)} tracker(s) from '{name}': "
            + ", ".join(result.unassigned)
            + " (give them another connection: see `igconnect trackers --help`)"
        )
    if result.revoked:
        obj.success("Revoked the app's permissions on Meta's side")
    obj.success(f"Logged out of '{name}'")
    obj.flush_warnings()

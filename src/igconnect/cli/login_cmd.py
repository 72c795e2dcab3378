"""`igconnect login` and `igconnect logout`."""

from __future__ import annotations

import sys
from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.confirm import DRY_RUN_HELP, YES_HELP
from igconnect.cli.output import render


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
        False,
        "--force",
        help="With --reconnect: accept a different Meta user coming back, or a token that can do "
        "less than the working one.",
    ),
    system_user: bool = typer.Option(
        False,
        "--system-user",
        help="Store a Business Manager system user's token, read from stdin (never an argument).",
    ),
    invite: bool = typer.Option(
        False, "--invite", help="Print a login link for the client to open on their own device."
    ),
    complete: str = typer.Option(
        None,
        "--complete",
        metavar="ADDRESS",
        help="Finish an invite with the address the client's browser ended on (- reads stdin).",
    ),
    redirect_uri: str = typer.Option(
        None,
        "--redirect-uri",
        help="With --invite: the redirect URI (setting invite_redirect_uri).",
    ),
    json_output: bool = typer.Option(False, "--json", help="Output the result as JSON."),
) -> None:
    """Connect Instagram accounts: log in in the browser, send the client a link, or store a
    system user's token.

    Register exactly http://localhost:8765/callback as a redirect URI in the Meta app first
    (docs/login.md). Over SSH, or with --no-browser, paste the address the browser ends on.
    A login without a permission story collection needs exits 18 and names it.

    Examples (a login here; a system user's token on stdin; an invite link, then the address
    the client's browser ended on):

    $ igconnect login --name acme

    $ igconnect login --system-user --name agency-bot < token-file

    $ igconnect login --invite --name client-shop

    $ igconnect login --complete 'http://localhost:8765/callback?code=...&state=...'
    """
    from igconnect.errors import UsageError

    obj = cli_context.get(ctx)
    modes = [m for m, on in (("--system-user", system_user), ("--invite", invite)) if on]
    if complete is not None:
        modes.append("--complete")
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot be combined", hint="pick one way to log in")
    if complete is not None:
        from igconnect.login.invite import complete_invite

        address = sys.stdin.readline() if complete == "-" else complete
        result = complete_invite(obj.runtime, address, force=force)
    elif invite:
        from igconnect.login.invite import create_invite

        made = create_invite(
            obj.runtime,
            name=name,
            provider=provider,
            reconnect=reconnect,
            redirect_uri=redirect_uri,
        )
        render(obj, made, _invite_text, json_flag=json_output)
        return
    elif system_user or (reconnect and _is_system_user(obj, reconnect)):
        from igconnect.login.system_user import login_system_user

        result = login_system_user(
            obj.runtime, _read_token(obj), name=name, reconnect=reconnect, force=force
        )
    else:
        from igconnect.login.flow import LoginOptions, run_login

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
    render(obj, result, _login_text, json_flag=json_output)


def _is_system_user(obj: cli_context.CliContext, name: str) -> bool:
    from igconnect.login.system_user import is_system_user

    return is_system_user(obj.runtime, name)


def _read_token(obj: cli_context.CliContext) -> str:
    """A system user's token: from stdin, or a hidden prompt on a terminal; never from argv."""
    if sys.stdin.isatty():
        return str(typer.prompt("System-user token", hide_input=True, err=True))
    return sys.stdin.readline()


def _login_text(obj: cli_context.CliContext, result: Any) -> None:
    from igconnect.cli.tables import table as new_table

    connection = result.connection
    facebook = connection.provider == "facebook"
    table = new_table(
        ("account", "id"),
        ("id", "id"),
        ("Facebook Page" if facebook else "type", "text"),
        title=f"Instagram accounts reachable through '{connection.name}'",
    )
    for account in result.reach.accounts:
        third = account.page_name if facebook else account.account_type
        table.add_row("@" + account.username, account.id, third or "")
    obj.out.print(table)
    if result.replaced_user:
        obj.warn(
            f"'{connection.name}' now belongs to {connection.user_name}, not {result.replaced_user}"
        )
    verb = "renewed" if result.reconnected else "added"
    who = connection.user_name
    if connection.is_system_user:
        who = f"system user {who}" + (
            "; never expires" if connection.token_expires_at is None else ""
        )
    details = f"{who}); token in the {result.secret_store}"
    if result.missing_permissions:
        from igconnect.login.finish import permissions_line

        obj.warn(
            f"Connection '{connection.name}' {verb} ({details}, but it cannot collect stories: "
            f"{permissions_line(result.missing_permissions)} not granted"
        )
        obj.warn(
            f"fix: `{result.fix}` (it asks again for declined permissions; keep every "
            "permission ticked)"
        )
    else:
        obj.success(f"Connection '{connection.name}' {verb} ({details}")
    for line in result.missing_besides_permissions:
        obj.warn(f"{line}: run `igconnect doctor {connection.name}`")


def _invite_text(obj: cli_context.CliContext, made: Any) -> None:
    invite = made.invite
    obj.out.print(made.url)
    what = f"renew '{invite.reconnect_name}'" if invite.reconnect_name else f"add '{invite.name}'"
    obj.success(
        f"Invite {invite.id} made to {what}; the link above works until "
        f"{invite.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    obj.info(
        "Send the link to the client. They log in on their own device; their browser then ends "
        f"on an address starting with {invite.redirect_uri} (with a localhost redirect the page "
        "does not load: that is expected). Ask them to copy that whole address from the address "
        "bar and send it back, then run:\n"
        "  igconnect login --complete 'ADDRESS'      (or pipe it in: --complete -)"
    )


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
    json_output: bool = typer.Option(False, "--json", help="Output the result as JSON."),
) -> None:
    """Remove a connection: its token from the secret store and its record from the state store.

    On a terminal it shows what will happen and asks first; without one it needs --yes.

    Example: igconnect logout acme --revoke
    """
    from igconnect.cli.confirm import go_ahead
    from igconnect.cli.output import said_already
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
        if dry_run:
            render(obj, planned, said_already, json_flag=json_output)
        return
    result = logout(obj.runtime, name, revoke=revoke, force=force)
    render(obj, result, _logout_text, json_flag=json_output)


def _logout_text(obj: cli_context.CliContext, result: Any) -> None:
    obj.warn_all(result.warnings)
    if result.unassigned:
        obj.warn(
            f"unassigned {len(result.unassigned)} tracker(s) from '{result.name}': "
            + ", ".join(result.unassigned)
            + " (give them another connection: see `igconnect trackers --help`)"
        )
    if result.revoked:
        obj.success("Revoked the app's permissions on Meta's side")
    obj.success(f"Logged out of '{result.name}'")

"""`igconnect app`: the agency's own Meta app (id in the settings, secret in the secret store)."""

from __future__ import annotations

import sys

import typer

from igconnect.cli import context as cli_context

meta_app = typer.Typer(help="Set up the Meta app igconnect logs in with.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(meta_app, name="app")


@meta_app.command("set")
def set_command(
    ctx: typer.Context,
    app_id: str = typer.Option(..., "--app-id", help="The app id from developers.facebook.com."),
    app_secret_stdin: bool = typer.Option(
        False, "--app-secret-stdin", help="Read the app secret from standard input."
    ),
) -> None:
    """Store the Meta app id, and its secret in the secret store.

    The secret is asked for with a hidden prompt, or read from stdin with --app-secret-stdin; it is
    never taken as an option value, which other users could see in `ps`.

    Example: igconnect app set --app-id 1234567890
    """
    from igconnect.meta_app import store_app

    obj = cli_context.get(ctx)
    if app_secret_stdin:
        secret = sys.stdin.readline().strip()
    elif obj.interactive:
        secret = typer.prompt("App secret", hide_input=True).strip()
    else:
        from igconnect.errors import UsageError

        raise UsageError(
            "no terminal to ask for the app secret",
            hint="pipe it in: `igconnect app set --app-id ID --app-secret-stdin < secret-file`",
        )
    store = store_app(obj.runtime, app_id, secret)
    obj.success(f"Meta app {app_id} set; its secret is in the {store}")
    obj.flush_warnings()


@meta_app.command("show")
def show_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Output JSON.")
) -> None:
    """Print the app id and whether a secret is stored (never the secret)."""
    from igconnect.meta_app import describe_app

    obj = cli_context.get(ctx)
    info = describe_app(obj.runtime)
    if obj.wants_json(json_output):
        obj.emit_json(info)
    else:
        obj.out.print(f"app id: {info['app_id'] or '(not set)'} ({info['app_id_source']})")
        obj.out.print(f"app secret: {info['secret']}")
    obj.flush_warnings()

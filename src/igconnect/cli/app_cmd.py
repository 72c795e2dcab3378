"""`igconnect app`: the agency's apps at Meta (ids in the settings, secrets in the secret store).

Facebook Login uses the Meta app (`--app-id`); Instagram Login uses the Instagram app of "Instagram
API with Instagram login" (`--instagram-app-id`), which has an id and secret of its own.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import render
from igconnect.errors import ExitCode

meta_app = typer.Typer(help="Set up the Meta app igconnect logs in with.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(meta_app, name="app")


@dataclass
class AppSetResult:
    stored: list[tuple[str, str]] = field(default_factory=list)  # (what, app id)
    secret_store: str = ""

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "app_id": next((i for w, i in self.stored if w == "meta"), None),
            "instagram_app_id": next((i for w, i in self.stored if w == "instagram"), None),
            "secret_store": self.secret_store,
        }


@dataclass
class AppInfo:
    info: dict[str, str | None]

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, str | None]:
        return self.info


def _secret(obj: cli_context.CliContext, from_stdin: bool, label: str, flags: str) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    if obj.interactive:
        return str(typer.prompt(label, hide_input=True)).strip()
    from igconnect.errors import UsageError

    raise UsageError(
        f"no terminal to ask for the {label.lower()}",
        hint=f"pipe it in: `igconnect app set {flags} < secret-file`",
    )


@meta_app.command("set")
def set_command(
    ctx: typer.Context,
    app_id: str = typer.Option(
        None, "--app-id", help="The Meta app's App ID (App settings → Basic), for Facebook Login."
    ),
    app_secret_stdin: bool = typer.Option(
        False, "--app-secret-stdin", help="Read the Meta app secret from standard input."
    ),
    instagram_app_id: str = typer.Option(
        None,
        "--instagram-app-id",
        help="The Instagram app ID (Instagram → API setup with Instagram login), for Instagram "
        "Login.",
    ),
    instagram_app_secret_stdin: bool = typer.Option(
        False,
        "--instagram-app-secret-stdin",
        help="Read the Instagram app secret from standard input (after the Meta app secret, "
        "when both are read).",
    ),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Store the app ids, and their secrets in the secret store.

    Each secret is asked for with a hidden prompt, or read from stdin with --app-secret-stdin /
    --instagram-app-secret-stdin (one line each, Meta app first); never taken as an option value,
    which other users could see in `ps`.

    Example: igconnect app set --app-id 1234567890 --instagram-app-id 9876543210
    """
    from igconnect.errors import UsageError
    from igconnect.meta_app import store_app, store_instagram_app

    obj = cli_context.get(ctx)
    if not app_id and not instagram_app_id:
        raise UsageError(
            "give --app-id (Facebook Login), --instagram-app-id (Instagram Login), or both",
            hint="see `igconnect app set --help`; docs/login.md shows where each id is",
        )
    result = AppSetResult()
    if app_id:
        secret = _secret(obj, app_secret_stdin, "App secret", "--app-id ID --app-secret-stdin")
        result.secret_store = store_app(obj.runtime, app_id, secret)
        result.stored.append(("meta", app_id.strip()))
    if instagram_app_id:
        secret = _secret(
            obj,
            instagram_app_secret_stdin,
            "Instagram app secret",
            "--instagram-app-id ID --instagram-app-secret-stdin",
        )
        result.secret_store = store_instagram_app(obj.runtime, instagram_app_id, secret)
        result.stored.append(("instagram", instagram_app_id.strip()))
    render(obj, result, _set_text, json_flag=json_output)


def _set_text(obj: cli_context.CliContext, result: AppSetResult) -> None:
    for what, app_id in result.stored:
        label = "Meta app" if what == "meta" else "Instagram app"
        obj.success(f"{label} {app_id} set; its secret is in the {result.secret_store}")


@meta_app.command("show")
def show_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Output JSON.")
) -> None:
    """Print both app ids and whether their secrets are stored (never the secrets)."""
    from igconnect.meta_app import describe_app

    obj = cli_context.get(ctx)
    render(obj, AppInfo(describe_app(obj.runtime)), _show_text, json_flag=json_output)


def _show_text(obj: cli_context.CliContext, result: AppInfo) -> None:
    info = result.info
    obj.out.print(f"app id: {info['app_id'] or '(not set)'} ({info['app_id_source']})")
    obj.out.print(f"app secret: {info['secret']}")
    obj.out.print(
        f"instagram app id: {info['instagram_app_id'] or '(not set)'} "
        f"({info['instagram_app_id_source']})"
    )
    obj.out.print(f"instagram app secret: {info['instagram_secret']}")

"""`igconnect config`: read and change settings."""

from __future__ import annotations

from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import render

config_app = typer.Typer(
    help="Show and change settings (file, environment overrides, defaults).", no_args_is_help=True
)

_SECRET_WORDS = ("secret", "token", "password")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


@config_app.command("path")
def path_command(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Add the data and state dirs."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Print where the settings file is (and, with -v or --json, the data and state dirs).

    Example: igconnect config path -v
    """
    obj = cli_context.get(ctx)

    def text(obj: cli_context.CliContext, paths: Any) -> None:
        obj.out.print(str(paths.config_file))
        if verbose or obj.verbose:
            obj.info(f"data dir: {paths.data_dir}")
            obj.info(f"state dir: {paths.state_dir}")

    render(obj, obj.runtime.paths, text, json_flag=json_output)


@config_app.command("show")
def show_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Output JSON.")
) -> None:
    """Show every setting with its value and where the value comes from. Never shows a secret."""
    from igconnect.settings import setting_values

    obj = cli_context.get(ctx)
    shown = setting_values(obj.runtime.settings, obj.runtime.paths.config_file)
    render(obj, shown, _show_text, json_flag=json_output)


def _show_text(obj: cli_context.CliContext, shown: Any) -> None:
    from igconnect.cli.tables import table as new_table

    table = new_table(
        ("setting", "text"),
        ("value", "text"),
        ("from", "id"),
        ("environment variable", "text"),
        title=str(shown.file),
    )
    for row in shown.settings:
        table.add_row(row.key, _shown(row.value), row.source, row.env)
    obj.out.print(table)


@config_app.command("get")
def get_command(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Setting name."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Print one setting's value (nothing when it is unset).

    Example: igconnect config get graph_version
    """
    from igconnect.settings import setting_value

    obj = cli_context.get(ctx)
    _refuse_secret(key)
    render(obj, setting_value(obj.runtime.settings, key), _get_text, json_flag=json_output)


def _get_text(obj: cli_context.CliContext, shown: Any) -> None:
    if shown.value is not None:
        obj.out.print(_shown(shown.value))


@config_app.command("set")
def set_command(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Setting name."),
    value: str = typer.Argument(..., help="New value."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Change a setting in the settings file.

    Example: igconnect config set login_port 8766
    """
    from igconnect.settings import set_setting

    obj = cli_context.get(ctx)
    _refuse_secret(key)
    with obj.runtime.edit() as doc:
        change = set_setting(doc, key, value, obj.runtime.environ)
    render(obj, change, _set_text, json_flag=json_output)


def _set_text(obj: cli_context.CliContext, change: Any) -> None:
    obj.success(f"{change.key} = {change.value}")
    if change.overridden:
        obj.warn(f"{change.env} is set in the environment and overrides this value")


@config_app.command("unset")
def unset_command(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Setting name."),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Remove a setting from the file, so its default applies again."""
    from igconnect.settings import unset_setting

    obj = cli_context.get(ctx)
    _refuse_secret(key)
    with obj.runtime.edit() as doc:
        change = unset_setting(doc, key, obj.runtime.environ)
    render(obj, change, _unset_text, json_flag=json_output)


def _unset_text(obj: cli_context.CliContext, change: Any) -> None:
    obj.success(
        f"{change.key} reset to its default" if change.changed else f"{change.key} was not set"
    )


def _shown(value: object) -> str:
    """A value as `config set` takes it: true/false, a list comma-separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _refuse_secret(key: str) -> None:
    from igconnect.errors import UsageError
    from igconnect.settings import SETTINGS

    if key not in SETTINGS and any(word in key.lower() for word in _SECRET_WORDS):
        raise UsageError(
            f"'{key}' is a secret, not a setting; secrets never go in the settings file",
            hint="use `igconnect app set` for the app secret and `igconnect login` for tokens",
        )

"""The root `igconnect` command: global options, command groups, and error translation."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from igconnect import __version__
from igconnect.cli import context as cli_context
from igconnect.errors import ExitCode, IgconnectError
from igconnect.redact import redact


class IgconnectGroup(TyperGroup):
    """Translates every igconnect error into one line on stderr and its exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_metavars(self)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except IgconnectError as exc:
            _report(ctx, exc)
            raise typer.Exit(int(exc.exit_code)) from None
        except BrokenPipeError:
            _silence_stdout()  # `igconnect ... | head` closed the pipe: stop quietly
            raise typer.Exit(int(ExitCode.OK)) from None
        except KeyboardInterrupt:
            _stderr("Interrupted; nothing was left half-written.")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as exc:  # a full disk, a read-only folder...: the user's to fix, not a bug
            from igconnect.fileio import os_failure

            explained = os_failure(exc, doing="use")
            _report(ctx, explained)
            raise typer.Exit(int(explained.exit_code)) from None
        except Exception as exc:
            database = _database_failure(ctx, exc)
            _report(ctx, database or exc)
            raise typer.Exit(int(database.exit_code if database else ExitCode.ERROR)) from None

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(self.commands)  # in the order they were added, not alphabetical


def _tidy_metavars(command: Any) -> None:
    """Help reads as users write: a flag shows no value (not `<bool>`), a value is named in
    capitals (`FILE`, `NAME`) and never by its Python type (`<str>`, `<list[str]>`); options
    without a chosen metavar are named after their option. Paragraphs wrapped in the source are
    joined, so a sentence is not cut where the docstring's line ended."""
    from typer.core import TyperArgument, TyperOption

    for param in command.params:
        param.help = _literal(param.help)
        if isinstance(param, TyperOption):
            if param.is_flag or param.count:
                param.metavar = ""
            elif param.metavar is None:
                name = param.name or "value"
                param.metavar = METAVARS.get(name, name.upper())
        elif isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = (param.name or "value").upper()
            elif not param.required and param.metavar.startswith("["):
                param.metavar = param.metavar.strip("[]")  # typer adds the brackets itself
            # typer shows an argument's Python type beside its name; the name says it all
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
            if param.required:  # typer 0.29 writes a required argument `{NAME}`, like a choice
                param._usage_display_name = _plain_usage_name(param)  # type: ignore[method-assign]
    command.help = _literal(unwrap_help(command.help))
    make_help_option = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        _tidy_metavars(sub)


def _plain_usage_name(param: Any) -> Any:
    return lambda: param.display_name_raw + ("..." if param.nargs != 1 else "")


# How users write the values of options that did not choose a metavar themselves.
METAVARS = {
    "account": "USERNAME",
    "accounts": "N",
    "app_id": "ID",
    "app_secret": "SECRET",
    "breakdowns": "auto|now|never",
    "fmt": "csv|jsonl",
    "connection": "NAME",
    "home": "DIR",
    "instagram_app_id": "ID",
    "latency": "MS",
    "out": "FILE",
    "port": "PORT",
    "provider": "facebook|instagram",
    "reconnect": "NAME",
    "redirect_uri": "URI",
    "seed": "N",
    "set_volume": "high|normal",
    "since": "DATE",
    "source": "NAME",
    "stories": "N",
    "target": "NAME",
    "timeout": "SECONDS",
    "until": "DATE",
}


def _literal(text: str | None) -> str | None:
    """Help text shown as written: typer reads it as rich markup, where `[default: x]` would
    vanish (leaving "or - for stdout .")."""
    return text.replace("[", "\\[") if text else text


EXAMPLE_STARTS = ("$ ", "igconnect ", "- ", "* ", "  ")


def unwrap_help(text: str | None) -> str | None:
    """Join the lines of each paragraph of a docstring, except paragraphs of examples or lists
    (typer keeps single line breaks after the first paragraph)."""
    if not text:
        return text
    import inspect

    paragraphs = inspect.cleandoc(text).split("\n\n")
    out = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if any(line.startswith(EXAMPLE_STARTS) for line in lines[1:]):
            out.append(paragraph)
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def _database_failure(ctx: typer.Context, exc: Exception) -> IgconnectError | None:
    """A SQLite error no core code explained (a full disk, a damaged file), as the user reads it;
    None for anything else, which is a bug."""
    sqlite3 = sys.modules.get("sqlite3")  # never imported just for this
    obj = ctx.find_root().obj
    if sqlite3 is None or not isinstance(exc, sqlite3.Error):
        return None
    if not isinstance(obj, cli_context.CliContext):
        return None
    from igconnect.sqlitefile import failure_in

    try:
        return failure_in(exc, obj.runtime.paths.data_dir)
    except sqlite3.Error:  # not one a user can fix: a bug of ours
        return None


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _stderr(text: str) -> None:
    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


def _report(ctx: typer.Context, exc: BaseException) -> None:
    obj = ctx.find_root().obj
    debug = isinstance(obj, cli_context.CliContext) and obj.debug
    if isinstance(obj, cli_context.CliContext):
        obj.flush_warnings()
    if debug:
        _stderr("".join(traceback.format_exception(exc)).rstrip())
    if isinstance(exc, IgconnectError):
        line = f"Error: {exc.message}"
        if exc.hint:
            line += f" — {exc.hint}"
    else:
        line = f"Error: unexpected {type(exc).__name__}: {exc}"
        if not debug:
            line += " — rerun with --debug for the details, and report it"
    _stderr(line)


app = typer.Typer(
    cls=IgconnectGroup,
    name="igconnect",
    help="Connect clients' Instagram professional accounts, keep the connections healthy, and "
    "export stories, profiles and hashtag media.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if not value:
        return
    import platform
    from importlib import metadata

    parts = [f"igconnect {__version__}", f"Python {platform.python_version()}"]
    for dist in ("typer", "rich", "httpx", "keyring", "tomlkit", "platformdirs"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} (missing)")
    typer.echo(parts[0])
    typer.echo(", ".join(parts[1:]))
    raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="Say more (repeatable)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and HTTP logs (redacted)."),
    json_output: bool = typer.Option(False, "--json", help="Machine-readable output on stdout."),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Show the version of igconnect, Python and key libraries.",
    ),
) -> None:
    """Connect clients' Instagram professional accounts, keep the connections healthy, and export
    story metrics."""
    obj = cli_context.CliContext(verbose=verbose, debug=debug, json=json_output)
    obj.setup_logging()
    ctx.obj = obj
    ctx.call_on_close(obj.runtime.close)  # runs last: write what the command saw in passing
    ctx.call_on_close(obj.flush_warnings)


def _register_commands() -> None:
    # Each module adds its commands; they import the core lazily, inside the commands.
    from igconnect.cli import (
        app_cmd,
        archive_cmd,
        completion_cmd,
        config_cmd,
        connections_cmd,
        demo_cmd,
        doctor_cmd,
        export_cmd,
        login_cmd,
        report_cmd,
        sandbox_cmd,
        schedule_cmd,
        trackers_cmd,
    )

    for module in (
        demo_cmd,
        login_cmd,
        connections_cmd,
        doctor_cmd,
        trackers_cmd,
        export_cmd,
        report_cmd,
        archive_cmd,
        schedule_cmd,
        app_cmd,
        config_cmd,
        sandbox_cmd,
        completion_cmd,
    ):
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
        else:  # a module exposing its own group as `app`, named after the module
            app.add_typer(module.app, name=module.__name__.rsplit(".", 1)[-1].removesuffix("_cmd"))


_register_commands()


def main() -> None:
    """Console-script entry point."""
    from igconnect.cli.completion_cmd import prepare_if_completing

    prepare_if_completing()
    try:
        app()
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`) during --help
        _silence_stdout()
        sys.exit(int(ExitCode.OK))

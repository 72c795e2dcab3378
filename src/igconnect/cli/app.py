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
    ):
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
        else:  # a module exposing its own group as `app`, named after the module
            app.add_typer(module.app, name=module.__name__.rsplit(".", 1)[-1].removesuffix("_cmd"))


_register_commands()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`) during --help
        _silence_stdout()
        sys.exit(int(ExitCode.OK))

"""`igconnect schedule`: run `igconnect export` (every kind) from cron or a systemd timer.
See docs/cron.md."""

from __future__ import annotations

from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import render

schedule_app = typer.Typer(
    help="Schedule the export (cron line, systemd timer).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")


@schedule_app.command("show")
def show_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Output JSON.")
) -> None:
    """Print the crontab line and a systemd service + timer for the export.

    Example: igconnect schedule show
    """
    from igconnect.export.schedule import build_schedule

    obj = cli_context.get(ctx)
    render(obj, build_schedule(obj.runtime), _show_text, json_flag=json_output)


def _show_text(obj: cli_context.CliContext, schedule: Any) -> None:
    obj.info(f"# crontab (every {schedule.interval_minutes} minutes): `igconnect schedule install`")
    obj.out.print(schedule.crontab_line)
    obj.info("\n# or ~/.config/systemd/user/igconnect-export.service:")
    obj.out.print(schedule.systemd_service)
    obj.info("# and ~/.config/systemd/user/igconnect-export.timer:")
    obj.out.print(schedule.systemd_timer)
    obj.info("# then: systemctl --user enable --now igconnect-export.timer")
    obj.warn_all(schedule.warnings)


@schedule_app.command("install")
def install_command(
    ctx: typer.Context,
    every: int = typer.Option(
        None,
        "--every",
        min=5,
        max=1440,
        help="Run every MINUTES (sets schedule_interval_minutes, which also decides when a "
        "story gets its final read).",
        metavar="MINUTES",
    ),
    json_output: bool = typer.Option(False, "--json", help="Output JSON."),
) -> None:
    """Add `igconnect export` (every kind that has trackers) to your crontab; running it again
    changes nothing.

    Example: igconnect schedule install --every 30
    """
    from igconnect.export.schedule import install_schedule

    obj = cli_context.get(ctx)
    render(obj, install_schedule(obj.runtime, every), _install_text, json_flag=json_output)


def _install_text(obj: cli_context.CliContext, result: Any) -> None:
    from igconnect.settings import SETTINGS

    schedule = result.schedule
    if result.every is not None:
        obj.success(f"schedule_interval_minutes = {result.every}")
        if result.interval_overridden:
            env = SETTINGS["schedule_interval_minutes"].env
            obj.warn(f"{env} is set in the environment and overrides this value")
    obj.warn_all(schedule.warnings)
    if result.changed:
        obj.success(f"Added to your crontab: {schedule.crontab_line}")
    else:
        obj.info("Your crontab already runs the export; nothing changed.")


@schedule_app.command("remove")
def remove_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help="Output JSON.")
) -> None:
    """Take the export out of your crontab.

    Example: igconnect schedule remove
    """
    from igconnect.export.schedule import remove_schedule

    obj = cli_context.get(ctx)
    render(obj, remove_schedule(), _remove_text, json_flag=json_output)


def _remove_text(obj: cli_context.CliContext, result: Any) -> None:
    if result.changed:
        obj.success("Removed the export from your crontab.")
    else:
        obj.info("Your crontab had no igconnect export; nothing changed.")

"""`igconnect archive`: check, back up and restore the story archive (docs/export.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import render

archive_app = typer.Typer(
    help="Check, back up and restore the story archive (the only copy of expired stories).",
    no_args_is_help=True,
)
_JSON_HELP = "Output JSON."


def register(app: typer.Typer) -> None:
    app.add_typer(archive_app, name="archive")


@archive_app.command("check")
def check_command(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=_JSON_HELP)
) -> None:
    """Run SQLite's full integrity check on the archive (it writes nothing) and list the backups.

    Exit codes: 0 sound, 16 damaged (restore a backup).

    Example: igconnect archive check
    """
    from igconnect.export.backup import check_archive

    obj = cli_context.get(ctx)
    render(obj, check_archive(obj.runtime, datetime.now(UTC)), _check_text, json_flag=json_output)


def _check_text(obj: cli_context.CliContext, result: Any) -> None:
    if not result.exists:
        obj.info(
            f"No archive yet at {result.archive}: the first `igconnect export stories` makes it."
        )
    elif result.ok:
        obj.success(
            f"The archive {result.archive} is sound ({result.stories} stories, checked in "
            f"{result.seconds:.1f} s)"
        )
    else:
        obj.err.print(
            f"The archive {result.archive} is damaged; igconnect runs will not write to it:",
            style="red",
            markup=False,
            highlight=False,
        )
        for problem in result.problems:
            obj.err.print(f"  {problem}", markup=False, highlight=False)
    if result.backups:
        obj.info("Backups, newest first:")
        for backup in result.backups:
            obj.out.print(f"{backup.path}\t{backup.taken_at:%Y-%m-%d %H:%M} UTC\t{backup.bytes}")
        if not result.ok:
            obj.info(f"Restore one with `igconnect archive restore {result.backups[0].path}`.")
    elif not result.ok:
        obj.info(
            f"No backup to restore. SQLite can save what is readable: `sqlite3 {result.archive} "
            ".recover | sqlite3 recovered.sqlite`, then `igconnect archive restore recovered.sqlite`."
        )
    elif result.exists:
        obj.info("No backups yet: the next export run takes one.")


@archive_app.command("backup")
def backup_command(
    ctx: typer.Context,
    file: Path | None = typer.Argument(
        None, help="Where to write the copy [default: a dated file in the backup folder]."
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Copy the archive with SQLite's online backup API (exports may go on meanwhile); the copy is
    checked before it is named. An existing FILE is never overwritten.

    Example: igconnect archive backup /mnt/offsite/archive.sqlite
    """
    from igconnect.export.backup import backup_archive

    obj = cli_context.get(ctx)
    result = backup_archive(obj.runtime, file, datetime.now(UTC))
    render(obj, result, _backup_text, json_flag=json_output)


def _backup_text(obj: cli_context.CliContext, result: Any) -> None:
    obj.success(
        f"Backed up {result.stories} stories to {result.path} ({result.bytes} bytes, "
        f"{result.seconds:.1f} s)"
    )


@archive_app.command("restore")
def restore_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A backup (from `igconnect archive check`'s list)."),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Replace the archive with a backup, after checking the backup fully; the current archive is
    kept aside beside it, never deleted. Waits for a running export to finish.

    Example: igconnect archive restore ~/.local/share/igconnect/backups/archive-20261201T100000Z.sqlite
    """
    from igconnect.export.backup import restore_archive

    obj = cli_context.get(ctx)
    result = restore_archive(obj.runtime, file.expanduser(), datetime.now(UTC))
    render(obj, result, _restore_text, json_flag=json_output)


def _restore_text(obj: cli_context.CliContext, result: Any) -> None:
    obj.success(f"Restored {result.stories} stories from {result.source} into {result.archive}")
    for path in result.kept_aside:
        obj.info(f"The previous archive is kept as {path}")

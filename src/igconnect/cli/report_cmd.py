"""`igconnect report`: the archive's figures as one self-contained HTML page (docs/report.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import render


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)


def report_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", "-o", help="The HTML file to write."),
    since: str = typer.Option(
        None,
        "--since",
        help="Stories posted on or after DATE (UTC): 2026-11-22, 24h, 7d, today, yesterday "
        "[default: export_window_days].",
    ),
    until: str = typer.Option(
        None, "--until", help="Stories posted on or before DATE (UTC; a date includes that day)."
    ),
    account: list[str] = typer.Option(
        [], "--account", "-a", help="Only this account (repeatable)."
    ),
    connection: list[str] = typer.Option(
        [], "--connection", "-c", help="Only stories read through this connection (repeatable)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write a report for clients: per account, reach and views, rates against the account's
    median, sequence drop-off, best and worst sequences, values not final. One HTML file with its
    charts inside: it opens offline and prints to PDF. Made from the archive; Meta is not called.

    Needs the report extra: pip install 'igconnect[report]'

    Example: igconnect report --since 2026-11-01 --until 2026-11-30 --out november.html
    """
    from igconnect.report.build import build_report
    from igconnect.report.model import ReportOptions
    from igconnect.timestamps import parse_window

    obj = cli_context.get(ctx)
    window = parse_window(since, until, default_days=obj.runtime.settings.get("export_window_days"))
    options = ReportOptions(
        out=out,
        since=window[0],
        until=window[1],
        accounts=list(account),
        connections=list(connection),
    )
    progress = _Progress(obj) if obj.interactive and not obj.wants_json(json_output) else None
    if progress is not None:
        options.on_planned = progress.planned
        options.on_account = progress.account
    try:
        result = build_report(obj.runtime, options)
    finally:
        if progress is not None:
            progress.stop()
    render(obj, result, _text, json_flag=json_output)


def _text(obj: cli_context.CliContext, result: Any) -> None:
    not_final = f", {result.not_final} with values not final" if result.not_final else ""
    obj.success(
        f"Wrote {result.output}: {result.accounts} account(s), {result.stories} stories{not_final}"
    )


class _Progress:
    """A progress bar on a terminal, one tick per account section."""

    def __init__(self, obj: cli_context.CliContext) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn("{task.description}", markup=False),  # usernames are not markup
            BarColumn(),
            MofNCompleteColumn(),
            console=obj.err,
            transient=True,
        )
        self.task: Any = None
        self.bar.start()

    def planned(self, total: int) -> None:
        self.task = self.bar.add_task("writing the report", total=total)

    def account(self, username: str) -> None:
        if self.task is not None:
            self.bar.update(self.task, advance=1, description=f"@{username}")

    def stop(self) -> None:
        self.bar.stop()

"""`igconnect export stories`: the job agencies schedule (docs/export.md, docs/cron.md)."""

from __future__ import annotations

from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import finish, show

export_app = typer.Typer(help="Export story metrics to CSV or JSONL.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("stories")
def stories_command(
    ctx: typer.Context,
    out: str = typer.Option(
        None, "--out", "-o", help="Output file, or - for stdout [default: setting export_path]."
    ),
    fmt: str = typer.Option(None, "--format", "-f", help="csv or jsonl [default: export_format]."),
    since: str = typer.Option(
        None,
        "--since",
        help="Stories posted on or after DATE (UTC): 2026-11-22, 24h, 7d, today, yesterday.",
    ),
    until: str = typer.Option(
        None, "--until", help="Stories posted on or before DATE (UTC; a date includes that day)."
    ),
    snapshots: bool = typer.Option(False, "--snapshots", help="Every observation, not the latest."),
    no_fetch: bool = typer.Option(False, "--no-fetch", help="Write from the archive only."),
    account: list[str] = typer.Option(
        [], "--account", "-a", help="Only this account tracker (repeatable)."
    ),
    connection: list[str] = typer.Option(
        [], "--connection", "-c", help="Only the accounts on this connection (repeatable)."
    ),
    breakdowns: str = typer.Option(
        "auto",
        "--breakdowns",
        help="auto: at each story's final read; now: for every story; never.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only problems."),
    json_output: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Collect story metrics, keep them in the archive, and write one row per story.

    Exit codes: 0 all collected, 8 some accounts failed (named on stderr), 9 nothing collected,
    10 another export is running.

    Example: igconnect export stories --out /srv/reports/stories.csv --quiet
    """
    from igconnect.export.run import ExportOptions, export_stories
    from igconnect.timestamps import parse_window

    obj = cli_context.get(ctx)
    window = parse_window(since, until, default_days=obj.runtime.settings.get("export_window_days"))
    options = ExportOptions(
        out=out,
        format=fmt,
        since=window[0],
        until=window[1],
        snapshots=snapshots,
        fetch=not no_fetch,
        accounts=list(account),
        connections=list(connection),
        breakdowns=breakdowns,
    )
    progress = _Progress(obj) if obj.interactive and not quiet and not obj.json else None
    if progress is not None:
        options.on_planned = progress.planned
        options.on_account = progress.account
    try:
        result = export_stories(obj.runtime, options)
    finally:
        if progress is not None:
            progress.stop()
    obj.flush_warnings()
    # with --out - stdout carries the rows, so the JSON summary goes to stderr
    text = _quiet if quiet else _summary
    show(obj, result, text, json_flag=json_output, json_to_stderr=result.output == "-")
    _problems(obj, result)  # in every form, even --quiet
    finish(obj, result)


def _quiet(obj: cli_context.CliContext, result: Any) -> None:
    """--quiet: the summary is left out; the problems are printed all the same."""


class _Progress:
    """A rich progress bar on a terminal: one task per account, ticked as each finishes."""

    def __init__(self, obj: cli_context.CliContext) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=obj.err,
            transient=True,
        )
        self.task: Any = None
        self.bar.start()

    def planned(self, total: int) -> None:
        self.task = self.bar.add_task("collecting accounts", total=total)

    def account(self, report: Any) -> None:
        if self.task is not None and report.state != "skipped":
            self.bar.update(self.task, advance=1, description=f"@{report.username}")

    def stop(self) -> None:
        self.bar.stop()


def _summary(obj: cli_context.CliContext, result: Any) -> None:
    ok = len(result.collected)
    stories = sum(a.stories for a in result.collected)
    if result.fetched:
        obj.info(
            f"Collected {stories} stories from {ok} of {len(result.accounts)} accounts "
            f"in {result.requests} API calls, {result.round_trips} round trips "
            f"({result.seconds:.1f} s)."
        )
    if result.output and result.output != "-":
        obj.success(f"Wrote {result.rows} rows to {result.output}")


def _problems(obj: cli_context.CliContext, result: Any) -> None:
    """Always printed (even with --quiet): each failed account or connection and why."""
    if result.missed_final_reads:
        obj.warn(
            f"{result.missed_final_reads} stories expired without a final read since the last "
            "run: were runs missed? (`igconnect schedule show` says how often it should run)"
        )
    failed = result.failed
    if not failed:
        return
    obj.err.print(
        f"{len(failed)} account(s) not collected:", style="yellow", markup=False, highlight=False
    )
    for report in failed:
        where = f"connection {report.connection}" if report.connection else "no connection"
        obj.err.print(
            f"  @{report.username} ({where}): {report.state}: {report.reason}",
            markup=False,
            highlight=False,
        )
    if not result.output:
        obj.err.print(
            "Nothing was collected; the previous export file was left as it was. "
            f"Log: {result.log_file}",
            markup=False,
            highlight=False,
        )

"""`igconnect export [stories|profiles|hashtags]`: the job agencies schedule (docs/export.md,
docs/cron.md). Without a kind, every kind that has trackers runs in one locked run."""

from __future__ import annotations

from typing import Any

import typer

from igconnect.cli import context as cli_context
from igconnect.cli.output import finish, show

export_app = typer.Typer(invoke_without_command=True)  # help: all_command's docstring


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.callback()
def all_command(
    ctx: typer.Context,
    out: str = typer.Option(
        None,
        "--out",
        "-o",
        help="A directory, or a file-name template with {kind} and {date} "
        "(e.g. exports/{kind}-{date}.csv); default: each kind's own file.",
    ),
    fmt: str = typer.Option(None, "--format", "-f", help="csv or jsonl [default: export_format]."),
    no_fetch: bool = typer.Option(False, "--no-fetch", help="Write from the archive only."),
    breakdowns: str = typer.Option(
        "auto", "--breakdowns", help="Stories: auto (at each final read), now, or never."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only problems."),
    json_output: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Export stories, profiles and hashtag media to CSV or JSONL. Without a kind: every kind that
    has trackers (stories, profiles, hashtags) in one locked run, with one summary and one exit
    code (the job `igconnect schedule install` puts in cron).

    Exit codes: 0 all collected, 8 some items or one kind failed, 9 nothing collected, 10 another
    export is running.

    Example: igconnect export --out /srv/reports/{kind}-{date}.csv --quiet
    """
    if ctx.invoked_subcommand is not None:
        _refuse_group_options(ctx)
        return
    from igconnect.export.kinds import AllOptions, export_all

    obj = cli_context.get(ctx)
    result = export_all(
        obj.runtime, AllOptions(out=out, format=fmt, fetch=not no_fetch, breakdowns=breakdowns)
    )
    obj.flush_warnings()
    show(obj, result, _quiet if quiet else _run_summary, json_flag=json_output)
    for kind_result in result.kinds:  # in every form, even --quiet
        _failed_items(obj, kind_result)
    for kind, why in result.failures.items():
        obj.err.print(f"export {kind} failed: {why}", markup=False, highlight=False)
    _connection_lines(obj, result.problems)
    finish(obj, result)


def _refuse_group_options(ctx: typer.Context) -> None:
    """`export --out X stories` would otherwise drop --out without a word: the kind has its own."""
    from igconnect.errors import UsageError

    given = [
        (param.opts[0], ctx.params[param.name])
        for param in ctx.command.params
        if param.name in ctx.params and ctx.params[param.name] != param.default
    ]
    if given:
        kind = ctx.invoked_subcommand
        names = ", ".join(opt for opt, _ in given)
        again = " ".join(opt if value is True else f"{opt} {value}" for opt, value in given)
        raise UsageError(
            f"{names} before '{kind}' belongs to the run of every kind",
            hint=f"put it after the kind: igconnect export {kind} {again}",
        )


def _run_summary(obj: cli_context.CliContext, result: Any) -> None:
    if not result.kinds and not result.failures:
        obj.info("No trackers yet: add some with `igconnect trackers add @NAME '#TAG'`.")
    for kind_result in result.kinds:
        _kind_summary(obj, kind_result)


@export_app.command("profiles")
def profiles_command(
    ctx: typer.Context,
    out: str = typer.Option(
        None,
        "--out",
        "-o",
        help="Output file, or - for stdout; the public accounts' posts go beside it as "
        "NAME-posts.csv (default: profiles.csv in the exports folder).",
    ),
    fmt: str = typer.Option(None, "--format", "-f", help="csv or jsonl [default: export_format]."),
    snapshots: bool = typer.Option(False, "--snapshots", help="Every observation, not the latest."),
    no_fetch: bool = typer.Option(False, "--no-fetch", help="Write from the archive only."),
    account: list[str] = typer.Option(
        [], "--account", "-a", help="Only this account tracker (repeatable)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only problems."),
    json_output: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Followers, follows and media counts of every account tracker (managed accounts through their
    own node, public ones through business discovery), and the public accounts' recent posts.

    Example: igconnect export profiles --out /srv/reports/profiles.csv
    """
    from igconnect.export.kinds import KindOptions, export_profiles

    obj = cli_context.get(ctx)
    options = KindOptions(
        out=out, format=fmt, fetch=not no_fetch, targets=list(account), snapshots=snapshots
    )
    _finish_kind(obj, export_profiles(obj.runtime, options), quiet, json_output)


@export_app.command("hashtags")
def hashtags_command(
    ctx: typer.Context,
    out: str = typer.Option(
        None,
        "--out",
        "-o",
        help="Output file, or - for stdout (default: hashtags.csv in the exports folder).",
    ),
    fmt: str = typer.Option(None, "--format", "-f", help="csv or jsonl [default: export_format]."),
    no_fetch: bool = typer.Option(False, "--no-fetch", help="Write from the archive only."),
    hashtag: list[str] = typer.Option(
        [], "--hashtag", help="Only this hashtag tracker (repeatable; quote the #)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only problems."),
    json_output: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Each hashtag tracker's recent and top media, within Meta's 30 unique hashtags per account
    per 7 days (a hashtag over it is skipped with a warning, never sent).

    Example: igconnect export hashtags --out /srv/reports/hashtags.csv
    """
    from igconnect.export.kinds import KindOptions, export_hashtags

    obj = cli_context.get(ctx)
    options = KindOptions(out=out, format=fmt, fetch=not no_fetch, targets=list(hashtag))
    _finish_kind(obj, export_hashtags(obj.runtime, options), quiet, json_output)


def _finish_kind(obj: cli_context.CliContext, result: Any, quiet: bool, json_output: bool) -> None:
    obj.flush_warnings()
    # with --out - stdout carries the rows, so the JSON summary goes to stderr
    text = _quiet if quiet else _kind_summary
    show(obj, result, text, json_flag=json_output, json_to_stderr=result.output == "-")
    _failed_items(obj, result)  # in every form, even --quiet
    _connection_lines(obj, result.problems)
    finish(obj, result)


def _kind_summary(obj: cli_context.CliContext, result: Any) -> None:
    if result.kind == "stories":
        _summary(obj, result)
        return
    if result.fetched:
        obj.info(
            f"Collected {len(result.collected)} of {len(result.items)} {result.kind} "
            f"({sum(i.rows for i in result.collected)} posts) in {result.requests} API calls, "
            f"{result.round_trips} round trips ({result.seconds:.1f} s)."
        )
    if result.output and result.output != "-":
        more = "".join(f" (and its {k} to {v})" for k, v in result.outputs.items())
        obj.success(f"Wrote {result.rows} {result.kind} rows to {result.output}{more}")


def _failed_items(obj: cli_context.CliContext, result: Any) -> None:
    """Each item not collected and why, except those of a broken connection (one line each,
    `_connection_lines`)."""
    if result.kind == "stories":
        _problems(obj, result)
        return
    failed = [i for i in result.failed if i.state != "broken"]
    if not failed:
        return
    obj.err.print(
        f"{len(failed)} {result.kind} not collected:", style="yellow", markup=False, highlight=False
    )
    for item in failed:
        where = f"connection {item.connection}" if item.connection else "no connection"
        obj.err.print(
            f"  {item.target} ({where}): {item.state}: {item.reason}", markup=False, highlight=False
        )


def _connection_lines(obj: cli_context.CliContext, problems: list[Any]) -> None:
    for problem in problems:
        obj.err.print(problem.line(), style="yellow", markup=False, highlight=False)


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
    _finish_kind(obj, result, quiet, json_output)


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
    failed = [a for a in result.failed if a.state != "broken"]  # those: one line a connection
    if failed:
        obj.err.print(
            f"{len(failed)} account(s) not collected:",
            style="yellow",
            markup=False,
            highlight=False,
        )
    for report in failed:
        where = f"connection {report.connection}" if report.connection else "no connection"
        obj.err.print(
            f"  @{report.username} ({where}): {report.state}: {report.reason}",
            markup=False,
            highlight=False,
        )
    if result.failed and not result.output:
        obj.err.print(
            "Nothing was collected; the previous export file was left as it was. "
            f"Log: {result.log_file}",
            markup=False,
            highlight=False,
        )

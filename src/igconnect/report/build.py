"""`build_report(runtime, ReportOptions) -> ReportResult`: the archive to one HTML file.

Reads the archive only (never Meta), one account at a time, and writes the page section by section
to a temporary file that replaces `out` at the end: a reader never sees half a report.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from igconnect.errors import ConfigError, UsageError
from igconnect.report.model import ReportOptions, ReportResult

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

EXTRA_HINT = "pip install 'igconnect[report]'"


class ReportExtraMissing(UsageError):
    """The charts need matplotlib, which comes with the `report` extra."""


def require_charts() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ReportExtraMissing(
            "`igconnect report` draws its charts with matplotlib, which is not installed",
            hint=f"install the report extra: {EXTRA_HINT}",
        ) from None


def build_report(runtime: Runtime, options: ReportOptions) -> ReportResult:
    require_charts()
    from igconnect import __version__
    from igconnect.export.archive import Archive
    from igconnect.export.derived import sequence_windows
    from igconnect.fileio import atomic_writer
    from igconnect.report import charts, html
    from igconnect.report.gather import account_figures, plan_accounts

    started = time.monotonic()
    settings = runtime.settings
    now = (options.clock or (lambda: datetime.now(UTC)))()
    until = options.until or now
    since = options.since
    if since is None:
        days = settings.get("export_window_days")
        since = until - timedelta(days=days) if days else None
    if since is not None and since >= until:
        raise UsageError("--since must be before --until")
    out = Path(options.out).expanduser()
    if out.is_dir():
        raise UsageError(f"{out} is a directory", hint="give a file name with --out")
    archive_file = runtime.paths.archive_file
    if not archive_file.exists():
        raise ConfigError(
            f"there is no story archive yet ({archive_file})",
            hint="run `igconnect export stories` first (the report is made from its archive)",
        )
    windows = sequence_windows(settings)
    logo_path = settings.get("report_logo")
    logo = html.logo_data_uri(Path(logo_path)) if logo_path else None
    stories = not_final = 0
    with Archive(archive_file, verify=True) as archive:  # a damaged archive is said so, first
        refs = plan_accounts(
            archive,
            since=since,
            until=until,
            usernames=options.accounts,
            connections=options.connections,
        )
        if options.on_planned is not None:
            options.on_planned(len(refs))
        with atomic_writer(out) as handle:
            handle.write(
                html.page_start(
                    title=settings.get("report_title"),
                    logo=logo,
                    period=_period(since, until),
                    zone=settings.get("report_timezone"),
                    generated=f"made {now:%Y-%m-%d %H:%M} UTC",
                    accounts=[r.username for r in refs],
                )
            )
            if not refs:
                handle.write(
                    '<p class="note" id="no-stories">No story was posted in the period.</p>'
                )
            for index, ref in enumerate(refs):
                figures = account_figures(
                    archive,
                    ref,
                    since=since,
                    until=until,
                    connections=options.connections,
                    windows=windows,
                    now=now,
                )
                zone = windows.zone_of(ref.account_id)
                drawn = {
                    "reach_views": charts.reach_and_views(figures.stories, zone, f"a{index}r-"),
                    "rates": charts.rates_against_median(
                        figures.stories, figures.rates, f"a{index}m-"
                    ),
                    "dropoff": charts.sequence_dropoff(
                        figures.sequences, figures.positions, f"a{index}d-"
                    ),
                }
                handle.write(html.account_section(index, figures, zone, drawn))
                stories += len(figures.stories)
                not_final += len(figures.not_final)
                if options.on_account is not None:
                    options.on_account(ref.username)
            handle.write(html.page_end(__version__))
    return ReportResult(
        output=str(out),
        since=since,
        until=until,
        accounts=len(refs),
        stories=stories,
        not_final=not_final,
        seconds=time.monotonic() - started,
    )


def _period(since: datetime | None, until: datetime) -> str:
    end = f"{until:%Y-%m-%d %H:%M} UTC"
    if since is None:
        return f"Stories posted before {end}"
    return f"Stories posted from {since:%Y-%m-%d %H:%M} UTC to {end}"

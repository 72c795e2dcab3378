"""Export checks: whether the scheduled runs give every story its final read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from igconnect.doctor.model import SCOPE_ENVIRONMENT, Finding, check, ok, warning
from igconnect.doctor.state import EnvState

MISSED_WINDOW = timedelta(days=7)


@check(
    "export.final-reads",
    "Every story got its final read",
    scope=SCOPE_ENVIRONMENT,
    depends=("env.settings",),
    proves="no story expired in the last 7 days without the read of its last interval (the "
    "export runs often enough and on time)",
    usual_fix="run the export at least as often as `schedule_interval_minutes` "
    "(`igconnect schedule install`), and make sure cron runs it",
)
def final_reads(env: EnvState) -> Finding:
    from igconnect.export.archive import Archive

    path = env.runtime.paths.archive_file
    if not path.exists():
        return ok("no export has run yet")
    with Archive(path) as archive:
        missed = archive.missed_finals_since(datetime.now(UTC) - MISSED_WINDOW)
    if not missed:
        return ok("every story that expired in the last 7 days had its final read")
    return warning(
        f"{missed} stories expired in the last 7 days without a final read: runs were missed or "
        "late, so their last values may be low",
        [
            "The export reads each story for the last time in the run before it expires, "
            "expecting the next run one `schedule_interval_minutes` later.",
            "Check that cron runs the export (`igconnect schedule show`) and that runs are not "
            "skipped (the export log in the state dir says when each ran).",
        ],
        "igconnect schedule show",
        missed=missed,
    )

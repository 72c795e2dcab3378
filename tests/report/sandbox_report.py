"""A report made from the sandbox: a few days of hourly-ish exports in a throwaway home, then
`igconnect report`. Used by the browser test and to make docs/report-screenshot.png:

    .venv/bin/python -m tests.report.sandbox_report docs/report-screenshot.png
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a fixed clock: the same report every time


@dataclass
class SandboxReport:
    html: Path
    archive: Path
    since: datetime
    until: datetime


def make_sandbox_report(
    home: Path,
    *,
    days: int = 3,
    accounts: int = 2,
    stories: int = 6,
    step_hours: int = 3,
    timezone: str = "Europe/Paris",
) -> SandboxReport:
    """Collect `days` of stories and profiles from the sandbox every `step_hours`, and write the
    report of those days."""
    from igconnect.connections.model import Account, Connection, Reach
    from igconnect.connections.store import ConnectionStore
    from igconnect.demo import demo_runtime
    from igconnect.export.kinds import KindOptions, export_profiles
    from igconnect.export.run import ExportOptions, export_stories
    from igconnect.meta_app import store_app
    from igconnect.report.build import build_report
    from igconnect.report.model import ReportOptions
    from igconnect.sandbox import Sandbox, SandboxConfig
    from igconnect.secretstore import token_key
    from igconnect.trackers.model import Tracker
    from igconnect.trackers.store import TrackerStore

    config = SandboxConfig(port=0, seed=7, accounts=accounts, stories=stories, start_time=START)
    with Sandbox(config) as sb:
        env = {
            **sb.env(),
            "IGCONNECT_REPORT_TIMEZONE": timezone,
            # The runs come every step_hours: each story gets its final read in its last one.
            "IGCONNECT_SCHEDULE_INTERVAL_MINUTES": str(step_hours * 60),
        }
        runtime = demo_runtime(home, env, login_port=8765)
        store_app(runtime, config.app_id, config.app_secret)
        user = "10000000000000001"
        reached = [sb.world.account_of_page(p) for p in sb.world.users[user].page_ids]
        ids = [Account(id=a.id, username=a.username) for a in reached if a is not None]
        connection = Connection(name="ada-agency", provider="facebook", user_id=user)
        # As `igconnect login` and `igconnect trackers add` leave it.
        with runtime.state.transaction() as db:
            ConnectionStore(db).add(connection, Reach(ids, []))
            trackers = TrackerStore(db)
            for account in ids:
                tracker = Tracker(kind="account", target=account.username, connection="ada-agency")
                tracker.connection_id = connection.id
                trackers.add(tracker)
        runtime.secret_store.set(token_key(connection.id), sb.issue_token(user))
        for _ in range(days * 24 // step_hours + 1):
            export_stories(
                runtime, ExportOptions(out=str(home / "stories.csv"), clock=sb.now, since=START)
            )
            # The follower counts the reach rate needs, as the scheduled `igconnect export` reads
            # them at every run.
            export_profiles(runtime, KindOptions(out=str(home / "profiles.csv"), clock=sb.now))
            sb.advance_clock(hours=step_hours)
        until = sb.now()
        archive = runtime.paths.archive_file
        html = home / "report.html"
        build_report(
            runtime,
            ReportOptions(out=html, since=START, until=until, clock=lambda: until),
        )
    return SandboxReport(html, archive, START, until)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/report-screenshot.png")
    with tempfile.TemporaryDirectory(prefix="igconnect-report-") as tmp:
        report = make_sandbox_report(Path(tmp))
        from tests.report.browser import open_report

        with open_report(report.html) as page:
            page.set_viewport_size({"width": 1000, "height": 1250})
            png = page.screenshot(full_page=False)
    import io

    from PIL import Image  # comes with matplotlib

    # 64 colours are plenty for charts and text, and keep the PNG in the repository small.
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    image.save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()

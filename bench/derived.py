"""Benchmark of the export's derived columns (rates, followers at posting, sequences) on a large
hand-made archive: wall time and peak memory of `export stories --no-fetch` for 1,000 and 10,000
accounts of 8 stories a day, with profile observations. Peak memory should not grow with accounts.

    .venv/bin/python bench/derived.py [--accounts 1000 10000] [--days 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

START = datetime(2026, 11, 1, tzinfo=UTC)
CHILD = r"""
import json, resource, sys, time
from datetime import datetime, timezone
from igconnect.runtime import Runtime
from igconnect.export.run import ExportOptions, export_stories
t0 = time.monotonic()
result = export_stories(Runtime(), ExportOptions(out=sys.argv[1], fetch=False,
                                                  since=datetime(2026, 11, 1, tzinfo=timezone.utc)))
print(json.dumps({"rows": result.rows, "seconds": time.monotonic() - t0,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(path: Path, accounts: int, days: int) -> int:
    from igconnect.export.archive import Archive

    Archive(path).close()
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE profile_observations (account_id TEXT NOT NULL, observed_at TEXT NOT NULL, "
        "followers_count INTEGER, follows_count INTEGER, media_count INTEGER, "
        "PRIMARY KEY (account_id, observed_at))"
    )
    count = 0
    for a in range(accounts):
        account = f"1784{a:011d}"
        stories, values, profiles = [], [], []
        for d in range(days):
            profiles.append((account, stamp(START + timedelta(days=d)), 1000 + a))
            for k in range(8):
                posted = START + timedelta(days=d, hours=3 * k, minutes=a % 60)
                story = f"{account}-{d}-{k}"
                stories.append(
                    (
                        story,
                        "acme",
                        account,
                        f"user{a}",
                        "IMAGE",
                        stamp(posted),
                        stamp(posted + timedelta(days=1)),
                        stamp(posted),
                        stamp(posted),
                        "v25.0",
                        "ok",
                    )
                )
                reach = 1000 - 90 * k + a % 7
                for name, value in (
                    ("reach", reach),
                    ("views", reach + 50),
                    ("replies", k),
                    ("shares", 2),
                    ("navigation_tap_exit", 40 + k),
                    ("navigation_tap_forward", 300),
                    ("navigation_tap_back", 9),
                ):
                    values.append((story, name, value, stamp(posted)))
                count += 1
        db.executemany(
            "INSERT INTO stories (story_id, connection, account_id, username, media_type, "
            "posted_at, expires_at, first_seen_at, last_observed_at, api_version, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            stories,
        )
        db.executemany("INSERT INTO latest_values VALUES (?, ?, ?, ?)", values)
        db.executemany(
            "INSERT INTO profile_observations (account_id, observed_at, followers_count) "
            "VALUES (?, ?, ?)",
            profiles,
        )
    db.commit()
    db.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    for accounts in args.accounts:
        with tempfile.TemporaryDirectory(prefix="igc-bench-derived-") as tmp:
            home = Path(tmp)
            stories = build(home / "data" / "archive.sqlite", accounts, args.days)
            env = {k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")}
            env.update(
                IGCONNECT_CONFIG_DIR=str(home / "config"),
                IGCONNECT_DATA_DIR=str(home / "data"),
                PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"),
            )
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(home / "stories.csv")],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{accounts:>6} accounts, {stories:>7} stories: {figures['rows']} rows in "
                f"{figures['seconds']:.1f} s ({figures['rows'] / figures['seconds']:,.0f} rows/s), "
                f"peak RSS {figures['peak_kb'] / 1024:.0f} MiB"
            )


if __name__ == "__main__":
    main()

"""Benchmark of `export stories` against the sandbox (50 ms latency per request).

Prints the API calls per account (what Meta counts, batched calls included), the HTTP round trips
(what costs time), wall time and peak memory of the export process (the sandbox runs in this
process, the export in a child), and the API calls of a simulated day of 24 hourly runs of one
account with 8 stories (a normal day and a slow-start day).

    .venv/bin/python bench/export.py [--accounts 200 10000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ADA = "10000000000000001"
SECRET = "sandbox-app-secret"

CHILD = r"""
import json, resource, sys, time, urllib.request
from datetime import datetime, timedelta
from igconnect.runtime import Runtime
from igconnect.export.run import ExportOptions, export_stories
base = sys.argv[1]
with urllib.request.urlopen(base + "/__sandbox/clock") as r:   # the sandbox's clock, once
    sb_now = datetime.fromisoformat(json.load(r)["now"])
t0 = time.monotonic()
clock = lambda: sb_now + timedelta(seconds=time.monotonic() - t0)
result = export_stories(Runtime(), ExportOptions(out=sys.argv[2], clock=clock, breakdowns=sys.argv[3]))
print(json.dumps({"exit": int(result.exit_code), "requests": result.requests,
                  "rows": result.rows, "seconds": result.seconds,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def prepare(sb, home: Path, accounts: int) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")},
        "IGCONNECT_CONFIG_DIR": str(home / "config"),
        "IGCONNECT_DATA_DIR": str(home / "data"),
        "IGCONNECT_TOKEN_STORE": "file",
        "IGCONNECT_APP_SECRET": SECRET,
        **sb.env(),
    }
    os.environ.update(env)
    from _homes import seed

    reach = [a for a in sb.world.accounts.values()][:accounts]
    seed("acme", ADA, sb.issue_token(ADA), [(a.id, a.username, a.page_id) for a in reach])
    return env


def run_child(sb, env: dict[str, str], out: Path, breakdowns: str = "auto") -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, sb.base_url, str(out), breakdowns],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_accounts(n: int, latency_ms: int) -> dict:
    from igconnect.sandbox import Sandbox, SandboxConfig

    with (
        tempfile.TemporaryDirectory() as tmp,
        Sandbox(SandboxConfig(port=0, seed=3, accounts=n, stories=8, latency_ms=latency_ms)) as sb,
    ):
        env = prepare(sb, Path(tmp), n)
        # The default export_concurrency, batching on: as cron runs it. Breakdowns are a
        # once-per-story cost (at the final read), measured by the day below.
        sb.reset_counters()
        figures = run_child(sb, env, Path(tmp) / "out.csv", "never")
        counters = sb.counters()
        return {
            "accounts": n,
            "api_calls_per_account": round(counters["api_calls"] / n, 3),
            "round_trips": counters["round_trips"],
            "wall_s": round(figures["seconds"], 2),
            "peak_mb": round(figures["peak_kb"] / 1024, 1),
            "rows": figures["rows"],
        }


def bench_day(latency_ms: int, scenarios: list[str] | None = None) -> dict:
    """24 hourly runs of one account with 8 stories a day (the sandbox clock moved 1 h between
    runs): the API calls Meta counts, and how the 8 stories live at the start ended."""
    import csv

    from igconnect.sandbox import Sandbox, SandboxConfig

    config = SandboxConfig(
        port=0, seed=3, accounts=1, stories=8, latency_ms=latency_ms, scenarios=scenarios or []
    )
    with tempfile.TemporaryDirectory() as tmp, Sandbox(config) as sb:
        env = prepare(sb, Path(tmp), 1)
        first = {s.id for s in sb.world.stories(next(iter(sb.world.accounts)), sb.state.now())}
        sb.reset_counters()
        for _ in range(24):
            figures = run_child(sb, env, Path(tmp) / "out.csv")
            assert figures["exit"] == 0, figures
            sb.advance_clock(hours=1)
        calls = sb.counters()["api_calls"]
        with open(Path(tmp) / "out.csv", newline="") as handle:
            rows = {r["story_id"]: r for r in csv.DictReader(handle)}
        final = sum(
            1 for i in first if rows[i]["value_source"] == "final" and rows[i]["reach"] != ""
        )
        return {
            "day": ",".join(scenarios or []) or "normal",
            "api_calls": calls,
            "stories_live_at_start": len(first),
            "ended_final_with_insights": final,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[200, 10000])
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    for n in args.accounts:
        print(json.dumps(bench_accounts(n, args.latency_ms)), flush=True)
    print(json.dumps(bench_day(args.latency_ms)), flush=True)
    print(json.dumps(bench_day(args.latency_ms, ["slow-start@acme_1"])), flush=True)


if __name__ == "__main__":
    main()

"""Lose nothing, end to end against the sandbox: each answer Meta gives that used to cost data."""

from __future__ import annotations

import json
from typing import Any

from igconnect.errors import ExitCode
from tests import stored
from tests.export.conftest import read_csv

ADA = "10000000000000001"
ACME_1 = "17841400000000001"


def _run(cli: Any, setup: Any, *args: str) -> Any:
    return cli("export", "stories", "--out", str(setup.out), "--json", *args)


def _export(setup: Any, **options: Any) -> Any:
    """One run in-process, on the sandbox's clock (which the tests move)."""
    from igconnect.export.run import ExportOptions, export_stories
    from igconnect.runtime import Runtime

    runtime = Runtime()
    try:
        return export_stories(
            runtime, ExportOptions(out=str(setup.out), clock=setup.sb.state.now_dt, **options)
        )
    finally:
        runtime.close()


def test_stories_that_start_under_5_viewers_end_final_with_insights(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory(accounts=1, scenarios=["slow-start@acme_1"])
    setup.connect("acme", ADA)
    slow = {s.id for s in setup.sb.world.stories(ACME_1, setup.sb.state.now())}
    seen: dict[str, dict[str, str]] = {}
    for _hour in range(30):  # a day and more of hourly runs: every story of the first hour expires
        result = _export(setup)
        assert result.exit_code == 0, result.failed
        seen.update({r["story_id"]: r for r in read_csv(setup.out)})
        setup.sb.advance_clock(hours=1)
    for story_id in slow:
        row = seen[story_id]
        assert row["value_source"] == "final", row
        assert row["status"] == "ok" and int(row["reach"]) >= 5, row
        assert row["navigation_tap_forward"] != ""  # breakdowns read at the final read


def test_too_much_data_is_asked_again_smaller_and_remembered(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory(accounts=1, scenarios=["reduce-data@acme_1"])
    setup.connect("acme", ADA)
    first = _run(cli, setup, "--breakdowns", "never")
    assert first.exit_code == 0, first.output
    assert all(r["reach"] != "" for r in read_csv(setup.out))
    # 100 too large, 25 too large, 5 works (the scenario allows up to 10), paged by 5
    calls = setup.sb.counters()["api_calls"]
    setup.sb.reset_counters()
    again = _run(cli, setup, "--breakdowns", "never")
    assert again.exit_code == 0
    assert setup.sb.counters()["api_calls"] < calls  # the page size that works is remembered


def test_expansion_that_is_always_too_large_reads_per_story(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(accounts=1, scenarios=["reduce-data-strict@acme_1"])
    setup.connect("acme", ADA)
    result = _run(cli, setup, "--breakdowns", "never")
    assert result.exit_code == 0, result.output
    rows = read_csv(setup.out)
    assert rows and all(r["status"] == "ok" and r["reach"] != "" for r in rows)


def test_a_policy_block_pauses_and_the_next_run_does_not_call(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory(accounts=2, scenarios=["policy-blocked@acme_2"])
    setup.connect("acme", ADA)
    first = _run(cli, setup)
    assert first.exit_code == ExitCode.PARTIAL
    reports = {a["username"]: a for a in json.loads(first.stdout)["accounts"]}
    assert reports["acme_2"]["state"] == "throttled"
    assert "368" in reports["acme_2"]["reason"]
    setup.sb.reset_counters()
    second = _run(cli, setup)
    assert second.exit_code == ExitCode.PARTIAL
    again = {a["username"]: a for a in json.loads(second.stdout)["accounts"]}
    assert "not called" in again["acme_2"]["reason"] and again["acme_2"]["requests"] == 0
    assert again["acme_1"]["state"] == "collected"


def test_a_metric_that_cancels_the_request_is_dropped_and_the_rest_collected(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory(accounts=1, scenarios=["metric-cancelled:shares@acme_1"])
    setup.connect("acme", ADA)
    first = _run(cli, setup, "--breakdowns", "never")
    assert first.exit_code == 0, first.output
    assert "Meta rejected the story metric 'shares'" in first.stderr
    rows = read_csv(setup.out)
    assert rows and all(r["status"] == "ok" and r["reach"] != "" for r in rows)
    assert all(r["shares"] == "" for r in rows)
    second = _run(cli, setup, "--breakdowns", "never")
    assert second.exit_code == 0 and "shares" not in second.stderr  # remembered


def test_a_checkpoint_is_tried_again_and_clears(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(accounts=1, scenarios=["checkpoint"])
    setup.connect("acme", ADA)
    first = _run(cli, setup)
    assert first.exit_code == ExitCode.NOTHING_COLLECTED
    assert stored.connection("acme").status == "checkpoint"
    setup.sb.clear_checkpoint()
    second = _run(cli, setup)
    assert second.exit_code == 0, second.output  # tried again, not skipped as broken
    assert stored.connection("acme").status == "ok"


def test_stories_that_expired_unread_are_counted(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(accounts=1)
    setup.connect("acme", ADA)
    assert _export(setup).exit_code == 0
    setup.sb.advance_clock(hours=10)  # ten hourly runs missed: some stories expired unread
    missed = _export(setup).missed_final_reads
    assert missed >= 2
    assert _export(setup).missed_final_reads == 0  # counted once
    doctor = cli("doctor", "--check", "export.final-reads", "--json")
    assert f"{missed} stories expired" in doctor.stdout

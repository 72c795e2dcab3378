"""Derived columns of `igconnect export stories`, on hand-made archives: zero reach, missing
breakdowns, a one-story sequence, missing follower counts, time zones, periods cut mid-day."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from igconnect.export.derived import DERIVED_COLUMNS
from igconnect.meta.metrics import metric_columns

NAV = {
    "navigation_tap_forward": 40,
    "navigation_tap_back": 4,
    "navigation_tap_exit": 10,
    "navigation_swipe_forward": 2,
}
PERIOD = ("--since", "2026-11-01", "--until", "2026-11-30")


def export(cli: Any, tmp_path: Path, *args: str, fmt: str = "csv") -> dict[str, dict[str, Any]]:
    out = tmp_path / f"stories.{fmt}"
    result = cli("export", "stories", "--no-fetch", "--out", str(out), *PERIOD, *args)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    if fmt == "jsonl":
        return {r["story_id"]: r for r in map(json.loads, text.splitlines())}
    return {r["story_id"]: r for r in csv.DictReader(text.splitlines())}


def test_header_ends_with_the_derived_columns_in_a_stable_order(
    handmade: Any, cli: Any, tmp_path: Path
) -> None:
    handmade.story("s1", "2026-11-22T08:00:00Z", {"reach": 100})
    out = tmp_path / "stories.csv"
    assert cli("export", "stories", "--no-fetch", "--out", str(out), *PERIOD).exit_code == 0
    header = out.read_text().splitlines()[0].split(",")
    assert header[-len(DERIVED_COLUMNS) :] == list(DERIVED_COLUMNS)
    assert header[: -len(DERIVED_COLUMNS)][-len(metric_columns("v25.0")) :] == metric_columns(
        "v25.0"
    )
    assert DERIVED_COLUMNS == (
        "followers_at_post",
        "exit_rate",
        "tap_forward_rate",
        "tap_back_rate",
        "reply_rate",
        "share_rate",
        "reach_rate",
        "sequence_id",
        "sequence_position",
        "sequence_length",
        "sequence_completion",
        "sequence_dropoff",
    )


def test_rates_zero_reach_and_missing_breakdowns(handmade: Any, cli: Any, tmp_path: Path) -> None:
    handmade.story("full", "2026-11-22T08:00:00Z", {"reach": 200, "replies": 4, "shares": 6, **NAV})
    handmade.story("zero", "2026-11-22T09:00:00Z", {"reach": 0, "replies": 0, "shares": 0, **NAV})
    handmade.story("plain", "2026-11-22T10:00:00Z", {"reach": 50, "replies": 1, "shares": 0})
    handmade.story("few", "2026-11-22T11:00:00Z", {}, status="too_few_viewers")
    rows = export(cli, tmp_path)
    full = rows["full"]
    assert (full["exit_rate"], full["tap_forward_rate"], full["tap_back_rate"]) == (
        "0.05",
        "0.2",
        "0.02",
    )
    assert (full["reply_rate"], full["share_rate"]) == ("0.02", "0.03")
    zero = rows["zero"]
    assert all(zero[c] == "" for c in ("exit_rate", "tap_forward_rate", "reply_rate", "share_rate"))
    plain = rows["plain"]
    assert plain["exit_rate"] == plain["tap_forward_rate"] == plain["tap_back_rate"] == ""
    assert (plain["reply_rate"], plain["share_rate"]) == ("0.02", "0.0")
    assert all(rows["few"][c] == "" for c in DERIVED_COLUMNS if c.endswith("_rate"))
    # One day, four frames; the completion is last over first reach: the last has none.
    assert [rows[s]["sequence_position"] for s in ("full", "zero", "plain", "few")] == list("1234")
    assert {r["sequence_length"] for r in rows.values()} == {"4"}
    assert {r["sequence_completion"] for r in rows.values()} == {""}
    assert [rows[s]["sequence_dropoff"] for s in ("full", "zero", "plain", "few")] == [
        "",
        "1.0",
        "",  # after a frame with reach 0: no drop-off
        "",
    ]


def test_a_one_story_sequence(handmade: Any, cli: Any, tmp_path: Path) -> None:
    handmade.story("only", "2026-11-22T08:00:00Z", {"reach": 80})
    handmade.story("next-day", "2026-11-23T08:00:00Z", {"reach": 90})
    handmade.story("other", "2026-11-22T09:00:00Z", {"reach": 10}, account_id="9", username="x")
    rows = export(cli, tmp_path, fmt="jsonl")
    only = rows["only"]
    assert only["sequence_id"] == "2026-11-22"
    assert (only["sequence_position"], only["sequence_length"]) == (1, 1)
    assert only["sequence_completion"] == 1.0 and only["sequence_dropoff"] is None
    assert rows["next-day"]["sequence_id"] == "2026-11-23"
    assert rows["next-day"]["sequence_length"] == 1  # another day, another sequence
    assert rows["other"]["sequence_length"] == 1  # another account, another sequence


def test_sequence_drop_off_and_completion(handmade: Any, cli: Any, tmp_path: Path) -> None:
    for i, reach in enumerate([400, 300, 240, 250]):
        handmade.story(f"f{i}", f"2026-11-22T{8 + i:02d}:00:00Z", {"reach": reach})
    rows = export(cli, tmp_path, fmt="jsonl")
    assert [rows[f"f{i}"]["sequence_dropoff"] for i in range(4)] == [None, 0.25, 0.2, -0.041667]
    assert {rows[f"f{i}"]["sequence_completion"] for i in range(4)} == {0.625}


def test_a_period_cut_mid_day_keeps_the_whole_sequence(
    handmade: Any, cli: Any, tmp_path: Path
) -> None:
    handmade.story("a", "2026-11-22T06:00:00Z", {"reach": 100})
    handmade.story("b", "2026-11-22T18:00:00Z", {"reach": 50})
    out = tmp_path / "cut.csv"
    result = cli(
        "export", "stories", "--no-fetch", "--out", str(out), "--since", "2026-11-22T12:00:00Z"
    )
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(out.read_text().splitlines())
    assert row["story_id"] == "b"
    assert (row["sequence_position"], row["sequence_length"], row["sequence_completion"]) == (
        "2",
        "2",
        "0.5",
    )


def test_sequences_follow_report_timezone(
    handmade: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handmade.story("evening", "2026-11-22T22:30:00Z", {"reach": 100})
    handmade.story("night", "2026-11-23T01:00:00Z", {"reach": 60})
    assert {r["sequence_id"] for r in export(cli, tmp_path).values()} == {
        "2026-11-22",
        "2026-11-23",
    }
    monkeypatch.setenv("IGCONNECT_REPORT_TIMEZONE", "America/Los_Angeles")
    rows = export(cli, tmp_path)
    assert {r["sequence_id"] for r in rows.values()} == {"2026-11-22"}
    assert rows["night"]["sequence_completion"] == "0.6"
    monkeypatch.setenv("IGCONNECT_SEQUENCE_WINDOW", "6h")
    # 14:30 and 17:00 in Los Angeles: the same 6-hour block.
    assert {r["sequence_id"] for r in export(cli, tmp_path).values()} == {"2026-11-22T12"}


def test_reach_rate_without_the_profiles_table(handmade: Any, cli: Any, tmp_path: Path) -> None:
    handmade.story("s", "2026-11-22T08:00:00Z", {"reach": 100})
    row = export(cli, tmp_path)["s"]
    assert row["followers_at_post"] == row["reach_rate"] == ""


def test_followers_at_posting_time(handmade: Any, cli: Any, tmp_path: Path) -> None:
    other = "17841400000000002"
    handmade.story("before", "2026-11-22T08:00:00Z", {"reach": 100})
    handmade.story("after-only", "2026-11-22T08:00:00Z", {"reach": 30}, account_id=other)
    handmade.story("too-late", "2026-11-25T08:00:00Z", {"reach": 30}, account_id="3")
    handmade.story("null-count", "2026-11-26T08:00:00Z", {"reach": 30}, account_id="4")
    # Before posting: the last observation at or before posted_at wins over a later one.
    handmade.profile("2026-11-21T07:00:00Z", 900)
    handmade.profile("2026-11-22T08:00:00Z", 1000)
    handmade.profile("2026-11-22T09:00:00Z", 5000)
    # Nothing before: the first one within 24 h after.
    handmade.profile("2026-11-22T20:00:00Z", 600, account_id=other)
    handmade.profile("2026-11-23T07:00:00Z", 700, account_id=other)
    # Only one more than 24 h after: none.
    handmade.profile("2026-11-26T08:00:01Z", 100, account_id="3")
    # An observation without a count is no observation.
    handmade.profile("2026-11-26T07:00:00Z", None, account_id="4")
    rows = export(cli, tmp_path, fmt="jsonl")
    assert (rows["before"]["followers_at_post"], rows["before"]["reach_rate"]) == (1000, 0.1)
    assert (rows["after-only"]["followers_at_post"], rows["after-only"]["reach_rate"]) == (
        600,
        0.05,
    )
    assert rows["too-late"]["followers_at_post"] is None and rows["too-late"]["reach_rate"] is None
    assert rows["null-count"]["followers_at_post"] is None


def test_zero_followers_is_no_reach_rate(handmade: Any, cli: Any, tmp_path: Path) -> None:
    handmade.story("s", "2026-11-22T08:00:00Z", {"reach": 10})
    handmade.profile("2026-11-22T07:00:00Z", 0)
    row = export(cli, tmp_path, fmt="jsonl")["s"]
    assert row["followers_at_post"] == 0 and row["reach_rate"] is None


def test_snapshot_rows_get_rates_of_their_own_observation(
    handmade: Any, cli: Any, tmp_path: Path
) -> None:
    from igconnect.export.archive import Archive, StoryRecord, from_iso

    handmade.close()
    archive = Archive(handmade.path)
    for hour, reach in ((10, 50), (20, 100)):
        run = archive.start_run(from_iso(f"2026-11-22T{hour}:00:00Z"))  # type: ignore[arg-type]
        archive.record_account(
            run_id=run,
            connection="acme",
            account_id="1",
            username="acme_shop",
            api_version="v25.0",
            observed_at=from_iso(f"2026-11-22T{hour}:00:00Z"),  # type: ignore[arg-type]
            stories=[
                StoryRecord(
                    "s",
                    "IMAGE",
                    "STORY",
                    None,
                    from_iso("2026-11-22T08:00:00Z"),
                    "ok",
                    values={"reach": reach, "shares": 10},
                    read=True,
                    insights_read=True,
                )
            ],
        )
    archive.close()
    out = tmp_path / "snap.csv"
    result = cli("export", "stories", "--no-fetch", "--snapshots", "--out", str(out), *PERIOD)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [r["share_rate"] for r in rows] == ["0.2", "0.1"]
    assert [r["sequence_length"] for r in rows] == ["1", "1"]

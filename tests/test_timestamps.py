"""The moments users type after --since / --until, read one way everywhere (table-driven), and
windows with nothing in them refused as usage errors (exit 2) with one line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from igconnect.errors import ExitCode, UsageError
from igconnect.timestamps import parse_moment, parse_window

NOW = datetime(2026, 11, 22, 15, 30, 0, tzinfo=UTC)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# (text, end, expected)
MOMENTS = [
    ("2026-11-01", False, at(2026, 11, 1)),
    ("2026-11-01", True, at(2026, 11, 2)),  # --until a date includes that day
    ("2026-11-01T09:15:00Z", False, at(2026, 11, 1, 9, 15)),
    ("2026-11-01T09:15:00z", True, at(2026, 11, 1, 9, 15)),
    ("2026-11-01T10:15:00+01:00", False, at(2026, 11, 1, 9, 15)),
    ("2026-11-01T09:15", False, at(2026, 11, 1, 9, 15)),  # naive: UTC
    ("24h", False, at(2026, 11, 21, 15, 30)),
    ("24h", True, at(2026, 11, 21, 15, 30)),  # a span back from now is a moment: same either way
    ("7d", False, at(2026, 11, 15, 15, 30)),
    ("2w", False, at(2026, 11, 8, 15, 30)),
    ("90m", False, at(2026, 11, 22, 14, 0)),
    (" 7D ", False, at(2026, 11, 15, 15, 30)),
    ("today", False, at(2026, 11, 22)),
    ("today", True, at(2026, 11, 23)),
    ("yesterday", False, at(2026, 11, 21)),
    ("Yesterday", True, at(2026, 11, 22)),
    ("now", False, NOW),
]


@pytest.mark.parametrize(("text", "end", "expected"), MOMENTS)
def test_moments(text: str, end: bool, expected: datetime) -> None:
    assert parse_moment(text, end=end, now=NOW) == expected


@pytest.mark.parametrize("text", ["last week", "7 days ago", "2026-13-01", "7y", "-7d", ""])
def test_not_a_moment(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_moment(text, now=NOW)
    assert info.value.exit_code == ExitCode.USAGE
    assert "24h, 7d" in (info.value.hint or "")


# (since, until, default_days, expected window or the start of the error message)
WINDOWS: list[tuple[str | None, str | None, int, Any]] = [
    ("7d", None, 7, (at(2026, 11, 15, 15, 30), None)),
    ("yesterday", "yesterday", 7, (at(2026, 11, 21), at(2026, 11, 22))),
    ("today", "today", 7, (at(2026, 11, 22), at(2026, 11, 23))),
    ("2026-11-01", "2026-11-30", 7, (at(2026, 11, 1), at(2026, 12, 1))),
    (None, "today", 7, (None, at(2026, 11, 23))),
    (None, None, 7, (None, None)),
    (None, "2026-01-01", 0, (None, at(2026, 1, 2))),  # no default window: all before it
    ("2026-11-30", "2026-11-01", 7, "--since 2026-11-30 (2026-11-30T00:00:00Z) is not before"),
    ("24h", "2d", 7, "--since 24h"),
    ("2026-12-01", None, 7, "--since 2026-12-01 (2026-12-01T00:00:00Z) is in the future"),
    (None, "2026-01-01", 7, "--until 2026-01-01 (2026-01-02T00:00:00Z) is before the default"),
]


@pytest.mark.parametrize(("since", "until", "days", "expected"), WINDOWS)
def test_windows(since: str | None, until: str | None, days: int, expected: Any) -> None:
    if isinstance(expected, tuple):
        assert parse_window(since, until, default_days=days, now=NOW) == expected
        return
    with pytest.raises(UsageError) as info:
        parse_window(since, until, default_days=days, now=NOW)
    assert info.value.message.startswith(expected), info.value.message
    assert "\n" not in info.value.message and info.value.hint


@pytest.mark.parametrize("command", [["export", "stories"], ["report", "--out", "r.html"]])
def test_inverted_window_is_a_usage_error_and_writes_nothing(
    cli: Any, tmp_path: Any, command: list[str]
) -> None:
    out = tmp_path / "stories.csv"
    args = [*command, "--since", "2026-11-30", "--until", "2026-11-01"]
    if command[0] == "export":
        args += ["--out", str(out)]
    result = cli(*args)
    assert result.exit_code == ExitCode.USAGE, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: --since 2026-11-30 ") and " — " in line
    assert not out.exists()


def test_relative_dates_reach_the_export(cli: Any, tmp_path: Any) -> None:
    bad = cli("export", "stories", "--since", "last week")
    assert bad.exit_code == ExitCode.USAGE
    assert "Error: 'last week' is not a date — write YYYY-MM-DD" in bad.stderr

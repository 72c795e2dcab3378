"""What a report is made of: options in, per-account figures in between, a result out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from igconnect.analytics.summary import PositionFigures, RateFigures
from igconnect.errors import ExitCode


@dataclass
class ReportOptions:
    out: Path
    since: datetime | None = None  # stories posted at or after (None: `export_window_days` back)
    until: datetime | None = None  # stories posted before
    accounts: list[str] = field(default_factory=list)  # usernames, with or without @
    connections: list[str] = field(default_factory=list)  # the archived `connection` of stories
    clock: Callable[[], datetime] | None = None  # "now": the period's end and what is still live
    on_planned: Callable[[int], None] | None = None  # how many accounts the report will have
    on_account: Callable[[str], None] | None = None  # each username as its section is written


@dataclass(frozen=True)
class StoryFigures:
    """One story as the report shows it: archive columns plus the export's derived columns."""

    story_id: str
    permalink: str | None
    media_type: str | None
    posted_at: datetime
    status: str
    reach: int | None
    views: int | None
    rates: dict[str, float | None]  # rate column -> value
    followers: int | None
    sequence_id: str | None
    position: int | None
    length: int | None
    completion: float | None
    dropoff: float | None
    value_source: str  # live | final | last_seen | none


@dataclass(frozen=True)
class SequenceFigures:
    sequence_id: str
    stories: list[StoryFigures]  # the frames posted in the period, in order
    length: int  # frames in the whole window (a period may start or end inside it)
    completion: float | None


@dataclass
class AccountFigures:
    account_id: str
    username: str
    connections: list[str]
    zone: str
    stories: list[StoryFigures]
    sequences: list[SequenceFigures]
    rates: list[RateFigures]
    positions: list[PositionFigures]
    best: list[SequenceFigures]
    worst: list[SequenceFigures]
    total_reach: int | None
    median_reach: float | None
    median_views: float | None
    median_completion: float | None
    value_sources: dict[str, int]  # source -> stories

    @property
    def not_final(self) -> list[StoryFigures]:
        return [s for s in self.stories if s.value_source != "final"]


@dataclass(frozen=True)
class ReportResult:
    output: str
    since: datetime | None
    until: datetime
    accounts: int
    stories: int
    not_final: int
    seconds: float

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        def stamp(moment: datetime | None) -> str | None:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None

        return {
            "exit_code": int(self.exit_code),
            "output": self.output,
            "since": stamp(self.since),
            "until": stamp(self.until),
            "accounts": self.accounts,
            "stories": self.stories,
            "not_final": self.not_final,
            "seconds": round(self.seconds, 3),
        }

"""From the archive to per-account figures: the export's rows and derived columns, one account at
a time (memory grows with one account's period, not with the archive)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from igconnect.analytics.finality import value_source
from igconnect.analytics.rates import RATE_COLUMNS
from igconnect.analytics.sequences import SequenceWindows
from igconnect.analytics.stats import median
from igconnect.analytics.summary import best_and_worst, rate_figures, retention_by_position
from igconnect.errors import NotFoundError
from igconnect.export.archive import from_iso, iso
from igconnect.report.model import AccountFigures, SequenceFigures, StoryFigures

if TYPE_CHECKING:
    from igconnect.export.archive import Archive

BEST_AND_WORST = 3


@dataclass(frozen=True)
class AccountRef:
    account_id: str
    username: str


def plan_accounts(
    archive: Archive,
    *,
    since: datetime | None,
    until: datetime,
    usernames: Sequence[str],
    connections: Sequence[str],
) -> list[AccountRef]:
    """The accounts that posted in the period (and pass the filters), by username."""
    db = archive.db
    known_connections = [r[0] for r in db.execute("SELECT DISTINCT connection FROM stories")]
    for name in connections:
        if name not in known_connections:
            raise NotFoundError(
                "connection",
                name,
                known_connections,
                hint="--connection takes a connection name as archived by `igconnect export stories`",
            )
    # The latest username of each account (a bare column next to max() comes from that row).
    latest = {
        r[0]: r[1]
        for r in db.execute(
            "SELECT account_id, username, max(last_observed_at) FROM stories GROUP BY account_id"
        )
    }
    wanted = {u.lstrip("@").lower() for u in usernames}
    for name in sorted(wanted):
        if name not in {u.lower() for u in latest.values()}:
            raise NotFoundError(
                "account",
                "@" + name,
                ["@" + u for u in latest.values()],
                hint="the report knows the accounts in the archive; run `igconnect export stories`",
            )
    clauses, params = ["posted_at IS NOT NULL", "posted_at < ?"], [iso(until)]
    if since is not None:
        clauses.append("posted_at >= ?")
        params.append(iso(since))
    if connections:
        clauses.append(f"connection IN ({','.join('?' * len(connections))})")
        params.extend(connections)
    posted = [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT account_id FROM stories WHERE {' AND '.join(clauses)}", params
        )
    ]
    refs = [AccountRef(a, latest[a]) for a in posted]
    if wanted:
        refs = [r for r in refs if r.username.lower() in wanted]
    return sorted(refs, key=lambda r: (r.username.lower(), r.account_id))


def account_figures(
    archive: Archive,
    ref: AccountRef,
    *,
    since: datetime | None,
    until: datetime,
    connections: Sequence[str],
    windows: SequenceWindows,
    now: datetime,
) -> AccountFigures:
    """Every figure of one account over the period, from the same rows the export writes."""
    from igconnect.export.derived import with_derived

    rows = with_derived(
        archive.db,
        archive.latest_rows(since=since, until=until, account_ids=[ref.account_id], now=now),
        since=since,
        until=until,
        account_ids=[ref.account_id],
        windows=windows,
    )
    stories: list[StoryFigures] = []
    seen_connections: set[str] = set()
    for row in rows:
        if row.get("posted_at") and (not connections or row["connection"] in connections):
            stories.append(_story(row, now))
            seen_connections.add(row["connection"])
    sequences = _sequences(stories)
    scored = [(s, s.completion) for s in sequences if s.length > 1 and s.completion is not None]
    # At most 3 each, and no more than half the sequences each, so both lists say something.
    best, worst = best_and_worst(scored, max(1, min(BEST_AND_WORST, len(scored) // 2)))
    reaches = [s.reach for s in stories if s.reach is not None]
    sources: dict[str, int] = {}
    for story in stories:
        sources[story.value_source] = sources.get(story.value_source, 0) + 1
    return AccountFigures(
        account_id=ref.account_id,
        username=ref.username,
        connections=sorted(seen_connections),
        zone=str(windows.zone_of(ref.account_id)),
        stories=stories,
        sequences=sequences,
        rates=rate_figures([s.rates for s in stories]),
        positions=retention_by_position(
            [[f.reach for f in s.stories] for s in sequences if _whole(s)]
        ),
        best=best,
        worst=worst,
        total_reach=sum(reaches) if reaches else None,
        median_reach=median(reaches),
        median_views=median(s.views for s in stories),
        median_completion=median(s.completion for s in sequences if s.length > 1),
        value_sources=dict(sorted(sources.items())),
    )


def _story(row: dict[str, Any], now: datetime) -> StoryFigures:
    values = row["values"]
    posted = from_iso(row["posted_at"])
    assert posted is not None
    return StoryFigures(
        story_id=row["story_id"],
        permalink=row.get("permalink"),
        media_type=row.get("media_type"),
        posted_at=posted,
        status=row.get("status") or "",
        reach=values.get("reach"),
        views=values.get("views"),
        rates={c: values.get(c) for c in RATE_COLUMNS},
        followers=values.get("followers_at_post"),
        sequence_id=values.get("sequence_id"),
        position=values.get("sequence_position"),
        length=values.get("sequence_length"),
        completion=values.get("sequence_completion"),
        dropoff=values.get("sequence_dropoff"),
        value_source=value_source(row, now),
    )


def _sequences(stories: list[StoryFigures]) -> list[SequenceFigures]:
    groups: dict[str, list[StoryFigures]] = {}
    for story in stories:
        if story.sequence_id is not None:
            groups.setdefault(story.sequence_id, []).append(story)
    return [
        SequenceFigures(key, frames, frames[0].length or len(frames), frames[0].completion)
        for key, frames in groups.items()
    ]


def _whole(sequence: SequenceFigures) -> bool:
    """All of its frames are in the period (a cut sequence would skew the retention by position)."""
    return len(sequence.stories) == sequence.length

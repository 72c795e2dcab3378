"""Derived columns of the story export: rates, follower count at posting time, sequence figures.

The export streams rows in (posted_at, story_id) order. A sequence's figures need the other stories
of its window, so one more streamed query computes them in SQLite (window functions over
(account, window), the window id from a Python function) in the same order, and the two streams are
merged row by row: memory stays flat whatever the number of accounts. The formulas are pure
functions in `igconnect.analytics` and are documented in docs/export.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from igconnect.analytics.rates import FOLLOWERS, RATE_COLUMNS, story_rates
from igconnect.analytics.sequences import SEQUENCE_COLUMNS, SequenceWindows, frame, zone
from igconnect.export.archive import from_iso, iso

if TYPE_CHECKING:
    import sqlite3

    from igconnect.settings import Settings

DERIVED_COLUMNS: tuple[str, ...] = (FOLLOWERS, *RATE_COLUMNS, *SEQUENCE_COLUMNS)

PROFILES_TABLE = "profile_observations"  # written by `igconnect export profiles` (issue 12)
FOLLOWERS_LOOKAHEAD = "+24 hours"  # no observation before posting: the first one within a day


def sequence_windows(
    settings: Settings, zones: Mapping[str, tzinfo] | None = None
) -> SequenceWindows:
    """The windows of the settings: `sequence_window` in `report_timezone` (per-account `zones`
    override it, for when accounts get their own zone)."""
    return SequenceWindows(
        window=settings.get("sequence_window"),
        default_zone=zone(settings.get("report_timezone")),
        zones=zones or {},
    )


def with_derived(
    db: sqlite3.Connection,
    rows: Iterable[dict[str, Any]],
    *,
    since: datetime | None,
    until: datetime | None,
    account_ids: Sequence[str] | None,
    windows: SequenceWindows,
) -> Iterator[dict[str, Any]]:
    """Add the derived columns to each archive row's `values` (rows as `Archive.latest_rows` or
    `snapshot_rows` yield them, for the same since/until/accounts)."""
    facts = story_facts(db, since=since, until=until, account_ids=account_ids, windows=windows)
    fact = next(facts, None)
    for row in rows:
        key = (row.get("posted_at") or "", row["story_id"])
        while fact is not None and (fact["posted_at"], fact["story_id"]) < key:
            fact = next(facts, None)
        here = fact if fact is not None and fact["story_id"] == row["story_id"] else None
        row["values"] = {**row.get("values", {}), **derived_values(row.get("values", {}), here)}
        yield row


def derived_values(values: dict[str, Any], fact: dict[str, Any] | None) -> dict[str, Any]:
    """The derived columns of one row from its metric values and its story's facts (or None)."""
    followers = fact["followers"] if fact else None
    out: dict[str, Any] = {FOLLOWERS: followers, **story_rates(values, followers)}
    if fact is None or fact["sequence_id"] is None:
        return {**out, **dict.fromkeys(SEQUENCE_COLUMNS)}
    f = frame(
        position=fact["position"],
        length=fact["length"],
        reach=fact["reach"],
        first_reach=fact["first_reach"],
        last_reach=fact["last_reach"],
        previous_reach=fact["previous_reach"],
    )
    out.update(
        sequence_id=fact["sequence_id"],
        sequence_position=f.position,
        sequence_length=f.length,
        sequence_completion=f.completion,
        sequence_dropoff=f.dropoff,
    )
    return out


def story_facts(
    db: sqlite3.Connection,
    *,
    since: datetime | None,
    until: datetime | None,
    account_ids: Sequence[str] | None,
    windows: SequenceWindows,
) -> Iterator[dict[str, Any]]:
    """Per story posted in [since, until), in (posted_at, story_id) order: its latest reach, its
    sequence (id, position, length, first/last/previous reach) and its followers at posting time.

    Sequences are computed over a range widened by one window on each side, so a period that starts
    or ends in the middle of a day does not cut that day's sequence short."""

    def sequence_id(account_id: str, posted_at: str | None) -> str | None:
        moment = _parse(posted_at)
        return windows.key(account_id, moment) if moment else None

    db.create_function("igc_sequence_id", 2, sequence_id, deterministic=True)
    inner: list[str] = ["s.posted_at IS NOT NULL"]
    outer: list[str] = []
    params: dict[str, Any] = {}
    if since is not None:
        inner.append("s.posted_at >= :wide_since")
        outer.append("f.posted_at >= :since")
        params.update(since=iso(since), wide_since=iso(since - windows.span))
    if until is not None:
        inner.append("s.posted_at < :wide_until")
        outer.append("f.posted_at < :until")
        params.update(until=iso(until), wide_until=iso(until + windows.span))
    if account_ids is not None:
        names = [f":a{i}" for i in range(len(account_ids))]
        inner.append(f"s.account_id IN ({','.join(names) or 'NULL'})")
        params.update({n[1:]: a for n, a in zip(names, account_ids, strict=True)})
    query = f"""
        WITH base AS (
            SELECT s.story_id, s.account_id, s.posted_at,
                   (SELECT v.value FROM latest_values v
                    WHERE v.story_id = s.story_id AND v.name = 'reach') AS reach,
                   igc_sequence_id(s.account_id, s.posted_at) AS sequence_id
            FROM stories s WHERE {" AND ".join(inner)}
        ), framed AS (
            SELECT *,
                   row_number() OVER frames AS position,
                   count(*) OVER whole AS length,
                   first_value(reach) OVER whole AS first_reach,
                   last_value(reach) OVER whole AS last_reach,
                   lag(reach) OVER frames AS previous_reach
            FROM base
            WINDOW frames AS (PARTITION BY account_id, sequence_id ORDER BY posted_at, story_id),
                   whole AS (PARTITION BY account_id, sequence_id ORDER BY posted_at, story_id
                             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        )
        SELECT f.*, {_followers_sql(db)} AS followers
        FROM framed f {("WHERE " + " AND ".join(outer)) if outer else ""}
        ORDER BY f.posted_at, f.story_id
    """
    for row in db.execute(query, params):
        yield {k: row[k] for k in row.keys()}  # noqa: SIM118 - a Row iterates its values


def _followers_sql(db: sqlite3.Connection) -> str:
    """The follower count at posting time: the last observation at or before posted_at, else the
    first one within 24 h after it (observations without a count are ignored). NULL without the
    profiles table."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (PROFILES_TABLE,)
    ).fetchone()
    if not exists:
        return "NULL"
    return f"""coalesce(
        (SELECT p.followers_count FROM {PROFILES_TABLE} p
         WHERE p.account_id = f.account_id AND p.observed_at <= f.posted_at
           AND p.followers_count IS NOT NULL
         ORDER BY p.observed_at DESC LIMIT 1),
        (SELECT p.followers_count FROM {PROFILES_TABLE} p
         WHERE p.account_id = f.account_id AND p.observed_at > f.posted_at
           AND p.observed_at <= strftime('%Y-%m-%dT%H:%M:%SZ', f.posted_at, '{FOLLOWERS_LOOKAHEAD}')
           AND p.followers_count IS NOT NULL
         ORDER BY p.observed_at LIMIT 1))"""


def _parse(text: str | None) -> datetime | None:
    try:
        return from_iso(text)
    except ValueError:
        return None

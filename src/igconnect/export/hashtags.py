"""Hashtag trackers: each one's recent and top media, within Meta's hashtag budget.

Meta lets one Instagram account query at most 30 unique hashtags in any 7 rolling days (a hashtag
queried again inside its 7 days is free and does not restart them). Which account a query counts
against is the `user_id` it names, so the budget is planned per account, before any call:

- a hashtag already queried by one of the connection's accounts in the last 7 days stays on it;
- otherwise it goes to the connection's account with the most room left;
- when every account of the connection has 30, the hashtag is skipped with a warning and nothing
  about it is sent to Meta (an over-budget query would only fail, and Meta's answer, code 4, is
  the one it gives an app throttle too).

UNSURE: Meta documents the budget on `ig_hashtag_search`; its `recent_media` and `top_media` pages
repeat it. So every run's use of a hashtag (search or media) is counted against the account named,
the stricter reading. A hashtag's id never changes: it is searched once and kept in the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from igconnect.export.public import EDGES, HASHTAGS_PER_WINDOW, MediaItem
from igconnect.export.results import COLLECTED, ItemReport, broken_item

if TYPE_CHECKING:
    import sqlite3

    from igconnect.connections.model import Connection
    from igconnect.export.pool import Clients
    from igconnect.export.public import PublicArchive

MEDIA_FIELDS = "id,media_type,permalink,timestamp,like_count,comments_count,caption"
MEDIA_PAGE = 50  # Meta's largest page of hashtag media


@dataclass(frozen=True)
class HashtagJob:
    hashtag: str
    connection: str
    account_id: str  # the account the query counts against (`user_id`)
    hashtag_id: str | None  # known from an earlier search, or None


BUDGET_FULL_PAUSE = timedelta(hours=24)  # how long an account Meta said is full is left alone


@dataclass
class HashtagOutcome:
    report: ItemReport
    hashtag_id: str | None = None  # found by this run's search
    media: dict[str, list[MediaItem]] | None = None
    budget_full: str | None = None  # the account Meta said has used its 30 (queries elsewhere)


def budget_key(account_id: str) -> str:
    """The archive's pause key for an account whose hashtag budget Meta said is spent."""
    return f"hashtags:{account_id}"


def says_budget_spent(exc: BaseException) -> bool:
    """Meta's answer to a query past the 30: code 4, the code of an app throttle too, so told
    apart by the message naming hashtags (as code 10 is told from "Not enough viewers").
    UNSURE: no public recording of Meta's text (tests/meta_answers.py, `hashtag-limit`)."""
    from igconnect.meta.errors import MetaApiError

    return isinstance(exc, MetaApiError) and exc.code == 4 and "hashtag" in exc.message.lower()


def plan_hashtags(
    db: sqlite3.Connection,
    public: PublicArchive,
    connections: dict[str, Connection],
    hashtags: list[str],
    now: datetime,
) -> tuple[list[HashtagJob], list[ItemReport], list[str], dict[str, tuple[str, str]]]:
    """Jobs for the hashtag trackers within budget; the skipped ones; warnings; broken
    connections met (name -> (reason, fix)). Reads only the state store and the archive."""
    by_id = {c.id: c for c in connections.values()}
    rows = _trackers(db, hashtags)
    ids = public.hashtag_ids([r["target"] for r in rows])
    reach: dict[str, list[str]] = {}  # connection id -> the accounts it reaches
    spent_by: dict[str, set[str]] = {}  # account id -> the hashtags it queried in the 7 days
    jobs: list[HashtagJob] = []
    skipped: list[ItemReport] = []
    warnings: list[str] = []
    broken: dict[str, tuple[str, str]] = {}
    for row in rows:
        tag = row["target"]
        connection = by_id.get(row["connection_id"] or "")
        if connection is None:
            skipped.append(
                _skip(
                    tag,
                    None,
                    f"no connection assigned (run `igconnect trackers assign '#{tag}'`, which picks a connection)",
                )
            )
            continue
        if connection.is_broken:
            skipped.append(broken_item("#" + tag, connection, broken))
            continue
        if connection.provider != "facebook":
            skipped.append(
                _skip(
                    tag,
                    connection.name,
                    "hashtag search needs a Facebook Login "
                    "connection (Meta offers none on Instagram Login)",
                )
            )
            continue
        if connection.id not in reach:
            reach[connection.id] = [
                str(r[0])
                for r in db.execute(
                    "SELECT account_id FROM accounts WHERE connection_id = ? ORDER BY account_id",
                    (connection.id,),
                )
            ]
            new = [a for a in reach[connection.id] if a not in spent_by]
            spent_by.update(public.open_queries(new, now))
            for account_id in new:  # Meta said it was full (queries made elsewhere)
                if public.archive.paused_until(budget_key(account_id), now) is not None:
                    spent_by[account_id] |= {f"(elsewhere {i})" for i in range(HASHTAGS_PER_WINDOW)}
        # One set per account, shared by every connection that reaches it: Meta counts per account.
        used = {a: spent_by[a] for a in reach[connection.id]}
        account = choose_account(used, tag)
        if account is None:
            freed = public.next_free_slot(list(used), now)
            message = (
                f"#{tag} skipped: every account of connection '{connection.name}' queried "
                f"{HASHTAGS_PER_WINDOW} unique hashtags in the last 7 days (Meta's limit)"
                + (f"; the next slot frees at {freed:%Y-%m-%d %H:%M} UTC" if freed else "")
                + "; nothing was sent to Meta. Assign it to a connection with room: "
                f"`igconnect trackers assign '#{tag}' CONNECTION`"
            )
            warnings.append(message)
            skipped.append(_skip(tag, connection.name, message))
            continue
        used[account].add(tag)
        jobs.append(HashtagJob(tag, connection.name, account, ids.get(tag)))
    return jobs, skipped, warnings, broken


def choose_account(used: dict[str, set[str]], tag: str) -> str | None:
    """The account to query `tag` as: one that already did within 7 days (free), else the one with
    the most room; None when every account has reached Meta's 30."""
    for account in sorted(used):
        if tag in used[account]:
            return account
    room = sorted((len(tags), a) for a, tags in used.items() if len(tags) < HASHTAGS_PER_WINDOW)
    return room[0][1] if room else None


def collect_hashtag(clients: Clients, job: HashtagJob, limit: int = MEDIA_PAGE) -> HashtagOutcome:
    """Search the id if unknown, then read the recent and the top media (one page each)."""
    from igconnect.export.pool import Failure, failure_of
    from igconnect.export.profiles import media_items

    client = clients.get(job.connection)
    if isinstance(client, Failure):
        return HashtagOutcome(_report(job, client.state, client.reason))
    found: str | None = None
    try:
        hashtag_id = job.hashtag_id
        if hashtag_id is None:
            body = client.get("ig_hashtag_search", {"user_id": job.account_id, "q": job.hashtag})
            data = (body or {}).get("data") or []
            if not data or not isinstance(data[0], dict) or not data[0].get("id"):
                return HashtagOutcome(_report(job, "error", "Meta found no such hashtag"))
            hashtag_id = found = str(data[0]["id"])
        media: dict[str, list[MediaItem]] = {}
        for edge in EDGES:
            body = client.get(
                f"{hashtag_id}/{edge}_media",
                {"user_id": job.account_id, "fields": MEDIA_FIELDS, "limit": limit},
            )
            media[edge] = media_items((body or {}).get("data"))
    except Exception as exc:  # one hashtag's failure must not stop the others
        if says_budget_spent(exc):  # spent by queries igconnect did not make
            reason = (
                f"Meta says account {job.account_id} has used its {HASHTAGS_PER_WINDOW} unique "
                "hashtags of the last 7 days (queries made outside igconnect); its hashtags wait "
                f"{BUDGET_FULL_PAUSE.total_seconds() / 3600:.0f} hours, or move this one: "
                f"`igconnect trackers assign '#{job.hashtag}' CONNECTION`"
            )
            return HashtagOutcome(_report(job, "skipped", reason), found, None, job.account_id)
        failure = failure_of(exc, clients, job.connection)
        return HashtagOutcome(_report(job, failure.state, failure.reason), found)
    rows = len({m.media_id for items in media.values() for m in items})
    return HashtagOutcome(_report(job, COLLECTED, None, rows), found, media)


def _report(job: HashtagJob, state: str, reason: str | None, rows: int = 0) -> ItemReport:
    return ItemReport("#" + job.hashtag, job.connection, state, reason, rows, job.account_id)


def _skip(tag: str, connection: str | None, reason: str) -> ItemReport:
    return ItemReport("#" + tag, connection, "skipped", reason, 0)


def _trackers(db: sqlite3.Connection, hashtags: list[str]) -> list[sqlite3.Row]:
    where, params = "kind = 'hashtag'", []
    if hashtags:
        where += f" AND key IN ({', '.join('?' * len(hashtags))})"
        params = ["#" + t for t in hashtags]
    return db.execute(
        f"SELECT target, connection_id FROM trackers WHERE {where} ORDER BY key", params
    ).fetchall()

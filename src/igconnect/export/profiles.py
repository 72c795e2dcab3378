"""Profiles of the account trackers: follower, follows and media counts at each run, and for public
accounts their recent posts with like and comment counts.

An account a connection reaches (the accounts it discovered at login, in the state store) is
*managed*: read through its own node, `GET /{ig-user-id}?fields=followers_count,...`, on the
connection assigned to its tracker, or else on any working connection that reaches it. Any other
account is *public*: read through business discovery, which needs a Facebook Login connection and
one of its accounts to ask from (`GET /{own-ig-id}?fields=business_discovery.username(NAME){...}`);
it spends the token's platform budget, not the account's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from igconnect.export.public import ACCESS_MANAGED, ACCESS_PUBLIC, MediaItem, ProfileRecord, excerpt
from igconnect.export.results import COLLECTED, ItemReport, broken_item

if TYPE_CHECKING:
    import sqlite3

    from igconnect.connections.model import Connection
    from igconnect.export.pool import Clients

PROFILE_FIELDS = "followers_count,follows_count,media_count,username"
POST_FIELDS = "id,media_type,permalink,timestamp,like_count,comments_count,caption"
POSTS_PER_RUN = 12  # a public account's most recent posts read at each run
DISCOVERY_NOT_FOUND = 2207013  # Meta's subcode for a name business discovery does not find


@dataclass(frozen=True)
class ProfileJob:
    username: str
    connection: str
    access: str  # managed | public
    node: str  # managed: the account's id; public: the id of the connection's account asking


def discovery_fields(username: str, posts: int = POSTS_PER_RUN) -> str:
    return (
        f"business_discovery.username({username}){{{PROFILE_FIELDS},"
        f"media.limit({posts}){{{POST_FIELDS}}}}}"
    )


def plan_profiles(
    db: sqlite3.Connection, connections: dict[str, Connection], usernames: list[str]
) -> tuple[list[ProfileJob], list[ItemReport], dict[str, tuple[str, str]]]:
    """The profile jobs of the account trackers (all, or those named), the trackers that cannot be
    read this run, and the broken connections met (name -> (reason, fix))."""
    by_id = {c.id: c for c in connections.values()}
    jobs: list[ProfileJob] = []
    skipped: list[ItemReport] = []
    broken: dict[str, tuple[str, str]] = {}
    asker = _DiscoveryAsker(db, connections)
    for row in _trackers(db, usernames):
        target = row["target"]
        assigned = by_id.get(row["connection_id"] or "")
        reaching = _reaching(db, by_id, target, row["account_id"], assigned)
        working = [(c, a) for c, a in reaching if not c.is_broken]
        if working:
            connection, account_id = working[0]
            jobs.append(ProfileJob(target, connection.name, ACCESS_MANAGED, account_id))
            continue
        if reaching:  # managed, but every connection that reaches it is broken
            connection = reaching[0][0]
            skipped.append(broken_item("@" + target, connection, broken, ACCESS_MANAGED))
            continue
        via = asker.choose(assigned)
        if isinstance(via, str):
            skipped.append(ItemReport("@" + target, None, "skipped", via, 0, ACCESS_PUBLIC))
            continue
        connection, asking_id = via
        if connection.is_broken:
            skipped.append(broken_item("@" + target, connection, broken, ACCESS_PUBLIC))
            continue
        jobs.append(ProfileJob(target, connection.name, ACCESS_PUBLIC, asking_id))
    return jobs, skipped, broken


def collect_profile(clients: Clients, job: ProfileJob) -> tuple[ItemReport, ProfileRecord | None]:
    """One profile (and a public account's posts) in one GET."""
    from igconnect.export.pool import Failure, failure_of
    from igconnect.meta.errors import MetaApiError

    client = clients.get(job.connection)
    if isinstance(client, Failure):
        return _report(job, client.state, client.reason), None
    managed = job.node if job.access == ACCESS_MANAGED else None
    paused = clients.account_paused(managed) if managed else None
    if paused is not None:
        return _report(job, paused.state, paused.reason), None
    try:
        if job.access == ACCESS_MANAGED:
            body = client.get(job.node, {"fields": PROFILE_FIELDS})
            node = body if isinstance(body, dict) else {}
        else:
            body = client.get(job.node, {"fields": discovery_fields(job.username)})
            node = (body or {}).get("business_discovery") or {}
    except MetaApiError as exc:
        if exc.subcode == DISCOVERY_NOT_FOUND:
            return _report(
                job,
                "error",
                f"business discovery does not find @{job.username}: not a professional "
                "account, or the name changed (`igconnect trackers remove @"
                f"{job.username} --yes` if it is gone)",
            ), None
        failure = failure_of(exc, clients, job.connection, managed)
        return _report(job, failure.state, failure.reason), None
    except Exception as exc:  # one profile's failure must not stop the others
        failure = failure_of(exc, clients, job.connection, managed)
        return _report(job, failure.state, failure.reason), None
    record = ProfileRecord(
        account_id=str(node.get("id") or (job.node if job.access == ACCESS_MANAGED else "")),
        username=str(node.get("username") or job.username),
        access=job.access,
        connection=job.connection,
        followers_count=_int(node.get("followers_count")),
        follows_count=_int(node.get("follows_count")),
        media_count=_int(node.get("media_count")),
        posts=_posts(node.get("media")) if job.access == ACCESS_PUBLIC else [],
    )
    if not record.account_id:
        return _report(job, "error", "Meta's answer had no account id"), None
    return _report(job, COLLECTED, None, len(record.posts)), record


def media_items(data: Any) -> list[MediaItem]:
    """Meta's media nodes (`id, media_type, permalink, timestamp, like_count, ...`) as items."""
    from igconnect.export.archive import iso
    from igconnect.export.collector import parse_time

    out = []
    for node in data if isinstance(data, list) else []:
        if not isinstance(node, dict) or not node.get("id"):
            continue
        out.append(
            MediaItem(
                media_id=str(node["id"]),
                media_type=_str(node.get("media_type")),
                permalink=_str(node.get("permalink")),
                posted_at=iso(parse_time(node.get("timestamp"))),
                caption=excerpt(node.get("caption")),
                like_count=_int(node.get("like_count")),  # Meta leaves it out when hidden
                comments_count=_int(node.get("comments_count")),
            )
        )
    return out


def _posts(media: Any) -> list[MediaItem]:
    return media_items(media.get("data") if isinstance(media, dict) else None)


def _report(job: ProfileJob, state: str, reason: str | None, rows: int = 0) -> ItemReport:
    return ItemReport("@" + job.username, job.connection, state, reason, rows, job.access)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return str(value) if isinstance(value, str) else None


def _trackers(db: sqlite3.Connection, usernames: list[str]) -> list[sqlite3.Row]:
    where, params = "kind = 'account'", []
    if usernames:  # by key: the primary key's index finds them without a scan
        where += f" AND key IN ({', '.join('?' * len(usernames))})"
        params = ["@" + u for u in usernames]
    return db.execute(
        f"SELECT target, account_id, connection_id FROM trackers WHERE {where} ORDER BY key",
        params,
    ).fetchall()


def _reaching(
    db: sqlite3.Connection,
    by_id: dict[str, Connection],
    target: str,
    account_id: str | None,
    assigned: Connection | None,
) -> list[tuple[Connection, str]]:
    """The connections that reach the account (by id or name; indexed), the assigned one first."""
    rows = db.execute(
        "SELECT connection_id, account_id FROM accounts WHERE account_id = ? "
        "OR username = ? COLLATE NOCASE",
        (account_id or "", target),
    ).fetchall()
    found = [(by_id[r[0]], str(r[1])) for r in rows if r[0] in by_id]
    found.sort(key=lambda pair: (assigned is None or pair[0].id != assigned.id, pair[0].name))
    return found


class _DiscoveryAsker:
    """Which Facebook Login connection (and which of its accounts) asks business discovery: the
    tracker's own connection when it can, else the first working one by name."""

    def __init__(self, db: sqlite3.Connection, connections: dict[str, Connection]) -> None:
        self.db = db
        self.connections = connections
        self._first: dict[str, str | None] = {}

    def _account(self, connection: Connection) -> str | None:
        if connection.id not in self._first:
            row = self.db.execute(
                "SELECT account_id FROM accounts WHERE connection_id = ? ORDER BY username LIMIT 1",
                (connection.id,),
            ).fetchone()
            self._first[connection.id] = str(row[0]) if row else None
        return self._first[connection.id]

    def choose(self, assigned: Connection | None) -> tuple[Connection, str] | str:
        """The asking connection and account; a broken one only when no working one can ask
        (then the item is reported broken, with that connection's fix)."""
        own = None
        if assigned is not None and assigned.provider == "facebook":
            account = self._account(assigned)
            if account is not None:
                own = (assigned, account)
                if not assigned.is_broken:
                    return own
        for name in sorted(self.connections):
            connection = self.connections[name]
            if connection.provider != "facebook" or connection.is_broken:
                continue
            account = self._account(connection)
            if account is not None:
                return connection, account
        if own is not None:
            return own
        return (
            "a public account is read through business discovery, which needs a Facebook Login "
            "connection reaching at least one Instagram account: run `igconnect login`"
        )

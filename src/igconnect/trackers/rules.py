"""The rules that say which connection may carry which tracker, and how much.

Why these rules (docs/trackers.md has the long form):
- Meta meters Instagram calls per app *and Instagram account* (business use case limits) and other
calls
  per app and user; vendors found that more than 3-4 trackers on one connection runs it into those
  limits, so `tracker_capacity` (default 4) caps the trackers per connection.
- A high-volume tracker (many posts or likes a month, or a busy hashtag) spends a connection's
budget on
  its own, so it gets a connection to itself.
- An account tracker can only be read through a connection that reaches the account.
- Hashtag search exists only on the Facebook Login path, and Meta allows 30 unique hashtags per
  Instagram account per rolling 7 days. We count the hashtag trackers assigned to a connection
  against
  30 × (number of accounts it reaches): an approximation, since Meta counts per account and we do
  not
  know which account a hashtag query will use.
- A broken connection (dead token) collects nothing, so it gets no new trackers.

Core only: no typer, no rich. Everything here is pure (no I/O), so doctor, the CLI and `rebalance`
share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from igconnect.connections.model import Account, Connection, normalise_username
from igconnect.trackers.model import KIND_ACCOUNT, KIND_HASHTAG, Tracker

HASHTAGS_PER_ACCOUNT = 30  # Meta: unique hashtags per Instagram account per rolling 7 days

# Rule ids: stable, used by doctor and in --json output.
RULE_UNASSIGNED = "unassigned"
RULE_UNKNOWN_CONNECTION = "unknown-connection"
RULE_BROKEN = "broken-connection"
RULE_UNREACHABLE = "unreachable"
RULE_HASHTAG_PROVIDER = "hashtag-needs-facebook"
RULE_HASHTAG_BUDGET = "hashtag-budget"
RULE_CAPACITY = "capacity"
RULE_HIGH_VOLUME_SHARED = "high-volume-shared"


class AccountLookup(Protocol):
    """Which accounts one connection reaches, asked one at a time."""

    def find(self, username_or_id: str) -> Account | None: ...

    def sample(self, limit: int) -> list[str]: ...


class MemoryLookup:
    """Every account of a connection in memory: for the whole picture (list, rebalance, doctor)."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self._accounts = sorted(accounts, key=lambda a: a.username)
        self._index = {a.id: a for a in self._accounts}
        self._index.update({a.username.lower(): a for a in self._accounts})

    def find(self, username_or_id: str) -> Account | None:
        return self._index.get(normalise_username(username_or_id))

    def sample(self, limit: int) -> list[str]:
        return [a.username for a in self._accounts[:limit]]

    @property
    def accounts(self) -> list[Account]:
        return list(self._accounts)


@dataclass
class Carrier:
    """A connection as the rules see it: its row, and a way to ask which accounts it reaches."""

    connection: Connection
    lookup: AccountLookup

    @property
    def name(self) -> str:
        return self.connection.name

    @property
    def provider(self) -> str:
        return self.connection.provider

    @property
    def status(self) -> str:
        return self.connection.status

    @property
    def broken_reason(self) -> str | None:
        return self.connection.broken_reason

    @property
    def is_broken(self) -> bool:
        return self.connection.is_broken

    @property
    def account_count(self) -> int:
        return self.connection.account_count

    def reaches(self, tracker: Tracker) -> Account | None:
        """The account the account tracker is read through, or None."""
        found = self.lookup.find(tracker.target)
        if found is None and tracker.account_id:
            found = self.lookup.find(tracker.account_id)
        return found


@dataclass(frozen=True)
class Limits:
    capacity: int = 4
    hashtags_per_account: int = HASHTAGS_PER_ACCOUNT

    def hashtag_budget(self, connection: Carrier) -> int:
        if connection.provider != "facebook":
            return 0
        return self.hashtags_per_account * connection.account_count


def limits_from(settings: Any) -> Limits:
    """Limits from a `Settings` (anything with .get), a plain mapping, a Limits, or None
    (defaults)."""
    if settings is None:
        return Limits()
    if isinstance(settings, Limits):
        return settings
    value = settings.get("tracker_capacity")
    return Limits(capacity=int(value) if value is not None else 4)


def _as_list(items: Mapping[str, Any] | Iterable[Any]) -> list[Any]:
    return list(items.values()) if isinstance(items, Mapping) else list(items)


def _as_dict(connections: Mapping[str, Carrier] | Iterable[Carrier]) -> dict[str, Carrier]:
    return {c.name: c for c in _as_list(connections)}


# -- one tracker, one connection ---------------------------------------------------------------
def ineligible_reason(tracker: Tracker, connection: Carrier) -> str | None:
    """Why `connection` can never carry `tracker` (budgets aside); None when it can."""
    if connection.is_broken:
        why = f" ({connection.broken_reason})" if connection.broken_reason else ""
        return f"connection '{connection.name}' is broken{why} and collects nothing"
    if tracker.kind == KIND_ACCOUNT:
        if connection.reaches(tracker) is None:
            return f"connection '{connection.name}' does not reach @{tracker.target}" + _reached(
                connection
            )
    elif tracker.kind == KIND_HASHTAG:
        if connection.provider != "facebook":
            return (
                f"connection '{connection.name}' uses Instagram Login, which has no hashtag "
                f"search; "
                "hashtags need a Facebook Login connection"
            )
        if not connection.account_count:
            return (
                f"connection '{connection.name}' reaches no Instagram account to search hashtags "
                "with"
            )
    return None


def _reached(connection: Carrier, shown: int = 3) -> str:
    count = connection.account_count
    if not count:
        return " (it reaches no account)"
    names = ", ".join("@" + u for u in connection.lookup.sample(shown))
    more = f" and {count - shown} more" if count > shown else ""
    return f" (it reaches {names}{more})"


# -- the whole picture ------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    rule: str
    trackers: tuple[str, ...]
    connection: str | None
    message: str
    fix: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "trackers": list(self.trackers),
            "connection": self.connection,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class ConnectionLoad:
    name: str
    provider: str
    status: str  # ok | broken
    broken_reason: str | None
    trackers: list[str]
    count: int
    capacity: int
    high_volume: list[str]
    high_volume_shared: bool
    hashtags_used: int
    hashtag_budget: int

    @property
    def over_capacity(self) -> bool:
        return self.count > self.capacity

    @property
    def hashtags_left(self) -> int:
        return max(0, self.hashtag_budget - self.hashtags_used)

    @property
    def empty(self) -> bool:
        return self.count == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "status": self.status,
            "broken_reason": self.broken_reason,
            "trackers": list(self.trackers),
            "count": self.count,
            "capacity": self.capacity,
            "over_capacity": self.over_capacity,
            "high_volume": list(self.high_volume),
            "high_volume_shared": self.high_volume_shared,
            "hashtags_used": self.hashtags_used,
            "hashtag_budget": self.hashtag_budget,
            "hashtags_left": self.hashtags_left,
            "empty": self.empty,
        }


def connection_load(
    connection: Carrier,
    limits: Limits,
    *,
    count: int,
    hashtags: int,
    high_volume: list[str],
    trackers: list[str] | None = None,
) -> ConnectionLoad:
    return ConnectionLoad(
        name=connection.name,
        provider=connection.provider,
        status=connection.status,
        broken_reason=connection.broken_reason,
        trackers=list(trackers or []),
        count=count,
        capacity=limits.capacity,
        high_volume=list(high_volume),
        high_volume_shared=bool(high_volume) and count > 1,
        hashtags_used=hashtags,
        hashtag_budget=limits.hashtag_budget(connection),
    )


@dataclass
class LoadSummary:
    connections: list[ConnectionLoad]
    unassigned: list[str]
    orphaned: dict[str, list[str]] = field(default_factory=dict)  # missing connection -> trackers

    @property
    def empty_connections(self) -> list[str]:
        return [c.name for c in self.connections if c.empty]

    def to_json(self) -> dict[str, Any]:
        return {
            "connections": [c.to_json() for c in self.connections],
            "unassigned": list(self.unassigned),
            "orphaned": {k: list(v) for k, v in self.orphaned.items()},
            "empty_connections": self.empty_connections,
        }


def load_summary(
    trackers: Mapping[str, Tracker] | Iterable[Tracker],
    connections: Mapping[str, Carrier] | Iterable[Carrier],
    settings: Any = None,
) -> LoadSummary:
    """Per connection: trackers, count vs capacity, high-volume sharing, hashtag budget
    used/left."""
    limits = limits_from(settings)
    conns = _as_dict(connections)
    by_conn: dict[str, list[Tracker]] = {name: [] for name in conns}
    unassigned: list[str] = []
    orphaned: dict[str, list[str]] = {}
    for t in sorted(_as_list(trackers), key=lambda t: t.key):
        if t.connection is None:
            unassigned.append(t.key)
        elif t.connection in by_conn:
            by_conn[t.connection].append(t)
        else:
            orphaned.setdefault(t.connection, []).append(t.key)
    loads = []
    for name in sorted(conns):
        on = by_conn[name]
        loads.append(
            connection_load(
                conns[name],
                limits,
                count=len(on),
                hashtags=sum(1 for t in on if t.kind == KIND_HASHTAG),
                high_volume=[t.key for t in on if t.is_high_volume],
                trackers=[t.key for t in on],
            )
        )
    return LoadSummary(loads, unassigned, orphaned)


def loads_by_name(
    trackers: Mapping[str, Tracker] | Iterable[Tracker],
    connections: Mapping[str, Carrier] | Iterable[Carrier],
    settings: Any = None,
) -> dict[str, ConnectionLoad]:
    """What each connection carries of `trackers`, by connection name (for `choose_connection`)."""
    return {load.name: load for load in load_summary(trackers, connections, settings).connections}


def violations(
    trackers: Mapping[str, Tracker] | Iterable[Tracker],
    connections: Mapping[str, Carrier] | Iterable[Carrier],
    settings: Any = None,
) -> list[Violation]:
    """Every way the current assignment breaks a rule, each with the fix to run."""
    limits = limits_from(settings)
    conns = _as_dict(connections)
    found: list[Violation] = []
    summary = load_summary(trackers, conns, limits)
    all_trackers = {t.key: t for t in _as_list(trackers)}
    for key in summary.unassigned:
        found.append(
            Violation(
                RULE_UNASSIGNED,
                (key,),
                None,
                f"{key} is on no connection and collects nothing",
                f"run `igconnect trackers assign {key} CONNECTION` or `igconnect trackers "
                f"rebalance`",
            )
        )
    for name, keys in summary.orphaned.items():
        found.append(
            Violation(
                RULE_UNKNOWN_CONNECTION,
                tuple(keys),
                name,
                f"{', '.join(keys)} {'is' if len(keys) == 1 else 'are'} assigned to connection "
                f"'{name}', which no longer exists",
                f"run `igconnect trackers move --from {name} --to CONNECTION`",
            )
        )
    for load in summary.connections:
        conn = conns[load.name]
        if not load.trackers:
            continue
        if conn.is_broken:
            found.append(
                Violation(
                    RULE_BROKEN,
                    tuple(load.trackers),
                    load.name,
                    f"connection '{load.name}' is broken"
                    + (f" ({conn.broken_reason})" if conn.broken_reason else "")
                    + f": {', '.join(load.trackers)} collect nothing",
                    f"run `igconnect login --reconnect {load.name}`, or move them with "
                    f"`igconnect trackers move --from {load.name} --to CONNECTION`",
                )
            )
            continue  # the other rules are moot until it works again
        for key in load.trackers:
            tracker = all_trackers[key]
            reason = ineligible_reason(tracker, conn)
            if reason is None:
                continue
            rule = RULE_UNREACHABLE if tracker.kind == KIND_ACCOUNT else RULE_HASHTAG_PROVIDER
            found.append(
                Violation(
                    rule,
                    (key,),
                    load.name,
                    f"{key}: {reason}",
                    f"run `igconnect trackers rebalance` or `igconnect trackers assign {key} "
                    f"CONNECTION`",
                )
            )
        if (
            conn.provider == "facebook"
            and conn.account_count
            and load.hashtags_used > load.hashtag_budget
        ):
            found.append(
                Violation(
                    RULE_HASHTAG_BUDGET,
                    tuple(k for k in load.trackers if k.startswith("#")),
                    load.name,
                    f"connection '{load.name}' carries {load.hashtags_used} hashtags; Meta allows "
                    f"{load.hashtag_budget} ({limits.hashtags_per_account} per account per 7 days)",
                    "run `igconnect trackers rebalance`, or remove hashtag trackers",
                )
            )
        if load.over_capacity:
            found.append(
                Violation(
                    RULE_CAPACITY,
                    tuple(load.trackers),
                    load.name,
                    f"connection '{load.name}' carries {load.count} trackers, more than "
                    f"{load.capacity} (tracker_capacity): it may run into Meta's rate limits",
                    "run `igconnect trackers rebalance`, or connect another account with "
                    "`igconnect login`",
                )
            )
        if load.high_volume_shared:
            found.append(
                Violation(
                    RULE_HIGH_VOLUME_SHARED,
                    tuple(load.trackers),
                    load.name,
                    f"high-volume {', '.join(load.high_volume)} "
                    f"share{'s' if len(load.high_volume) == 1 else ''} "
                    f"connection '{load.name}' with {load.count - 1} other tracker(s)",
                    "run `igconnect trackers rebalance`; a high-volume tracker needs a connection "
                    "of its own",
                )
            )
    return found


# -- choosing a connection for a new tracker ------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    connection: str | None
    reason: str


def choose_connection(
    tracker: Tracker,
    loads: Mapping[str, ConnectionLoad],
    connections: Mapping[str, Carrier] | Iterable[Carrier],
) -> Choice:
    """The best connection for a new tracker, and why in one line.

    `loads`: what each connection carries now, without `tracker`. Qualifies: not broken, reaches
    the account (accounts) or is Facebook Login with hashtag budget left (hashtags), has room below
    capacity and no high-volume tracker on it; a high-volume tracker needs an empty connection.
    Among those: fewest trackers, then name.
    """
    conns = _as_dict(connections)
    summary = loads
    if not conns:
        return Choice(None, "there is no connection yet: run `igconnect login` to add one")
    rejected: list[str] = []
    candidates: list[ConnectionLoad] = []
    for name in sorted(conns):
        load = summary[name]
        reason = ineligible_reason(tracker, conns[name])
        if reason is None and tracker.kind == KIND_HASHTAG and load.hashtags_left <= 0:
            reason = f"connection '{name}' has no hashtag budget left"
        if reason is None and tracker.is_high_volume and load.count:
            reason = f"connection '{name}' already carries {load.count} tracker(s)"
        if reason is None and load.high_volume:
            reason = (
                f"connection '{name}' is reserved for high-volume {', '.join(load.high_volume)}"
            )
        if reason is None and load.count >= load.capacity:
            reason = f"connection '{name}' is full ({load.count}/{load.capacity})"
        if reason is None:
            candidates.append(load)
        else:
            rejected.append(reason)
    if not candidates:
        what = "an empty connection" if tracker.is_high_volume else "a connection with room"
        return Choice(None, f"no connection qualifies (needs {what}): " + "; ".join(rejected))
    best = min(candidates, key=lambda load: (load.count, load.name))
    why = [f"it {'reaches' if tracker.kind == KIND_ACCOUNT else 'can search'} {tracker.key}"]
    if tracker.is_high_volume:
        why.append("it is empty, as a high-volume tracker needs")
    else:
        why.append(f"it has the fewest trackers ({best.count}/{best.capacity})")
    if tracker.kind == KIND_HASHTAG:
        why.append(f"{best.hashtags_left} of {best.hashtag_budget} hashtags left")
    return Choice(best.name, f"picked '{best.name}': " + ", ".join(why))

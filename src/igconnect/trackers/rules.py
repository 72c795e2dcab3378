"""The rules that say which connection may carry which tracker, and how much: capacity is counted
where Meta counts it (docs/trackers.md has the long form, one line per rule with its reason).

- A managed account (one a connection reaches) is read through its own node: its story and insight
  calls spend that Instagram account's own budget (per app and account), whichever connection makes
  them. So it is always assigned to a working connection that reaches it, and no count of trackers
  per connection leaves it idle.
- A public account (a professional account no connection manages) is read through business
  discovery, and a hashtag through hashtag search and its media: both spend the token's platform
  budget (per app and user), which every such tracker of the connection shares. The vendors' rule of
  thumb, at most 3-4 of them per connection (`tracker_capacity`, default 4) and a high-volume one
  alone, is about these trackers only.
- Business discovery and hashtag search exist only on the Facebook Login path, and need an
  Instagram account of the connection to ask from.
- Hashtag search allows 30 unique hashtags per querying account per rolling 7 days; a connection's
  hashtag trackers are counted against 30 × the accounts it reaches, the searches being spread over
  them.
- A broken connection (dead token) collects nothing, so it gets no new trackers.

Core only: no typer, no rich. Everything here is pure (no I/O), so doctor, the CLI and `rebalance`
share it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from igconnect.connections.model import Account, Connection, normalise_username
from igconnect.trackers.model import KIND_ACCOUNT, KIND_HASHTAG, Tracker

HASHTAGS_PER_ACCOUNT = 30  # Meta: unique hashtags per Instagram account per rolling 7 days

# Rule ids: stable, used by doctor and in --json output.
RULE_UNASSIGNED = "unassigned"
RULE_PENDING = "pending"
RULE_UNKNOWN_CONNECTION = "unknown-connection"
RULE_BROKEN = "broken-connection"
RULE_UNREACHABLE = "unreachable"
RULE_HASHTAG_PROVIDER = "hashtag-needs-facebook"
RULE_PUBLIC_PROVIDER = "public-needs-facebook"
RULE_HASHTAG_BUDGET = "hashtag-budget"
RULE_CAPACITY = "capacity"
RULE_HIGH_VOLUME_SHARED = "high-volume-shared"

# The remedies that work when the connections there are cannot carry more: another person's login
# (the same person twice is refused), or a Business Manager system user given the accounts.
ANOTHER_LOGIN = "`igconnect login --name NAME` (logged in to Facebook as another person)"
SYSTEM_USER = "`igconnect login --system-user --name NAME` (a system user's token on stdin)"
MORE_CONNECTIONS = (
    f"add a Facebook login that reaches an Instagram account: {ANOTHER_LOGIN} or {SYSTEM_USER}"
)


class AccountLookup(Protocol):
    """Which accounts one connection reaches, asked one at a time."""

    def find(self, username_or_id: str) -> Account | None: ...

    def sample(self, limit: int) -> list[str]: ...

    def similar(self, username: str, limit: int) -> list[str]: ...


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

    def similar(self, username: str, limit: int) -> list[str]:
        names = [a.username.lower() for a in self._accounts]
        return close_matches(username, names, limit)

    @property
    def accounts(self) -> list[Account]:
        return list(self._accounts)


def close_matches(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """The usernames most like `name` (a typo, a renamed account), best first: one that begins
    with the other (`acme_8` → `acme_8_old`) before the merely similar (`acme_7`)."""
    name = name.lower()
    near = difflib.get_close_matches(name, list(dict.fromkeys(candidates)), 10, 0.6)
    return sorted(near, key=lambda c: not (c.startswith(name) or name.startswith(c)))[:limit]


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

    @property
    def can_search(self) -> bool:
        """Whether it can run business discovery and hashtag search: Facebook Login, working,
        with an Instagram account to ask from."""
        return self.provider == "facebook" and not self.is_broken and self.account_count > 0

    def reaches(self, tracker: Tracker) -> Account | None:
        """The account the account tracker is read through, or None."""
        found = self.lookup.find(tracker.target)
        if found is None and tracker.account_id:
            found = self.lookup.find(tracker.account_id)
        return found


@dataclass(frozen=True)
class Limits:
    capacity: int = 4  # trackers sharing one token's platform budget (public accounts, hashtags)
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
    if tracker.kind == KIND_ACCOUNT and not tracker.is_public:
        if connection.reaches(tracker) is None:
            return f"connection '{connection.name}' does not reach @{tracker.target}" + _reached(
                connection
            )
        return None
    what = "hashtag search" if tracker.kind == KIND_HASHTAG else "business discovery"
    needs = "hashtags" if tracker.kind == KIND_HASHTAG else "public accounts"
    if connection.provider != "facebook":
        return (
            f"connection '{connection.name}' uses Instagram Login, which has no {what}; "
            f"{needs} need a Facebook Login connection"
        )
    if not connection.account_count:
        return f"connection '{connection.name}' reaches no Instagram account to run {what} from"
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
    count: int  # every tracker on it
    capacity: int
    high_volume: list[str]  # high-volume trackers sharing its platform budget
    high_volume_shared: bool
    hashtags_used: int
    hashtag_budget: int
    shared: int = 0  # trackers sharing its platform budget (public accounts and hashtags)

    @property
    def managed(self) -> int:
        """Managed account trackers: each spends its own account's budget."""
        return self.count - self.shared

    @property
    def over_capacity(self) -> bool:
        return self.shared > self.capacity

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
            "managed": self.managed,
            "shared": self.shared,
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
    shared: int | None = None,
    trackers: list[str] | None = None,
) -> ConnectionLoad:
    """`shared`: trackers sharing the platform budget (default: the hashtags);
    `high_volume`: the high-volume ones among them."""
    shared = hashtags if shared is None else shared
    return ConnectionLoad(
        name=connection.name,
        provider=connection.provider,
        status=connection.status,
        broken_reason=connection.broken_reason,
        trackers=list(trackers or []),
        count=count,
        capacity=limits.capacity,
        high_volume=list(high_volume),
        high_volume_shared=bool(high_volume) and shared > 1,
        hashtags_used=hashtags,
        hashtag_budget=limits.hashtag_budget(connection),
        shared=shared,
    )


@dataclass
class LoadSummary:
    connections: list[ConnectionLoad]
    unassigned: list[str]  # on no connection (pending ones included)
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
    """Per connection: trackers, shared-budget count vs capacity, high-volume sharing, hashtag
    budget used/left."""
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
                shared=sum(1 for t in on if t.shares_budget),
                high_volume=[t.key for t in on if t.is_high_volume and t.shares_budget],
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


def placement_fix(
    tracker: Tracker, loads: Mapping[str, ConnectionLoad], conns: Mapping[str, Carrier]
) -> str:
    """The command that puts a tracker on no (or the wrong) connection where it collects: a
    connection named when one can carry it, else what to do."""
    choice = choose_connection(tracker, loads, conns)
    if choice.connection is not None and choice.connection != tracker.connection:
        return f"run `igconnect trackers assign {tracker.key} {choice.connection}`"
    if tracker.kind == KIND_HASHTAG:
        return f"{MORE_CONNECTIONS}, then run `igconnect trackers assign {tracker.key}`"
    broken = sorted(n for n, c in conns.items() if c.is_broken and c.reaches(tracker))
    if broken and not tracker.is_public:
        return (
            f"only '{broken[0]}' reaches it, and it is broken: run `igconnect login --reconnect "
            f"{broken[0]}`, then `igconnect trackers assign {tracker.key} {broken[0]}`"
        )
    matches: list[str] = []
    for carrier in conns.values():
        matches += carrier.lookup.similar(tracker.target, 3)
    matches = close_matches(tracker.target, matches)
    if matches:
        return (
            f"did you mean @{matches[0]}? run `igconnect trackers remove {tracker.key} --yes`, "
            f"then `igconnect trackers add @{matches[0]}`"
        )
    return (
        f"stop tracking it with `igconnect trackers remove {tracker.key} --yes`; or, if it is a "
        f"client's account, {MORE_CONNECTIONS.replace('an Instagram account', 'it')}, then run "
        f"`igconnect trackers assign {tracker.key}` (which also asks business discovery, for a "
        "public professional account)"
    )


def violations(
    trackers: Mapping[str, Tracker] | Iterable[Tracker],
    connections: Mapping[str, Carrier] | Iterable[Carrier],
    settings: Any = None,
) -> list[Violation]:
    """Every way the current assignment breaks a rule, each with a fix that works: rebalance is
    only suggested where another connection has room, else the connection to add."""
    limits = limits_from(settings)
    conns = _as_dict(connections)
    found: list[Violation] = []
    summary = load_summary(trackers, conns, limits)
    loads = {load.name: load for load in summary.connections}
    all_trackers = {t.key: t for t in _as_list(trackers)}
    for key in summary.unassigned:
        tracker = all_trackers[key]
        if tracker.pending:
            found.append(
                Violation(
                    RULE_PENDING,
                    (key,),
                    None,
                    f"{key} is pending: no connection reaches it and business discovery did not "
                    "find it, so it collects nothing",
                    placement_fix(tracker, loads, conns),
                )
            )
            continue
        found.append(
            Violation(
                RULE_UNASSIGNED,
                (key,),
                None,
                f"{key} is on no connection and collects nothing",
                placement_fix(tracker, loads, conns),
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
                "run `igconnect trackers rebalance --apply`",
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
                    f"`igconnect trackers rebalance --apply`",
                )
            )
            continue  # the other rules are moot until it works again
        for key in load.trackers:
            tracker = all_trackers[key]
            reason = ineligible_reason(tracker, conn)
            if reason is None:
                continue
            rule = (
                RULE_HASHTAG_PROVIDER
                if tracker.kind == KIND_HASHTAG
                else RULE_PUBLIC_PROVIDER
                if tracker.is_public
                else RULE_UNREACHABLE
            )
            found.append(
                Violation(
                    rule,
                    (key,),
                    load.name,
                    f"{key}: {reason}",
                    placement_fix(tracker, loads, conns),
                )
            )
        if (
            conn.provider == "facebook"
            and conn.account_count
            and load.hashtags_used > load.hashtag_budget
        ):
            others = [
                c
                for c in summary.connections
                if c.name != load.name and conns[c.name].can_search and c.hashtags_left
            ]
            found.append(
                Violation(
                    RULE_HASHTAG_BUDGET,
                    tuple(k for k in load.trackers if k.startswith("#")),
                    load.name,
                    f"connection '{load.name}' carries {load.hashtags_used} hashtags; Meta allows "
                    f"{load.hashtag_budget} ({limits.hashtags_per_account} per account it reaches "
                    "per 7 days)",
                    "run `igconnect trackers rebalance --apply`"
                    if others
                    else f"remove hashtag trackers, or {MORE_CONNECTIONS}; then run "
                    "`igconnect trackers rebalance --apply`",
                )
            )
        if load.over_capacity:
            room = _room_elsewhere(load.name, summary.connections, conns, empty=False)
            found.append(
                Violation(
                    RULE_CAPACITY,
                    tuple(k for k in load.trackers if all_trackers[k].shares_budget),
                    load.name,
                    f"connection '{load.name}' carries {load.shared} trackers that share its token's "
                    f"platform budget (public accounts, hashtags), more than {load.capacity} "
                    "(tracker_capacity): business discovery and hashtag reads may be throttled",
                    "run `igconnect trackers rebalance --apply`"
                    if room
                    else f"{MORE_CONNECTIONS}; then run `igconnect trackers rebalance --apply`",
                )
            )
        if load.high_volume_shared:
            room = _room_elsewhere(load.name, summary.connections, conns, empty=True)
            found.append(
                Violation(
                    RULE_HIGH_VOLUME_SHARED,
                    tuple(k for k in load.trackers if all_trackers[k].shares_budget),
                    load.name,
                    f"high-volume {', '.join(load.high_volume)} "
                    f"share{'s' if len(load.high_volume) == 1 else ''} the platform budget of "
                    f"connection '{load.name}' with {load.shared - 1} other tracker(s)",
                    "run `igconnect trackers rebalance --apply`"
                    if room
                    else f"{MORE_CONNECTIONS}; then run `igconnect trackers rebalance --apply`",
                )
            )
    return found


def _room_elsewhere(
    name: str, loads: list[ConnectionLoad], conns: Mapping[str, Carrier], *, empty: bool
) -> bool:
    """Whether another connection could take a shared-budget tracker off `name` (an empty one
    for a high-volume tracker), so that `rebalance` has something to do."""
    for load in loads:
        if load.name == name or not conns[load.name].can_search:
            continue
        if empty and load.shared == 0:
            return True
        if not empty and not load.high_volume and load.shared < load.capacity:
            return True
    return False


# -- choosing a connection for a new tracker ------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    connection: str | None
    reason: str
    warnings: tuple[str, ...] = ()


def choose_connection(
    tracker: Tracker,
    loads: Mapping[str, ConnectionLoad],
    connections: Mapping[str, Carrier] | Iterable[Carrier],
) -> Choice:
    """The best connection for a new tracker, and why in one line.

    `loads`: what each connection carries now, without `tracker`. A managed account goes to the
    working connection that reaches it and carries the fewest trackers: its own budget is spent
    whichever connection reads it, so no count stops it. A public account or a hashtag goes to a
    working Facebook connection with an account (and, for a hashtag, budget left), preferring one
    below capacity and with no high-volume tracker, a high-volume one an empty one; when every one
    is full it still goes to the least loaded, with a warning naming the connection to add.
    """
    conns = _as_dict(connections)
    if not conns:
        return Choice(None, "there is no connection yet: run `igconnect login` to add one")
    rejected: list[str] = []
    eligible: list[ConnectionLoad] = []
    for name in sorted(conns):
        load = loads[name]
        reason = ineligible_reason(tracker, conns[name])
        if reason is None and tracker.kind == KIND_HASHTAG and load.hashtags_left <= 0:
            reason = f"connection '{name}' has no hashtag budget left"
        if reason is None:
            eligible.append(load)
        else:
            rejected.append(reason)
    if not eligible:
        return Choice(None, "no connection can carry it: " + "; ".join(rejected))
    if not tracker.shares_budget:
        best = min(eligible, key=lambda load: (load.count, load.name))
        return Choice(
            best.name,
            f"picked '{best.name}': it reaches {tracker.key} (managed: its own budget), "
            f"it carries the fewest trackers ({best.count})",
        )

    def fits(load: ConnectionLoad) -> bool:
        if tracker.is_high_volume:
            return load.shared == 0
        return not load.high_volume and load.shared < load.capacity

    roomy = [load for load in eligible if fits(load)]
    best = min(roomy or eligible, key=lambda load: (load.shared, load.name))
    what = "can search" if tracker.kind == KIND_HASHTAG else "can run business discovery for"
    why = [f"it {what} {tracker.key}"]
    warnings: list[str] = []
    if roomy and tracker.is_high_volume:
        why.append("it carries no other shared-budget tracker, as a high-volume one needs")
    elif roomy:
        why.append(f"it has the most room ({best.shared}/{best.capacity} sharing its budget)")
    else:
        need = "an empty connection" if tracker.is_high_volume else "a connection with room"
        why.append("the least loaded")
        warnings.append(
            f"every connection that can carry {tracker.key} is full (it needs {need}): "
            f"'{best.name}' will carry {best.shared + 1} trackers on one platform budget, more "
            f"than {best.capacity} (tracker_capacity); {MORE_CONNECTIONS}, then run "
            "`igconnect trackers rebalance --apply`"
        )
    if tracker.kind == KIND_HASHTAG:
        why.append(f"{best.hashtags_left} of {best.hashtag_budget} hashtags left")
    return Choice(best.name, f"picked '{best.name}': " + ", ".join(why), tuple(warnings))

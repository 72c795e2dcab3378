"""Tracker checks: per connection, the trackers sharing its platform budget against the
recommended load, high-volume sharing, the hashtag budget, managed trackers the connection cannot
reach, connections with no trackers; once for the agency, the trackers that collect nothing
(unassigned, pending, unreachable), each with the command that fixes it.

Load, high-volume sharing and the hashtag budget come from the trackers' own pure rules
(`igconnect.trackers.rules.load_summary`), so doctor and `trackers list` agree; reachability per
connection is judged from what Meta answers live, not from the stored account list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from igconnect.doctor.model import (
    SCOPE_ENVIRONMENT,
    SCOPE_TRACKERS,
    Finding,
    check,
    failure,
    ok,
    reconnect_command,
    warning,
)
from igconnect.doctor.state import ConnectionState, EnvState

if TYPE_CHECKING:
    from igconnect.trackers.model import Tracker
    from igconnect.trackers.rules import ConnectionLoad

HASHTAG_BUDGET = 30  # unique hashtags per Instagram account per rolling 7 days (Meta's limit)
SHOWN = 10  # trackers named one by one in a finding; the rest are counted


def _trackers(state: ConnectionState) -> list[Tracker]:
    from igconnect.trackers.store import TrackerStore

    return TrackerStore(state.runtime.state.db).on(state.connection.id)


def _load(state: ConnectionState) -> ConnectionLoad:
    from igconnect.trackers.rules import Carrier, MemoryLookup, load_summary

    carrier = Carrier(state.connection, MemoryLookup(state.reach.accounts))
    summary = load_summary(_trackers(state), [carrier], state.runtime.settings)
    return summary.connections[0]


@check(
    "trackers.load",
    "Trackers within the recommended load",
    scope=SCOPE_TRACKERS,
    proves="the connection carries at most `tracker_capacity` trackers that share its token's "
    "platform budget (public accounts, hashtags; default 4); managed accounts, each on its own "
    "budget, do not count; a connection with none is reported so it can be used or removed",
    usual_fix="spread them over Facebook connections (`igconnect trackers rebalance --apply`), "
    "adding another person's login or a system user when every one is full",
)
def load(state: ConnectionState) -> Finding:
    load = _load(state)
    capacity, keys = load.capacity, load.trackers
    if load.empty:
        return ok(
            "no trackers use this connection (add its accounts with "
            f"`igconnect trackers add --all --connection {state.name}`, or remove the connection)",
            count=0,
            capacity=capacity,
        )
    if load.over_capacity:
        from igconnect.trackers.rules import ANOTHER_LOGIN, SYSTEM_USER

        return warning(
            f"{load.shared} trackers share this connection's platform budget (public accounts, "
            f"hashtags); the recommended limit is {capacity}",
            [
                "Business discovery and hashtag reads of one token share one budget and get "
                "throttled sooner (managed accounts are not counted: each has its own).",
                f"If every Facebook connection is as full, add one: {ANOTHER_LOGIN} or "
                f"{SYSTEM_USER}.",
            ],
            "igconnect trackers rebalance --apply",
            trackers=keys,
            capacity=capacity,
        )
    return ok(
        f"{load.managed} managed (each on its own budget), {load.shared} of {capacity} "
        "recommended sharing its platform budget",
        trackers=keys,
        capacity=capacity,
    )


@check(
    "trackers.high-volume",
    "High-volume trackers alone",
    scope=SCOPE_TRACKERS,
    proves="each high-volume public account or hashtag has its connection's platform budget to "
    "itself (a managed account spends its own)",
    usual_fix="give each one a connection of its own: `igconnect trackers rebalance --apply`",
)
def high_volume(state: ConnectionState) -> Finding:
    load = _load(state)
    heavy = load.high_volume
    if load.high_volume_shared:
        shared = [t.key for t in _trackers(state) if t.shares_budget]
        others = [k for k in shared if k not in heavy]
        return warning(
            f"high-volume {', '.join(heavy)} shares the connection with {', '.join(others)}",
            [
                "A high-volume tracker uses most of a connection's budget on its own.",
                "Connect another login and move the others (or the high-volume one) there.",
            ],
            "igconnect trackers rebalance --apply",
            high_volume=heavy,
        )
    return ok(
        f"{len(heavy)} high-volume tracker alone" if heavy else "no high-volume tracker shares it"
    )


@check(
    "trackers.hashtags",
    "Hashtag budget",
    scope=SCOPE_TRACKERS,
    proves="hashtag trackers are on a Facebook Login connection and within 30 unique hashtags per "
    "account per 7 days",
    usual_fix="move hashtag trackers to a Facebook connection with budget left",
)
def hashtags(state: ConnectionState) -> Finding:
    load = _load(state)
    tags = [k for k in load.trackers if k.startswith("#")]
    if not tags:
        return ok("no hashtag trackers")
    if state.provider != "facebook":
        return failure(
            f"{', '.join(tags)} need Facebook Login: Instagram Login has no hashtag search",
            ["Move the hashtag trackers to a Facebook Login connection."],
            f"igconnect trackers assign {tags[0]} CONNECTION",
            hashtags=tags,
        )
    accounts = state.connection.account_count
    budget = load.hashtag_budget
    if len(tags) > budget:
        return failure(
            f"{len(tags)} hashtags; Meta allows {HASHTAG_BUDGET} per account per 7 days "
            f"({budget} for {accounts} account{'s' if accounts != 1 else ''})",
            ["Remove hashtags, or move some to another Facebook connection."],
            "igconnect trackers rebalance --apply",
            hashtags=tags,
        )
    if len(tags) > HASHTAG_BUDGET:
        return warning(
            f"{len(tags)} hashtags: more than one account's budget of {HASHTAG_BUDGET} per 7 days",
            ["Searches must be spread over the connection's accounts; keep under the budget."],
            "igconnect trackers list",
            hashtags=tags,
        )
    return ok(f"{len(tags)} of {HASHTAG_BUDGET} hashtags per 7 days", hashtags=tags)


@check(
    "trackers.reachable",
    "Account trackers reachable",
    scope=SCOPE_TRACKERS,
    depends=("conn.token-valid", "conn.pages"),
    proves="every account tracker on the connection is an account its Pages reach right now",
    usual_fix="unlink the wrong Page, link the right one, reconnect; or assign the tracker to the "
    "connection that reaches it",
)
def reachable(state: ConnectionState) -> Finding:
    live = state.live_accounts()
    usernames = {str(v.get("username") or "").lower() for v in live.values()}
    managed = [t for t in _trackers(state) if t.kind == "account" and not t.is_public]
    missing = [
        t
        for t in managed
        if t.target.lower() not in usernames and (t.account_id is None or t.account_id not in live)
    ]
    trackers = [t.key for t in managed]
    if not missing:
        return ok(f"{len(trackers)} account tracker{'s' if len(trackers) != 1 else ''} reached")
    first = missing[0].target
    return failure(
        "Instagram account "
        + ", ".join("@" + t.target for t in missing)
        + f" {'is' if len(missing) == 1 else 'are'} not linked to any Page this login can see",
        [
            f"If @{first}'s Page is linked to another Instagram account, unlink it in that "
            "account's Instagram app (Accounts Center).",
            f"Link the right Page from @{first}'s Instagram app; the Page owner may have to "
            "confirm the link in the Page's settings.",
            "Log in again so the connection reaches it; or let igconnect put the tracker on a "
            f"connection that reaches it (`igconnect trackers assign @{first}`).",
        ],
        reconnect_command(state.name),
        unreached=["@" + t.target for t in missing],
        reached=sorted(u for u in usernames if u),
    )


@check(
    "trackers.waiting",
    "Every tracker collects",
    scope=SCOPE_ENVIRONMENT,
    depends=("env.settings",),
    proves="no tracker is unassigned, pending (kept with --pending though nothing reads it) or on "
    "a connection that does not reach it, by the stored account lists",
    usual_fix="run the command named for each tracker (`igconnect trackers assign TRACKER`, or "
    "`igconnect trackers remove TRACKER --yes` for a typo)",
)
def waiting(env: EnvState) -> Finding:
    from igconnect.trackers.rules import limits_from, placement_fix
    from igconnect.trackers.service import carriers, current_loads
    from igconnect.trackers.store import TrackerStore

    db = env.runtime.state.db
    store = TrackerStore(db)
    idle, idle_count = store.waiting(SHOWN)
    lost, lost_count = store.unreached(SHOWN)
    if not idle_count and not lost_count:
        return ok("every tracker is on a connection that can read it")
    conns = carriers(db)
    loads = current_loads(db, conns, limits_from(env.runtime.settings))
    steps = []
    for tracker in idle + lost:
        if tracker.pending:
            what = "pending: nothing reaches it and business discovery did not find it"
        elif tracker.connection is None:
            what = "on no connection"
        else:
            what = f"on '{tracker.connection}', which does not reach it"
        steps.append(f"{tracker.key} is {what}: {placement_fix(tracker, loads, conns)}.")
    more = idle_count + lost_count - len(idle) - len(lost)
    if more:
        steps.append(f"And {more} more: see `igconnect trackers list`.")
    first = (idle + lost)[0]
    pending = sum(1 for t in idle if t.pending)
    return warning(
        f"{idle_count + lost_count} tracker(s) collect nothing: {idle_count - pending} unassigned, "
        f"{pending} pending, {lost_count} unreachable",
        steps,
        _first_command(placement_fix(first, loads, conns)),
        unassigned=[t.key for t in idle if not t.pending],
        pending=[t.key for t in idle if t.pending],
        unreachable=[t.key for t in lost],
    )


def _first_command(text: str) -> str | None:
    """The first command between backticks in a fix, to run at the end of the steps."""
    parts = text.split("`")
    return parts[1] if len(parts) > 2 else None

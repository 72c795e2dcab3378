"""`trackers list`: every connection with its trackers, load, budgets and last rate-limit usage.

Read-only: one consistent read of the state store, so it never shows half of a move. A usage
scope that is an account is shown with its username, so the throttled account can be seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from igconnect.connections.usage import UsageSeen, UsageStore
from igconnect.errors import ExitCode
from igconnect.timestamps import iso_z
from igconnect.trackers.model import Tracker
from igconnect.trackers.rules import Carrier, Violation, load_summary, violations
from igconnect.trackers.service import picture

if TYPE_CHECKING:
    from igconnect.runtime import Runtime


def tracker_dict(t: Tracker) -> dict[str, Any]:
    return {
        "tracker": t.key,
        "kind": t.kind,
        "volume": t.volume,
        "volume_source": t.volume_source,
        "volume_measured_at": iso_z(t.volume_measured_at),
        "created_at": iso_z(t.created_at),
        "access": t.access,
        "pending": t.pending,
    }


@dataclass
class ConnectionGroup:
    name: str
    provider: str
    status: str
    broken_reason: str | None
    collects: bool
    count: int
    managed: int  # managed accounts: each on its own budget
    shared: int  # public accounts and hashtags: they share the token's platform budget
    capacity: int
    over_capacity: bool
    high_volume_shared: bool
    hashtags_used: int
    hashtag_budget: int
    usage: list[dict[str, Any]]
    trackers: list[Tracker]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "status": self.status,
            "broken_reason": self.broken_reason,
            "collects": self.collects,
            "count": self.count,
            "managed": self.managed,
            "shared": self.shared,
            "capacity": self.capacity,
            "over_capacity": self.over_capacity,
            "high_volume_shared": self.high_volume_shared,
            "hashtags_used": self.hashtags_used,
            "hashtag_budget": self.hashtag_budget,
            "usage": self.usage,
            "trackers": [tracker_dict(t) for t in self.trackers],
        }


@dataclass
class TrackerListing:
    capacity: int
    connections: list[ConnectionGroup]
    unassigned: list[Tracker]
    orphaned: dict[str, list[Tracker]]  # name of a removed connection -> its trackers
    violations: list[Violation]

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "connections": [c.to_json() for c in self.connections],
            "unassigned": [tracker_dict(t) for t in self.unassigned],
            "orphaned": [
                {"connection": name, "trackers": [tracker_dict(t) for t in ts]}
                for name, ts in self.orphaned.items()
            ],
            "violations": [v.to_json() for v in self.violations],
        }


def list_trackers(runtime: Runtime) -> TrackerListing:
    p = picture(runtime)
    trackers, connections, limits = p.trackers, p.carriers, p.limits
    summary = load_summary(trackers, connections, limits)
    groups = []
    for load in summary.connections:
        carrier = connections[load.name]
        usage = [
            {
                "scope": u.scope,
                "username": _username(carrier, u.scope),
                "percent": u.percent,
                "observed_at": iso_z(u.observed_at),
                "regain_minutes": u.regain_minutes,
            }
            for u in _usage(runtime, connections[load.name].connection.id)
        ]
        groups.append(
            ConnectionGroup(
                name=load.name,
                provider=load.provider,
                status=load.status,
                broken_reason=load.broken_reason,
                collects=load.status != "broken",
                count=load.count,
                managed=load.managed,
                shared=load.shared,
                capacity=load.capacity,
                over_capacity=load.over_capacity,
                high_volume_shared=load.high_volume_shared,
                hashtags_used=load.hashtags_used,
                hashtag_budget=load.hashtag_budget,
                usage=usage,
                trackers=[trackers[k] for k in load.trackers],
            )
        )
    return TrackerListing(
        capacity=limits.capacity,
        connections=groups,
        unassigned=[trackers[k] for k in summary.unassigned],
        orphaned={n: [trackers[k] for k in ks] for n, ks in summary.orphaned.items()},
        violations=violations(trackers, connections, limits),
    )


def _username(carrier: Carrier, scope: str) -> str | None:
    if scope == "app":
        return None
    account = carrier.lookup.find(scope)
    return account.username if account else None


def _usage(runtime: Runtime, connection_id: str) -> list[UsageSeen]:
    return UsageStore(runtime.state.db).latest(connection_id)

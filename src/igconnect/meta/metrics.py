"""The story metric catalogue, per Graph API version and login provider, as data.

Meta retires and adds story metrics with its versions (../shared/reference/meta-platform.md §5), and
retires them server-side on every version at once. So this catalogue is only the default list: the
collector asks for it minus the metrics Meta has rejected lately (remembered in the archive), and a
metric Meta rejects is dropped with a warning, never failing the account.

`optional` marks metrics Meta may leave out of an answer (`link_clicks` for a story without a link
sticker: UNSURE): they are asked for, but their absence never makes a row incomplete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROVIDERS = ("facebook", "instagram")


@dataclass(frozen=True)
class Metric:
    name: str
    since: str = "v21.0"  # first version that has it
    until: str | None = None  # first version that no longer has it (None: still there)
    providers: tuple[str, ...] = PROVIDERS
    optional: bool = False


@dataclass(frozen=True)
class Breakdown:
    """A metric asked for with a breakdown, in a request of its own (mixing them fails)."""

    metric: str
    breakdown: str
    values: tuple[str, ...]  # the dimension values, upper case, in column order
    since: str = "v21.0"
    until: str | None = None
    providers: tuple[str, ...] = PROVIDERS

    def column(self, value: str) -> str:
        return f"{self.metric}_{value.lower()}"

    @property
    def columns(self) -> list[str]:
        return [self.column(v) for v in self.values]


# Plain (lifetime) story metrics, in CSV column order.
STORY_METRICS: tuple[Metric, ...] = (
    Metric("reach"),
    Metric("views"),  # replaced impressions/plays (April 2025)
    Metric("replies"),  # 0 for audiences in Europe and Japan
    Metric("shares"),
    Metric("total_interactions"),
    Metric("follows"),
    Metric("profile_visits"),
    # June 2026, Facebook Login path only; whether Meta leaves it out for a story without a link
    # sticker is UNSURE, so it is never required. (`reposts` is a Feed and Reels metric only.)
    Metric("link_clicks", providers=("facebook",), optional=True),
)

STORY_BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown(
        "navigation",
        "story_navigation_action_type",
        ("TAP_FORWARD", "TAP_BACK", "TAP_EXIT", "SWIPE_FORWARD"),
    ),
    Breakdown(
        "profile_activity",
        "action_type",
        ("BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "OTHER", "TEXT"),
    ),
)

# Gone on every version; asking for them is an error (code 100). Kept for the docs and for tests.
REMOVED_STORY_METRICS: dict[str, str] = {
    "taps_forward": "navigation",
    "taps_back": "navigation",
    "exits": "navigation",
    "impressions": "views",
    "plays": "views",
}


def version_key(version: str) -> tuple[int, int]:
    match = re.fullmatch(r"v(\d+)\.(\d+)", version)
    if not match:
        raise ValueError(f"not a Graph API version: {version!r}")
    return int(match[1]), int(match[2])


def _live(since: str, until: str | None, version: str) -> bool:
    v = version_key(version)
    return version_key(since) <= v and (until is None or v < version_key(until))


def story_metrics(version: str, provider: str) -> list[Metric]:
    """The plain story metrics to ask for on `version` through a `provider` connection."""
    return [
        m for m in STORY_METRICS if provider in m.providers and _live(m.since, m.until, version)
    ]


def story_breakdowns(version: str, provider: str) -> list[Breakdown]:
    return [
        b for b in STORY_BREAKDOWNS if provider in b.providers and _live(b.since, b.until, version)
    ]


def metric_columns(version: str) -> list[str]:
    """The metric columns of an export on `version`: every plain metric of any provider, then every
    breakdown value. Stable for a version; documented in docs/export.md."""
    plain = [m.name for m in STORY_METRICS if _live(m.since, m.until, version)]
    broken_down = [
        c for b in STORY_BREAKDOWNS if _live(b.since, b.until, version) for c in b.columns
    ]
    return plain + broken_down


def is_optional(name: str) -> bool:
    return any(m.name == name and m.optional for m in STORY_METRICS)

"""Media insights: which metrics a story or post has, their values, and breakdowns."""

from __future__ import annotations

from typing import Any

from . import errors as E
from .access import need_scope
from .call import Call
from .errors import MetaError
from .state import INSIGHTS_SCOPE
from .world import (
    BREAKDOWN_METRICS,
    FACEBOOK_ONLY_METRICS,
    METRIC_TEXT,
    POST_METRICS,
    STORY_METRICS,
    IgAccount,
    Post,
    Story,
)


def insights(
    call: Call, acct: IgAccount, m: Story | Post, metric: str | None, breakdown: str | None
) -> list[dict[str, Any]]:
    """The `data` of `/{media}/insights?metric=...` (also `insights.metric(...)` in `fields`)."""
    need_scope(call, INSIGHTS_SCOPE[call.provider], acct)
    if not metric:
        raise MetaError(100, "(#100) The parameter metric is required")
    names = [x.strip() for x in metric.split(",") if x.strip()]
    _check_metrics(call, m, names, breakdown)
    s = call.state
    world = s.world
    now = s.now()
    if isinstance(m, Story):
        cancel = s.text_arg("metric-cancelled", acct.username, "facebook_views")
        if cancel in names:
            raise E.metric_cancelled()  # one metric that does not apply spoils the whole request
        forbidden = s.text_arg("metric-forbidden", acct.username, "total_views")
        if forbidden in names:
            raise E.metric_forbidden()
        values = world.story_values(m, now)
        if values["reach"] < 5:  # few-viewers, or a slow-start story still under 5
            raise MetaError(10, E.NOT_ENOUGH_VIEWERS)
        if not m.has_link:
            # Meta leaves `link_clicks` out for a story without a link sticker (no error).
            names = [n for n in names if n != "link_clicks"]
    else:
        values = world.post_values(m)
    out = []
    for name in names:
        title, desc = METRIC_TEXT[name]
        item: dict[str, Any] = {"name": name, "period": "lifetime"}
        if name in BREAKDOWN_METRICS:
            total: dict[str, Any] = {"value": values[name]}
            if breakdown:
                parts = _breakdown(call, m, name, values, now)
                total["breakdowns"] = [
                    {
                        "dimension_keys": [breakdown],
                        "results": [
                            {"dimension_values": [k], "value": v} for k, v in parts.items()
                        ],
                    }
                ]
            item["total_value"] = total
        else:
            item["values"] = [{"value": values[name]}]
        item.update({"title": title, "description": desc, "id": f"{m.id}/insights/{name}/lifetime"})
        out.append(item)
    return out


def _check_metrics(call: Call, m: Story | Post, names: list[str], breakdown: str | None) -> None:
    """Refuse unknown metrics and the combinations Meta refuses, with Meta's (odd) errors."""
    if isinstance(m, Story):
        valid = list(STORY_METRICS) + list(BREAKDOWN_METRICS)
        if call.provider == "facebook":
            valid += list(FACEBOOK_ONLY_METRICS)
    else:
        valid = list(POST_METRICS)
    for i, name in enumerate(names):
        if name not in valid:
            raise MetaError(
                100,
                f"(#100) metric[{i}] must be one of the following values: {', '.join(valid)}",
            )
    has_breakdown_metric = any(n in BREAKDOWN_METRICS for n in names)
    if (has_breakdown_metric or breakdown) and len(names) > 1:
        raise MetaError(1, "An unknown error has occurred.", status=500)
    if breakdown and BREAKDOWN_METRICS.get(names[0]) != breakdown:
        raise MetaError(
            100,
            f"(#100) Incompatible breakdowns. Metric {names[0]} does not support "
            f"breakdown {breakdown}",
        )


def _breakdown(
    call: Call, m: Story | Post, name: str, values: dict[str, int], now: float
) -> dict[str, int]:
    """The parts of a breakdown metric's total (posts have none in the sandbox)."""
    world = call.state.world
    if name == "navigation" and isinstance(m, Story):
        return world.navigation(m, now, values["views"])
    if isinstance(m, Story):
        return world.profile_activity(m, values["profile_visits"])
    return {}

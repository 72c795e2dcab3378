"""Rich rendering of the `trackers` results (imported only when a table is printed)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from igconnect.cli.tables import table

if TYPE_CHECKING:
    from igconnect.cli.context import CliContext
    from igconnect.trackers.adding import AddReport
    from igconnect.trackers.classify import ClassifyRun
    from igconnect.trackers.listing import TrackerListing
    from igconnect.trackers.service import AssignResult, RebalanceResult

_TRACKER = re.compile(r"[@#][a-z0-9._]+")


def collapse(lines: list[str], shown: int = 5) -> list[str]:
    """Lines that differ only in the trackers they name become one line with a count: the first
    of them, then how many more and which (24 identical warnings are one)."""
    groups: dict[str, list[str]] = {}
    for line in lines:
        groups.setdefault(_TRACKER.sub("@…", line), []).append(line)
    out = []
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            out.append(first)
        elif all(m == first for m in members):
            out.append(f"{first} (×{len(members)})")
        else:
            others = [k for m in members[1:] for k in _TRACKER.findall(m)[:1]]
            more = f" and {len(others) - shown} more" if len(others) > shown else ""
            out.append(
                f"{first} (and {len(others)} more like it: {', '.join(others[:shown])}{more})"
            )
    return out


def _volume(t: Any) -> str:
    if t.volume != "high":
        return ""
    return "high-volume" + (" (measured)" if t.volume_source == "measured" else "")


def _usage(usage: list[dict[str, Any]]) -> str:
    if not usage:
        return "no usage seen yet"
    parts = []
    for u in usage:
        if u["scope"] == "app":
            scope = "app"
        else:
            scope = "@" + u["username"] if u.get("username") else f"account {u['scope']}"
        text = f"{scope} {u['percent']:.0f}%"
        if u["regain_minutes"]:
            text += f" (blocked {u['regain_minutes']:.0f} min)"
        parts.append(text)
    seen = max(u["observed_at"] for u in usage)
    return ", ".join(parts) + f" at {seen}"


def render_listing(obj: CliContext, listing: TrackerListing) -> None:
    shown = table(
        ("connection", "id"),
        ("status", "text"),
        ("trackers", "text"),
        ("load", "text"),
        ("last rate-limit usage", "text"),
    )
    for group in listing.connections:
        if group.status == "broken":
            status = "BROKEN: collects nothing" + (
                f" ({group.broken_reason})" if group.broken_reason else ""
            )
        else:
            status = "ok"
        load = f"{group.managed} managed"
        if group.shared or group.provider == "facebook":
            load += f", {group.shared}/{group.capacity} sharing its budget"
        if group.over_capacity:
            load += " (over capacity)"
        if group.high_volume_shared:
            load += " (high-volume shared)"
        if group.hashtags_used:
            load += f", hashtags {group.hashtags_used}/{group.hashtag_budget}"
        names = [_name(t) for t in group.trackers] or ["(no trackers)"]
        shown.add_row(group.name, status, "\n".join(names), load, _usage(group.usage))
    for name, trackers in listing.orphaned.items():
        shown.add_row(
            name,
            "GONE: collects nothing",
            "\n".join(t.key for t in trackers),
            str(len(trackers)),
            "",
        )
    if listing.unassigned:
        shown.add_row(
            "(unassigned)",
            "collects nothing",
            "\n".join(_name(t) for t in listing.unassigned),
            str(len(listing.unassigned)),
            "",
        )
    if not listing.connections and not listing.unassigned and not listing.orphaned:
        obj.info(
            "no trackers and no connections yet: run `igconnect login`, then "
            "`igconnect trackers add @USERNAME`"
        )
        return
    obj.out.print(shown)
    for line in collapse([f"{v.message} — {v.fix}" for v in listing.violations]):
        obj.warn(line)


def _name(t: Any) -> str:
    tags = [_volume(t)] if _volume(t) else []
    if t.is_public:
        tags.append("public")
    if t.pending:
        tags.append("pending")
    return t.key + (f" [{', '.join(tags)}]" if tags else "")


def render_rebalance(obj: CliContext, result: RebalanceResult) -> None:
    proposal = result.proposal
    if not proposal.moves:
        obj.info("no moves: the current assignment is already the best one")
    else:
        moves = table(("tracker", "id"), ("from", "id"), ("to", "id"), ("why", "text"))
        for move in proposal.moves:
            moves.add_row(
                move.tracker, move.source or "(unassigned)", move.target or "(unassigned)", move.why
            )
        obj.out.print(moves)
    if proposal.satisfies_every_rule:
        obj.info("the proposed assignment follows every rule")
    else:
        obj.warn("no assignment follows every rule; this is the closest one:")
        for line in collapse(proposal.unmet):
            obj.warn(line)
        for violation in proposal.after:
            obj.detail(f"{violation.rule}: {violation.message}")
    if not proposal.optimal:
        obj.warn("the search stopped at its limit: this proposal may not have the fewest moves")
    if result.applied:
        obj.success(f"applied {len(proposal.moves)} move(s)")
    elif proposal.moves:
        obj.info(
            "nothing changed yet: run `igconnect trackers rebalance --apply` to make these moves"
        )


def render_classify(obj: CliContext, run: ClassifyRun) -> None:
    results = run.results
    if not results:
        obj.info("no trackers to classify: add some with `igconnect trackers add`")
        return
    shown = table(
        ("tracker", "id"),
        ("volume", "text"),
        ("was", "text"),
        ("how", "text"),
        ("posts (30 d)", "number"),
        ("likes (30 d)", "number"),
        ("note", "text"),
    )
    for r in results:
        shown.add_row(
            r.tracker,
            r.volume,
            f"{r.previous_volume} ({r.previous_source})",
            r.status,
            "" if r.posts is None else str(r.posts),
            "" if r.likes is None else str(r.likes),
            r.note,
        )
    obj.out.print(shown)
    for note in run.notes:
        obj.info(f"Note: {note}")


def render_add(obj: CliContext, report: AddReport) -> None:
    """One line per tracker (errors as `Error: what — what to do`), then one summary line."""
    from igconnect.trackers.adding import ADDED, EXISTS, FAILED, PENDING, REFUSED

    verbose = len(report.items) <= 10 or obj.verbose
    warnings: list[str] = []
    for item in report.items:
        warnings += item.warnings
        if item.outcome in (REFUSED, FAILED) or (item.outcome == EXISTS and item.exit_code):
            obj.err.print(
                f"Error: {item.tracker}: {item.reason}" + (f" — {item.hint}" if item.hint else ""),
                markup=False,
                highlight=False,
            )
        elif item.outcome == PENDING or (item.outcome == ADDED and item.connection is None):
            warnings.append(
                f"{item.tracker}: {item.reason}" + (f" — {item.hint}" if item.hint else "")
            )
        elif item.outcome == ADDED and verbose:
            how = f" ({item.access})" if item.access else ""
            obj.success(f"tracking {item.tracker}{how} on '{item.connection}': {item.reason}")
    for line in collapse(warnings):
        obj.warn(line)
    if len(report.items) > 1:
        parts = [
            f"{report.count(o)} {label}"
            for o, label in (
                (ADDED, "added"),
                (PENDING, "pending"),
                (EXISTS, "already tracked"),
                (REFUSED, "refused"),
                (FAILED, "failed"),
            )
            if report.count(o)
        ]
        obj.info(f"{len(report.items)} tracker(s): " + ", ".join(parts))


def render_assign(obj: CliContext, result: AssignResult) -> None:
    for line in collapse(result.warnings):
        obj.warn(line)
    if not result.changed:
        obj.info(f"{result.tracker.key} is already on '{result.connection}'")
        return
    was = f" (was on '{result.previous}')" if result.previous else ""
    obj.success(f"{result.tracker.key} is on '{result.connection}'{was}")
    if result.reason:
        obj.info(result.reason)

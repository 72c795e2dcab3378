"""Rich rendering of the `trackers` results (imported only when a table is printed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from igconnect.cli.tables import table

if TYPE_CHECKING:
    from igconnect.cli.context import CliContext
    from igconnect.trackers.classify import ClassifyRun
    from igconnect.trackers.listing import TrackerListing
    from igconnect.trackers.service import RebalanceResult


def _volume(t: Any) -> str:
    if t.volume != "high":
        return ""
    return "high-volume" + (" (measured)" if t.volume_source == "measured" else "")


def _usage(usage: list[dict[str, Any]]) -> str:
    if not usage:
        return "no usage seen yet"
    parts = []
    for u in usage:
        scope = "app" if u["scope"] == "app" else f"account {u['scope']}"
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
        load = f"{group.count}/{group.capacity}"
        if group.over_capacity:
            load += " over capacity"
        if group.high_volume_shared:
            load += " high-volume shared"
        if group.hashtags_used:
            load += f", hashtags {group.hashtags_used}/{group.hashtag_budget}"
        names = [t.key + (f" [{_volume(t)}]" if _volume(t) else "") for t in group.trackers] or [
            "(no trackers)"
        ]
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
            "\n".join(t.key for t in listing.unassigned),
            str(len(listing.unassigned)),
            "",
        )
    if not listing.connections and not listing.unassigned and not listing.orphaned:
        obj.info(
            "no trackers and no connections yet: run `igconnect login`, then `igconnect "
            "trackers add @USERNAME`"
        )
        return
    obj.out.print(shown)
    obj.warn_all(f"{v.message} — {v.fix}" for v in listing.violations)


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
        obj.warn_all(proposal.unmet)
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

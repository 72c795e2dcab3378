"""Repeated warnings as one line with a count, so 24 identical lines do not bury the one that
differs. Every command printing a list of warnings goes through here (`CliContext.warn_all`)."""

from __future__ import annotations

from collections.abc import Iterable


def collapse(messages: Iterable[str]) -> list[str]:
    """Each distinct message once, in first-seen order, with a count when it repeats:
    24 identical warnings become "… (24 times)"."""
    counts: dict[str, int] = {}
    for message in messages:
        counts[message] = counts.get(message, 0) + 1
    return [m if n == 1 else f"{m} ({n} times)" for m, n in counts.items()]


def collapse_by_subject(items: Iterable[tuple[str, str]], *, shown: int = 3) -> list[str]:
    """(subject, message) pairs as one line per message: "'a', 'b' and 3 more: message"
    (a single subject reads "'a': message")."""
    subjects: dict[str, list[str]] = {}
    for subject, message in items:
        names = subjects.setdefault(message, [])
        if subject not in names:
            names.append(subject)
    lines = []
    for message, names in subjects.items():
        head = ", ".join(f"'{n}'" for n in names[:shown])
        if len(names) > shown:
            head += f" and {len(names) - shown} more"
        lines.append(f"{head}: {message}")
    return lines

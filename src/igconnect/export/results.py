"""What an export run reports: per item (account, hashtag), per broken connection, per kind, and
for the run of every kind. Each result has one `to_json()` with stable keys and an `exit_code`;
the CLI renders them (tests/export/test_json_contract.py pins the keys)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from igconnect.errors import ExitCode

COLLECTED = "collected"
BROKEN = "broken"  # the connection's token is dead: every item on it, one word, one fix
KINDS = ("stories", "profiles", "hashtags")


@dataclass(frozen=True)
class ConnectionProblem:
    """One dead connection, said once: how many items it left uncollected and the command that
    fixes it."""

    connection: str
    reason: str
    fix: str  # e.g. "run `igconnect login --reconnect ada`"
    targets: tuple[str, ...]  # the trackers it left uncollected (@account, #hashtag)

    def line(self) -> str:
        shown = ", ".join(self.targets[:3]) + (", …" if len(self.targets) > 3 else "")
        count = len(self.targets)
        return (
            f"connection '{self.connection}' is broken ({self.reason}): {count} "
            f"tracker{'s' if count != 1 else ''} not collected ({shown}); {self.fix}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "reason": self.reason,
            "fix": self.fix,
            "targets": list(self.targets),
        }


@dataclass(frozen=True)
class ItemReport:
    """One profile or hashtag of a run."""

    target: str  # @username or #hashtag
    connection: str | None
    state: str  # collected | broken | throttled | error | skipped
    reason: str | None
    rows: int  # posts (profiles) or media (hashtags) read
    access: str | None = None  # profiles: managed | public; hashtags: the querying account id

    @property
    def ok(self) -> bool:
        return self.state == COLLECTED

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "connection": self.connection,
            "state": self.state,
            "reason": self.reason,
            "rows": self.rows,
            "access": self.access,
        }


def collection_exit_code(
    fetched: bool,
    collected: int,
    failed: int,
    *,
    nothing_to_do: ExitCode = ExitCode.NOTHING_COLLECTED,
) -> ExitCode:
    """A collecting run's exit code: a run from the archive alone is OK; nothing collected is 9,
    or `nothing_to_do` when nothing was even tried; some failures beside successes are 8."""
    if not fetched:
        return ExitCode.OK
    if not collected:
        return ExitCode.NOTHING_COLLECTED if failed else nothing_to_do
    return ExitCode.PARTIAL if failed else ExitCode.OK


def broken_reason(connection: Any) -> str:
    """The reason an item of a broken connection carries (the summary says it once)."""
    from igconnect.connections.model import reconnect_hint

    why = connection.broken_reason or "token dead"
    return f"connection '{connection.name}' is broken ({why}); {reconnect_hint(connection)}"


def broken_item(
    target: str, connection: Any, fixes: dict[str, tuple[str, str]], access: str | None = None
) -> ItemReport:
    """A tracker not collected because its connection is broken; the fix kept once in `fixes`."""
    from igconnect.connections.model import reconnect_hint

    fixes[connection.name] = (connection.broken_reason or "token dead", reconnect_hint(connection))
    return ItemReport(target, connection.name, BROKEN, broken_reason(connection), 0, access)


def connection_problems(
    items: Iterable[Any], fixes: dict[str, tuple[str, str]]
) -> list[ConnectionProblem]:
    """The broken connections among `items` (each with `state` and `connection`), one each;
    `fixes` maps a connection to (reason, fix)."""
    targets: dict[str, list[str]] = {}
    for item in items:
        if item.state == BROKEN and item.connection:
            target = getattr(item, "target", None) or "@" + item.username
            targets.setdefault(item.connection, []).append(target)
    out = []
    for name in sorted(targets):
        reason, fix = fixes.get(name, ("token dead", f"run `igconnect login --reconnect {name}`"))
        out.append(ConnectionProblem(name, reason, fix, tuple(sorted(set(targets[name])))))
    return out


@dataclass
class KindResult:
    """A run of `export profiles` or `export hashtags`."""

    kind: str
    output: str  # the file written, "-" for stdout, "" when nothing was written
    format: str
    rows: int
    items: list[ItemReport]
    requests: int  # the calls Meta counts
    round_trips: int
    warnings: list[str]
    fetched: bool
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)  # more files: {"posts": path}
    problems: list[ConnectionProblem] = field(default_factory=list)
    log_file: str = ""

    @property
    def failed(self) -> list[ItemReport]:
        return [i for i in self.items if not i.ok]

    @property
    def collected(self) -> list[ItemReport]:
        return [i for i in self.items if i.ok]

    @property
    def exit_code(self) -> ExitCode:
        return collection_exit_code(
            self.fetched, len(self.collected), len(self.failed), nothing_to_do=ExitCode.OK
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "exit_code": int(self.exit_code),
            "output": self.output,
            "outputs": dict(self.outputs),
            "format": self.format,
            "rows": self.rows,
            "requests": self.requests,
            "round_trips": self.round_trips,
            "seconds": round(self.seconds, 3),
            "log_file": self.log_file,
            "warnings": list(self.warnings),
            "connection_problems": [p.to_json() for p in self.problems],
            "items": [i.to_json() for i in self.items],
        }


@dataclass
class RunResult:
    """`igconnect export` without a kind: every kind that has trackers, in one locked run."""

    kinds: list[Any]  # ExportResult (stories) and KindResult
    failures: dict[str, str] = field(default_factory=dict)  # kind -> why it could not run
    seconds: float = 0.0

    @property
    def exit_code(self) -> ExitCode:
        codes = [r.exit_code for r in self.kinds]
        if self.failures:
            return ExitCode.PARTIAL if any(c == ExitCode.OK for c in codes) else self._worst()
        if not codes or all(c == ExitCode.OK for c in codes):
            return ExitCode.OK
        if all(c == ExitCode.NOTHING_COLLECTED for c in codes):
            return ExitCode.NOTHING_COLLECTED
        return ExitCode.PARTIAL

    def _worst(self) -> ExitCode:
        return ExitCode.PARTIAL if self.kinds else ExitCode.NOTHING_COLLECTED

    @property
    def problems(self) -> list[ConnectionProblem]:
        """Each broken connection once over every kind, with the trackers of all of them."""
        merged: dict[str, ConnectionProblem] = {}
        for result in self.kinds:
            for p in result.problems:
                have = merged.get(p.connection)
                if have is not None:
                    both = tuple(sorted({*have.targets, *p.targets}))
                    p = ConnectionProblem(p.connection, have.reason, have.fix, both)
                merged[p.connection] = p
        return [merged[k] for k in sorted(merged)]

    def to_json(self) -> dict[str, Any]:
        return {
            "exit_code": int(self.exit_code),
            "seconds": round(self.seconds, 3),
            "kinds": {r.kind: r.to_json() for r in self.kinds},
            "failures": dict(self.failures),
            "connection_problems": [p.to_json() for p in self.problems],
        }

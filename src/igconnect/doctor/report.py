"""The doctor's report: blocks of check results, the summary counts, the exit code, the JSON form.

The JSON document is versioned (`schema`) and documented in docs/doctor.md; tests pin its keys.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from igconnect.doctor.model import OK, SKIPPED, STATUSES, CheckResult
from igconnect.errors import ExitCode

SCHEMA_VERSION = 1


def tally(results: list[CheckResult]) -> str:
    """One line of counts: '1 problem, 1 accepted, 20 ok, 4 skipped', or 'all 9 checks ok'."""
    if results and all(r.status == OK for r in results):
        return f"all {len(results)} checks ok" if len(results) != 1 else "1 check ok"
    counts = [
        (sum(1 for r in results if r.is_problem), "problem", "problems"),
        (sum(1 for r in results if r.is_warning), "warning", "warnings"),
        (sum(1 for r in results if r.accepted_by), "accepted", "accepted"),
        (sum(1 for r in results if r.status == OK), "ok", "ok"),
        (sum(1 for r in results if r.status == SKIPPED), "skipped", "skipped"),
    ]
    parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    return ", ".join(parts) or "no checks"


@dataclass
class AccountReport:
    """One Instagram account (or one Page with none) behind a connection."""

    label: str  # "@acme_1" or "Page 'Acme'"
    username: str | None
    account_id: str | None
    page_id: str | None
    page_name: str | None
    checks: list[CheckResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "label": self.label,
            "account_id": self.account_id,
            "page_id": self.page_id,
            "page_name": self.page_name,
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass
class ConnectionReport:
    name: str
    provider: str
    user_name: str
    status: str  # the connection's status in the settings file after the checks (ok | broken)
    checks: list[CheckResult] = field(default_factory=list)  # conn.* then trackers.*
    accounts: list[AccountReport] = field(default_factory=list)

    def results(self) -> list[CheckResult]:
        return self.checks + [c for a in self.accounts for c in a.checks]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "user_name": self.user_name,
            "status": self.status,
            "checks": [c.to_json() for c in self.checks],
            "accounts": [a.to_json() for a in self.accounts],
        }


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]
    problems: int  # failures + crashes
    warnings: int  # warnings + could-not-check
    accepted: int  # findings accepted by the doctor_accept setting (in neither count above)
    environment_problems: int
    connections_with_problems: int
    connections: int

    @property
    def exit_code(self) -> ExitCode:
        if self.problems:
            return ExitCode.DOCTOR_FAILURES
        if self.warnings:
            return ExitCode.DOCTOR_WARNINGS
        return ExitCode.OK

    @property
    def text(self) -> str:
        """'2 problems in 1 connection; 1 warning; 1 accepted', or 'No problems found'."""
        head = self._problems_text()
        return f"{head}; {self.accepted} accepted" if self.accepted else head

    def _problems_text(self) -> str:
        if not self.problems:
            head = "No problems found"
        else:
            places = []
            if self.environment_problems:
                places.append("the environment")
            if self.connections_with_problems:
                n = self.connections_with_problems
                places.append(f"{n} connection{'s' if n != 1 else ''}")
            where = f" in {' and '.join(places)}" if places else ""
            head = f"{self.problems} problem{'s' if self.problems != 1 else ''}{where}"
        if self.warnings:
            return f"{head}; {self.warnings} warning{'s' if self.warnings != 1 else ''}"
        return head

    def to_json(self) -> dict[str, Any]:
        return {
            **{status: self.counts.get(status, 0) for status in STATUSES},
            "problems": self.problems,
            "warnings": self.warnings,
            "accepted": self.accepted,
            "connections": self.connections,
            "connections_with_problems": self.connections_with_problems,
            "exit_code": int(self.exit_code),
            "text": self.text,
        }


@dataclass
class DoctorReport:
    environment: list[CheckResult] = field(default_factory=list)
    connections: list[ConnectionReport] = field(default_factory=list)
    check: str | None = None  # the one check asked for with --check, if any
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def results(self) -> list[CheckResult]:
        return self.environment + [r for c in self.connections for r in c.results()]

    def find(self, check_id: str) -> list[CheckResult]:
        return [r for r in self.results() if r.id == check_id]

    @property
    def summary(self) -> Summary:
        counts = Counter(r.status for r in self.results())
        return Summary(
            counts=dict(counts),
            problems=sum(1 for r in self.results() if r.is_problem),
            warnings=sum(1 for r in self.results() if r.is_warning),
            accepted=sum(1 for r in self.results() if r.accepted_by),
            environment_problems=sum(1 for r in self.environment if r.is_problem),
            connections_with_problems=sum(
                1 for c in self.connections if any(r.is_problem for r in c.results())
            ),
            connections=len(self.connections),
        )

    @property
    def exit_code(self) -> ExitCode:
        return self.summary.exit_code

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "check": self.check,
            "summary": self.summary.to_json(),
            "environment": [c.to_json() for c in self.environment],
            "connections": [c.to_json() for c in self.connections],
        }

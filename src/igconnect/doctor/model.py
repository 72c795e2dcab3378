"""What a check is, what it returns, and the registry every check module adds itself to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from igconnect.errors import ExitCode

OK = "ok"
WARNING = "warning"
FAILURE = "failure"
SKIPPED = "skipped"
CRASHED = "crashed"
COULD_NOT_CHECK = "could_not_check"
STATUSES = (OK, WARNING, FAILURE, SKIPPED, CRASHED, COULD_NOT_CHECK)
# A dependency in one of these states leaves nothing for its dependents to build on.
BLOCKING = (FAILURE, SKIPPED, CRASHED, COULD_NOT_CHECK)

SCOPE_ENVIRONMENT = "environment"
SCOPE_CONNECTION = "connection"
SCOPE_ACCOUNT = "account"
SCOPE_TRACKERS = "trackers"
SCOPES = (SCOPE_ENVIRONMENT, SCOPE_CONNECTION, SCOPE_ACCOUNT, SCOPE_TRACKERS)
PROVIDERS_ALL = ("facebook", "instagram")


@dataclass
class Finding:
    """What a check function found: a status, the evidence in a few words, and how to fix it."""

    status: str
    evidence: str
    fix: list[str] = field(default_factory=list)  # steps in our own words
    command: str | None = None  # the command to run at the end of the fix
    details: dict[str, Any] = field(default_factory=dict)  # shown with -v and in --json


def ok(evidence: str, **details: Any) -> Finding:
    return Finding(OK, evidence, details=details)


def warning(
    evidence: str, fix: list[str] | None = None, command: str | None = None, **details: Any
) -> Finding:
    return Finding(WARNING, evidence, list(fix or []), command, details)


def failure(
    evidence: str, fix: list[str] | None = None, command: str | None = None, **details: Any
) -> Finding:
    return Finding(FAILURE, evidence, list(fix or []), command, details)


def could_not_check(
    evidence: str, fix: list[str] | None = None, command: str | None = None, **details: Any
) -> Finding:
    return Finding(COULD_NOT_CHECK, evidence, list(fix or []), command, details)


def skipped(evidence: str, **details: Any) -> Finding:
    return Finding(SKIPPED, evidence, details=details)


@dataclass
class CheckResult:
    """One check's outcome as reported: the finding plus the check's id and title."""

    id: str
    title: str
    status: str
    evidence: str
    fix: list[str] = field(default_factory=list)
    command: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    accepted_by: str | None = None  # the doctor_accept rule that accepts this finding
    accept_as: str | None = None  # the rule that would accept it (`doctor --accept RULE`)

    @classmethod
    def of(cls, spec: CheckSpec, finding: Finding) -> CheckResult:
        return cls(
            spec.id,
            spec.title,
            finding.status,
            finding.evidence,
            finding.fix,
            finding.command,
            finding.details,
        )

    @property
    def is_problem(self) -> bool:
        return self.status in (FAILURE, CRASHED) and not self.accepted_by

    @property
    def is_warning(self) -> bool:
        return self.status in (WARNING, COULD_NOT_CHECK) and not self.accepted_by

    @property
    def needs_attention(self) -> bool:
        """Shown by the short report: a problem, a warning, or an accepted one (as one line)."""
        return self.status not in (OK, SKIPPED)

    def fix_steps(self) -> list[str]:
        """The fix as numbered-step texts, the command to run last."""
        steps = list(self.fix)
        if self.command:
            steps.append(f"Run: {self.command}")
        return steps

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "evidence": self.evidence,
            "fix": self.fix_steps(),
            "command": self.command,
            "details": self.details,
            "accepted": self.accepted_by,
            "accept_as": self.accept_as,
        }


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: where it runs, what it needs first, what it proves, and its usual fix."""

    id: str
    title: str
    scope: str
    fn: Callable[[Any], Finding]
    proves: str
    usual_fix: str
    depends: tuple[str, ...] = ()
    providers: tuple[str, ...] = PROVIDERS_ALL

    def applies_to(self, provider: str | None) -> bool:
        return provider is None or provider in self.providers


# id -> spec, in registration order (which is the order checks run and are shown in).
CHECKS: dict[str, CheckSpec] = {}


@dataclass
class CheckCatalogue:
    """`doctor --list-checks`: every check, in the order they run."""

    specs: list[CheckSpec]

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        rows = [
            {
                "id": spec.id,
                "title": spec.title,
                "scope": spec.scope,
                "providers": list(spec.providers),
                "depends": list(spec.depends),
                "proves": spec.proves,
                "fix": spec.usual_fix,
            }
            for spec in self.specs
        ]
        return {"schema": 1, "checks": rows}


def check(
    id: str,
    title: str,
    *,
    scope: str,
    proves: str,
    usual_fix: str,
    depends: tuple[str, ...] = (),
    providers: tuple[str, ...] = PROVIDERS_ALL,
) -> Callable[[Callable[[Any], Finding]], Callable[[Any], Finding]]:
    """Register a check function under `id`."""

    def register(fn: Callable[[Any], Finding]) -> Callable[[Any], Finding]:
        CHECKS[id] = CheckSpec(id, title, scope, fn, proves, usual_fix, depends, providers)
        return fn

    return register


def reconnect_command(name: str) -> str:
    return f"igconnect login --reconnect {name}"

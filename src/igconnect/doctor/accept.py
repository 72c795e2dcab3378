"""Findings the agency accepts as known and permanent (the `doctor_accept` setting).

A rule is `CHECK-ID` (that check everywhere) or `CHECK-ID:SUBJECT`, where SUBJECT names a
connection, an account (with or without `@`), or a Page by name or id. An accepted finding keeps its
status in the report but no longer counts as a problem or a warning, so a Page that a client keeps
without Instagram stops failing cron. `doctor --accept` and `--unaccept` edit the setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from igconnect.doctor.model import CHECKS, OK, SKIPPED, CheckResult
from igconnect.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from igconnect.doctor.report import AccountReport, ConnectionReport, DoctorReport
    from igconnect.runtime import Runtime

SETTING = "doctor_accept"


@dataclass(frozen=True)
class Rule:
    check: str
    subject: str | None = None

    @classmethod
    def parse(cls, text: str) -> Rule:
        check, _, subject = text.strip().partition(":")
        return cls(check.strip(), _fold(subject) or None)

    def __str__(self) -> str:
        return f"{self.check}:{self.subject}" if self.subject else self.check

    def matches(self, result: CheckResult, subjects: set[str]) -> bool:
        return result.id == self.check and (self.subject is None or self.subject in subjects)


def _fold(text: str) -> str:
    return text.strip().lstrip("@").casefold()


def _subjects(conn: ConnectionReport | None, acct: AccountReport | None) -> set[str]:
    names = [conn.name if conn else None]
    if acct is not None:
        names += [acct.username, acct.account_id, acct.page_id, acct.page_name]
    return {_fold(n) for n in names if n}


def subject_of(conn: ConnectionReport | None, acct: AccountReport | None) -> str | None:
    """The subject an `--accept` rule names a finding by: the account, else the Page id, else the
    connection (ids need no quoting in a shell)."""
    if acct is not None:
        if acct.username:
            return acct.username
        if acct.page_id:
            return acct.page_id
    return conn.name if conn else None


def apply_rules(report: DoctorReport, texts: list[str]) -> None:
    """Mark the findings the rules accept; ok and skipped results need no accepting."""
    rules = [Rule.parse(t) for t in texts if t.strip()]

    def mark(results: list[CheckResult], subjects: set[str], subject: str | None) -> None:
        for result in results:
            result.accept_as = f"{result.id}:{subject}" if subject else result.id
            if result.status in (OK, SKIPPED):
                continue
            rule = next((r for r in rules if r.matches(result, subjects)), None)
            if rule is not None:
                result.accepted_by = str(rule)

    mark(report.environment, set(), None)
    for conn in report.connections:
        mark(conn.checks, _subjects(conn, None), subject_of(conn, None))
        for acct in conn.accounts:
            mark(acct.checks, _subjects(conn, acct), subject_of(conn, acct))


@dataclass
class AcceptChange:
    """What `doctor --accept` / `--unaccept` did to the `doctor_accept` setting."""

    action: str  # accepted | unaccepted
    rule: str
    changed: bool
    rules: list[str]

    @property
    def exit_code(self) -> int:
        return 0

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "rule": self.rule,
            "changed": self.changed,
            "doctor_accept": self.rules,
        }


def _valid(text: str) -> Rule:
    rule = Rule.parse(text)
    if not rule.check:
        raise UsageError(
            "an accept rule needs a check id",
            hint="write CHECK-ID or CHECK-ID:SUBJECT, e.g. account.linked:acme_2 "
            "(`igconnect doctor --list-checks` lists the ids)",
        )
    if rule.check not in CHECKS:
        raise NotFoundError(
            "check", rule.check, CHECKS, hint="run `igconnect doctor --list-checks` to see them"
        )
    return rule


def accept(runtime: Runtime, text: str) -> AcceptChange:
    """Add a rule to `doctor_accept` in the settings file (once)."""
    rule = str(_valid(text))
    with runtime.edit() as doc:
        rules = [str(r) for r in map(Rule.parse, list(doc.get(SETTING) or []))]
        changed = rule not in rules
        if changed:
            rules.append(rule)
            doc[SETTING] = rules
    return AcceptChange("accepted", rule, changed, rules)


def unaccept(runtime: Runtime, text: str) -> AcceptChange:
    """Remove a rule from `doctor_accept`; the finding counts again."""
    rule = str(Rule.parse(text))
    with runtime.edit() as doc:
        before = [str(r) for r in map(Rule.parse, list(doc.get(SETTING) or []))]
        if rule not in before:
            raise NotFoundError(
                "accept rule",
                rule,
                before,
                hint="`igconnect config get doctor_accept` lists the accepted findings",
            )
        rules = [r for r in before if r != rule]
        if rules:
            doc[SETTING] = rules
        else:
            del doc[SETTING]
    return AcceptChange("unaccepted", rule, True, rules)

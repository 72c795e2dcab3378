"""Meta's rate-limit usage headers, parsed into a record callers can show and act on."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class AccountUsage:
    """One entry of X-Business-Use-Case-Usage: percentages of the account's budget."""

    account_id: str
    kind: str
    call_count: float
    total_cputime: float
    total_time: float
    regain_minutes: float  # estimated_time_to_regain_access; 0 when not throttled

    @property
    def percent(self) -> float:
        return max(self.call_count, self.total_cputime, self.total_time)


@dataclass(frozen=True)
class Usage:
    """Usage as of one answer. Percentages are of the budget Meta allows (100 = throttled)."""

    observed_at: datetime
    app: Mapping[str, float] | None = None  # X-App-Usage
    accounts: Mapping[str, AccountUsage] = field(default_factory=dict)

    @property
    def app_percent(self) -> float | None:
        if not self.app:
            return None
        return max(float(v) for v in self.app.values())

    @property
    def max_percent(self) -> float | None:
        values = [a.percent for a in self.accounts.values()]
        if self.app_percent is not None:
            values.append(self.app_percent)
        return max(values) if values else None

    @property
    def regain_minutes(self) -> float:
        return max((a.regain_minutes for a in self.accounts.values()), default=0.0)

    def merged(self, newer: Usage) -> Usage:
        """Combine with a newer answer's usage: newer values win, accounts accumulate."""
        accounts = {**self.accounts, **newer.accounts}
        return Usage(newer.observed_at, newer.app if newer.app is not None else self.app, accounts)

    def to_json(self) -> dict[str, object]:
        return {
            "observed_at": self.observed_at.isoformat(),
            "app": dict(self.app) if self.app else None,
            "accounts": {
                k: {
                    "call_count": a.call_count,
                    "total_cputime": a.total_cputime,
                    "total_time": a.total_time,
                    "estimated_time_to_regain_access": a.regain_minutes,
                }
                for k, a in self.accounts.items()
            },
        }


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def parse_usage(headers: Mapping[str, str], now: datetime | None = None) -> Usage | None:
    """Read X-App-Usage and X-Business-Use-Case-Usage; None when neither is present or readable."""
    lowered = {k.lower(): v for k, v in headers.items()}
    app: dict[str, float] | None = None
    accounts: dict[str, AccountUsage] = {}
    raw_app = lowered.get("x-app-usage")
    if raw_app:
        try:
            parsed = json.loads(raw_app)
            if isinstance(parsed, dict):
                app = {str(k): _number(v) for k, v in parsed.items()}
        except ValueError:
            app = None
    raw_buc = lowered.get("x-business-use-case-usage")
    if raw_buc:
        try:
            parsed = json.loads(raw_buc)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            for account_id, entries in parsed.items():
                for entry in entries if isinstance(entries, list) else []:
                    if not isinstance(entry, dict):
                        continue
                    accounts[str(account_id)] = AccountUsage(
                        account_id=str(account_id),
                        kind=str(entry.get("type", "")),
                        call_count=_number(entry.get("call_count")),
                        total_cputime=_number(entry.get("total_cputime")),
                        total_time=_number(entry.get("total_time")),
                        regain_minutes=_number(entry.get("estimated_time_to_regain_access")),
                    )
    if app is None and not accounts:
        return None
    return Usage(now or datetime.now(UTC), app, accounts)

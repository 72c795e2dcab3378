"""Rate limits: the app's, the user's and each account's budget, and the usage headers."""

from __future__ import annotations

import json

from . import errors as E
from .call import Call
from .state import State


def app_usage_header(s: State) -> str:
    """`X-App-Usage`, sent on every Graph answer."""
    pct = 100 if s.on_any("app-throttled") else min(100, s.app_usage())
    return json.dumps({"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2})


def throttle(call: Call) -> list[tuple[str, str]]:
    """Count the call against the budgets; raise when one is spent, else the headers to send."""
    s = call.state
    pct = s.count_app()
    acct = call.account
    # A policy block: calls made while blocked do not end it sooner (nor extend it, here).
    if s.policy_blocked_until(acct.username if acct else None) is not None:
        raise E.policy_blocked()
    if s.on_any("app-throttled") or pct > 100:
        raise E.throttled_app()
    if s.user_scenario("user-throttled", call.user_token):
        raise E.throttled_user()
    username = acct.username if acct else None
    if s.on("page-throttled", username):
        raise E.throttled_page()
    if s.on("custom-throttled", username):
        raise E.throttled_custom()
    if acct is None:
        return []
    apct, minutes = s.count_account(acct.id)
    until = s.throttled_until(acct.username)
    if until is not None:
        apct, minutes = max(apct, 100), int((until - s.now()) // 60) + 1
    usage = {
        acct.id: [
            {
                "type": "instagram",
                "call_count": min(apct, 100),
                "total_cputime": min(apct, 100) // 2,
                "total_time": min(apct, 100) // 2,
                "estimated_time_to_regain_access": minutes,
            }
        ]
    }
    header = [("X-Business-Use-Case-Usage", json.dumps(usage))]
    if apct >= 100 and minutes:
        err = E.throttled_account()
        err.headers = header
        raise err
    return header

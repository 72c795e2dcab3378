"""Runs the checks in order: environment, then each connection, its accounts, its trackers.

A check whose dependency failed (or was skipped, crashed, or could not be checked) is skipped with
that reason. A check that raises is reported as crashed and the others still run. The accounts of a
connection are checked concurrently; each gets its own client so usage figures stay apart.
"""

from __future__ import annotations

import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

# The check modules register themselves in CHECKS when imported; the order here is the run order.
from igconnect.doctor import (
    checks_account,
    checks_connection,
    checks_env,
    checks_export,
    checks_trackers,
)
from igconnect.doctor.accept import apply_rules
from igconnect.doctor.model import (
    BLOCKING,
    CHECKS,
    COULD_NOT_CHECK,
    CRASHED,
    FAILURE,
    SCOPE_ACCOUNT,
    SCOPE_CONNECTION,
    SCOPE_ENVIRONMENT,
    SCOPE_TRACKERS,
    SKIPPED,
    CheckResult,
    CheckSpec,
    Finding,
    could_not_check,
    failure,
    reconnect_command,
)
from igconnect.doctor.report import AccountReport, ConnectionReport, DoctorReport
from igconnect.doctor.state import AccountState, ConnectionState, EnvState
from igconnect.errors import IgconnectError, NotFoundError
from igconnect.redact import redact

if TYPE_CHECKING:
    from igconnect.connections.model import Account, Connection
    from igconnect.runtime import Runtime

_ = (checks_env, checks_export, checks_connection, checks_account, checks_trackers)
MAX_ACCOUNT_WORKERS = 8
_VERB = {
    FAILURE: "failed",
    SKIPPED: "was skipped",
    CRASHED: "crashed",
    COULD_NOT_CHECK: "could not be checked",
}


def check_ids() -> list[str]:
    return list(CHECKS)


def _closure(check_id: str) -> set[str]:
    """The check and everything it depends on, transitively."""
    needed: set[str] = set()
    stack = [check_id]
    while stack:
        current = stack.pop()
        if current in needed or current not in CHECKS:
            continue
        needed.add(current)
        stack.extend(CHECKS[current].depends)
    return needed


class _Runner:
    def __init__(self, check: str | None) -> None:
        self.run_ids = _closure(check) if check else None
        self.report_ids = {check} if check else None

    def wants(self, scope: str) -> bool:
        return any(
            s.scope == scope and (self.run_ids is None or s.id in self.run_ids)
            for s in CHECKS.values()
        )

    def scope(
        self,
        scope: str,
        provider: str | None,
        state: Any,
        results: dict[str, CheckResult],
        inherited: dict[str, CheckResult],
    ) -> list[CheckResult]:
        shown: list[CheckResult] = []
        for spec in CHECKS.values():
            if spec.scope != scope or not spec.applies_to(provider):
                continue
            if self.run_ids is not None and spec.id not in self.run_ids:
                continue
            result = self.one(spec, state, {**inherited, **results})
            results[spec.id] = result
            if self.report_ids is None or spec.id in self.report_ids:
                shown.append(result)
        return shown

    def one(self, spec: CheckSpec, state: Any, known: dict[str, CheckResult]) -> CheckResult:
        for dep in spec.depends:
            blocker = known.get(dep)  # absent: not applicable here (e.g. Pages on Instagram Login)
            if blocker is not None and blocker.status in BLOCKING:
                # Name the root cause, not the chain of skips in between.
                root = known.get(str(blocker.details.get("root_cause", "")), blocker)
                if blocker.status != SKIPPED:
                    root = blocker
                return CheckResult.of(
                    spec,
                    Finding(
                        SKIPPED,
                        f"needs '{root.title}' ({root.id}), which {_VERB[root.status]}",
                        details={"blocked_by": dep, "root_cause": root.id},
                    ),
                )
        return CheckResult.of(spec, _guarded(spec, state))


def _guarded(spec: CheckSpec, state: Any) -> Finding:
    """Run one check; Meta's typed errors become findings, anything else is a crash."""
    from igconnect.meta.errors import MetaUnreachable, Throttled, TokenDead, TransientError

    name = getattr(state, "name", None) or getattr(getattr(state, "conn", None), "name", None)
    try:
        return spec.fn(state)
    except Throttled as exc:
        return could_not_check(
            f"Meta throttled this {exc.scope}: {exc.meta_message}",
            [exc.hint or "Wait, then check again."],
            "igconnect doctor",
            wait_seconds=exc.wait_seconds,
        )
    except TokenDead as exc:
        return failure(
            f"token is dead: {exc.reason} ({exc.meta_message})",
            ["Log in again; the connection keeps its name and trackers."],
            reconnect_command(name) if name else "igconnect login",
        )
    except (MetaUnreachable, TransientError) as exc:
        return could_not_check(
            f"Meta did not answer: {exc.message}",
            ["Check the network connection, then run doctor again."],
            "igconnect doctor",
        )
    except IgconnectError as exc:
        return failure(exc.message, [exc.hint] if exc.hint else [], None)
    except Exception as exc:
        return Finding(
            CRASHED,
            f"the check crashed: {type(exc).__name__}: {redact(str(exc))}",
            ["This is a bug in igconnect: rerun with --debug and report it with the details."],
            "igconnect doctor -v --json",
            {"traceback": redact("".join(traceback.format_exception(exc)))},
        )


def _discover(state: ConnectionState, account: str | None) -> list[AccountState]:
    """The blocks under a connection: live accounts and Pages, then expected ones not reached."""
    blocks: list[AccountState] = []
    live = state.live_accounts()
    if state.provider == "facebook" and state.pages is not None:
        for page in state.pages:
            ig = page.get("instagram_business_account")
            if isinstance(ig, dict) and ig.get("id"):
                ig_id = str(ig["id"])
                blocks.append(
                    AccountState(state, ig_id, ig.get("username"), page, state.reach.account(ig_id))
                )
            else:
                stored = next(
                    (a for a in state.reach.accounts if a.page_id == str(page.get("id"))), None
                )
                blocks.append(AccountState(state, None, None, page, stored))
    elif state.provider == "instagram" and state.me is not None and state.me.get("user_id"):
        ig_id = str(state.me["user_id"])
        blocks.append(
            AccountState(state, ig_id, state.me.get("username"), None, state.reach.account(ig_id))
        )
    discovered = state.pages is not None or state.me is not None
    covered = {b.ig_id for b in blocks if b.ig_id} | {
        b.stored.id for b in blocks if b.stored is not None
    }
    for stored in state.reach.accounts:
        if stored.id not in live and stored.id not in covered:
            if state.provider == "instagram" and discovered:
                continue  # Instagram Login reaches exactly the account it logged in as
            blocks.append(AccountState(state, stored.id, stored.username, None, stored))
    if account is None:
        return blocks
    wanted = account.lstrip("@").lower()

    def matches(block: AccountState) -> bool:
        names = {block.username, block.stored.username if block.stored else None}
        return wanted in {n.lower() for n in names if n}

    chosen = [b for b in blocks if matches(b)]
    if not chosen:
        block = AccountState(state, None, wanted, None, None)
        block.expected, block.expected_from = _expected_elsewhere(state, wanted)
        chosen = [block]
    return chosen


def _expected_elsewhere(state: ConnectionState, username: str) -> tuple[Account | None, str | None]:
    """An account this connection never recorded: the Page another connection recorded it on,
    so a wrong-Page link can still be told from a missing one."""
    from igconnect.connections.store import ConnectionStore

    for other, account in ConnectionStore(state.runtime.state.db).reaching(username):
        if account.page_id:
            return account, other.name
    return None, None


def _account_report(block: AccountState) -> AccountReport:
    page = block.page or {}
    stored = block.stored
    return AccountReport(
        label=block.label,
        username=block.username or (stored.username if stored else None),
        account_id=block.ig_id,
        page_id=str(page.get("id")) if page.get("id") else (stored.page_id if stored else None),
        page_name=page.get("name") or (stored.page_name if stored else None),
    )


def _check_connection(
    runner: _Runner,
    env: EnvState,
    env_results: dict[str, CheckResult],
    connection: Connection,
    account: str | None,
) -> ConnectionReport:
    state = ConnectionState(env, connection)
    _expected_reach(state, account)
    results: dict[str, CheckResult] = {}
    shown = runner.scope(SCOPE_CONNECTION, connection.provider, state, results, env_results)
    report = ConnectionReport(
        connection.name, connection.provider, connection.user_name, connection.status, shown
    )
    if runner.wants(SCOPE_ACCOUNT):
        blocks = _discover(state, account)
        inherited = {**env_results, **results}

        def run_block(block: AccountState) -> AccountReport:
            try:
                out = _account_report(block)
                out.checks = runner.scope(SCOPE_ACCOUNT, connection.provider, block, {}, inherited)
                return out
            finally:
                block.close()

        workers = max(1, min(MAX_ACCOUNT_WORKERS, len(blocks)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="doctor") as pool:
            report.accounts = list(pool.map(run_block, blocks))
    if account is None:  # tracker rules are about the whole connection
        report.checks += runner.scope(
            SCOPE_TRACKERS, connection.provider, state, results, env_results
        )
    report.status = state.connection.status
    return report


def _expected_reach(state: ConnectionState, account: str | None) -> None:
    """What the store says the connection reaches: everything, or with --account just that one
    (so doctor looks at one Page, not at every Page of a login that reaches thousands)."""
    from igconnect.connections.model import Reach
    from igconnect.connections.store import ConnectionStore

    store = ConnectionStore(state.runtime.state.db)
    if account is None:
        state.reach = store.reach(state.connection.id)
        return
    found = store.account(state.connection.id, account)
    state.focus = found
    state.reach = Reach([found] if found else [])


def _select_connections(
    runtime: Runtime, connection: str | None, account: str | None
) -> list[Connection]:
    from igconnect.connections.model import normalise_username
    from igconnect.connections.store import ConnectionStore
    from igconnect.trackers.store import TrackerStore

    store = ConnectionStore(runtime.state.db)
    if connection is not None:
        return [store.get(connection)]
    if account is None:
        return store.all()
    wanted = normalise_username(account)
    chosen = {c.name: c for c, _ in store.reaching(wanted)}
    tracker = TrackerStore(runtime.state.db).find("@" + wanted)
    if tracker is not None and tracker.connection is not None:
        assigned = store.find(tracker.connection)
        if assigned is not None:
            chosen.setdefault(assigned.name, assigned)
    if not chosen:
        raise NotFoundError(
            "account",
            wanted,
            store.known_usernames(),
            hint="name the connection too (`igconnect doctor CONNECTION --account USERNAME`) to "
            "look for it live",
        )
    return [chosen[n] for n in sorted(chosen)]


def run_doctor(
    runtime: Runtime,
    connection: str | None = None,
    account: str | None = None,
    check: str | None = None,
) -> DoctorReport:
    """Run the checks and return the report. Raises only for bad input (unknown connection,
    account or check id); check failures are in the report."""
    if check is not None and check not in CHECKS:
        raise NotFoundError(
            "check", check, CHECKS, hint="run `igconnect doctor --list-checks` to see them"
        )
    runner = _Runner(check)
    env = EnvState(runtime)
    env_results: dict[str, CheckResult] = {}
    report = DoctorReport(check=check)
    report.environment = runner.scope(SCOPE_ENVIRONMENT, None, env, env_results, {})
    settings = env_results.get("env.settings")
    if settings is not None and settings.status in BLOCKING:
        return report  # without the settings file there are no connections to look at
    if not (
        runner.wants(SCOPE_CONNECTION)
        or runner.wants(SCOPE_ACCOUNT)
        or runner.wants(SCOPE_TRACKERS)
    ):
        return report
    for chosen in _select_connections(runtime, connection, account):
        report.connections.append(_check_connection(runner, env, env_results, chosen, account))
    apply_rules(report, runtime.settings.get("doctor_accept"))
    return report

"""Live status: confirm each connection's token with Meta, one cheap call each, in parallel.

Facebook Login and system-user tokens are asked about with `debug_token` (as the app; with no app
secret at hand, `/me` with the token itself); Instagram Login tokens with `/me` on
graph.instagram.com. A definite answer is recorded (`ok`, `broken` with the reason, or `checkpoint`
for 190/459, which may clear) together with `checked_at`; an answer that says nothing (Meta
unreachable, throttled, a token that cannot be read here) leaves the recorded status alone.

Built for cron as much as for people: no prompt, tokens read before any thread starts, one try per
call (a retry at most) within the `http_timeout` setting, so a check never hangs.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from igconnect.connections.model import Connection, reconnect_hint
from igconnect.connections.store import ConnectionStore
from igconnect.errors import ExitCode, IgconnectError, LoginFailed, SecretStoreError
from igconnect.meta.errors import CHECKPOINT_SUBCODE, TOKEN_DEAD_REASONS, MetaApiError, TokenDead
from igconnect.meta.oauth import FACEBOOK, FacebookLogin, InstagramLogin
from igconnect.secretstore import token_key

if TYPE_CHECKING:
    from igconnect.meta.client import GraphClient
    from igconnect.runtime import Runtime

RESULT_OK = "ok"
RESULT_BROKEN = "broken"
RESULT_CHECKPOINT = "checkpoint"
RESULT_UNKNOWN = "unknown"  # Meta said nothing definite; nothing recorded
RESULT_UNREADABLE = "unreadable"  # the token could not be read here; nothing recorded
MAX_PARALLEL = 8
MAX_RETRIES = 1


@dataclass
class StatusCheck:
    """What Meta said about one connection's token just now."""

    result: str  # ok | broken | checkpoint | unknown | unreadable
    message: str
    reason: str | None = None  # why the token is dead (broken / checkpoint): what is recorded
    checked_at: datetime | None = None  # set when the answer was recorded

    @property
    def definite(self) -> bool:
        return self.result in (RESULT_OK, RESULT_BROKEN, RESULT_CHECKPOINT)

    def to_json(self) -> dict[str, Any]:
        return {"result": self.result, "message": self.message}


def checks_exit_code(checks: list[StatusCheck]) -> ExitCode:
    """AUTH when a token is dead (or held), SECRET_STORE when one could not be read, NETWORK when
    Meta said nothing definite about one, OK when every token was confirmed."""
    results = {c.result for c in checks}
    if results & {RESULT_BROKEN, RESULT_CHECKPOINT}:
        return ExitCode.AUTH
    if RESULT_UNREADABLE in results:
        return ExitCode.SECRET_STORE
    if RESULT_UNKNOWN in results:
        return ExitCode.NETWORK
    return ExitCode.OK


def check_connections(
    runtime: Runtime, connections: list[Connection], *, now: datetime | None = None
) -> dict[str, StatusCheck]:
    """Ask Meta about every connection's token (in parallel) and record the answers; by id."""
    now = now or datetime.now(UTC)
    out: dict[str, StatusCheck] = {}
    tokens: dict[str, str] = {}
    for connection in connections:  # the secret store from this thread only
        try:
            token = runtime.secret_store.get(token_key(connection.id))
        except SecretStoreError as exc:
            out[connection.id] = StatusCheck(RESULT_UNREADABLE, f"token unreadable: {exc.message}")
            continue
        if not token:
            reason = f"no token in the {runtime.secret_store.description}"
            out[connection.id] = StatusCheck(
                RESULT_BROKEN, f"{reason}: {reconnect_hint(connection)}", reason
            )
            continue
        tokens[connection.id] = token
    ask = _asker(runtime)
    todo = [c for c in connections if c.id in tokens]
    if todo:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(todo))) as pool:
            answers = pool.map(lambda c: (c.id, ask(c, tokens[c.id])), todo)
            out.update(dict(answers))
    _record(runtime, connections, out, now)
    return out


def _asker(runtime: Runtime) -> Callable[[Connection, str], StatusCheck]:
    """One function per run that asks Meta about one token (thread-safe: a client per call)."""
    from igconnect.meta_app import secret_or_none

    def new_client(base_url: str, **kw: Any) -> GraphClient:
        client = runtime.graph_client(base_url, **kw)
        client.retries = min(client.retries, MAX_RETRIES)
        return client

    endpoints = runtime.endpoints
    app_id = runtime.settings.get("app_id")
    app_secret = runtime.app_secret_or_none()
    facebook = (
        FacebookLogin(endpoints, str(app_id), app_secret, new_client)
        if app_id and app_secret
        else None
    )
    fallback = FacebookLogin(endpoints, "", "", new_client)  # /me with the token itself
    instagram = InstagramLogin(
        endpoints,
        str(runtime.settings.get("instagram_app_id") or ""),
        secret_or_none(runtime, "instagram") or "",
        new_client,
    )

    def ask(connection: Connection, token: str) -> StatusCheck:
        try:
            if connection.provider != FACEBOOK:
                me = instagram.identity(token)
                return StatusCheck(RESULT_OK, f"Meta accepts it (Instagram Login as @{me.name})")
            if facebook is None:
                me = fallback.identity(token)
                return StatusCheck(RESULT_OK, f"Meta accepts it as {me.name} (checked with /me)")
            info = facebook.debug_token(token)
        except TokenDead as exc:
            return _dead(connection, exc.subcode, exc.message)
        except LoginFailed as exc:  # e.g. the account became a personal one
            return StatusCheck(RESULT_UNKNOWN, exc.message)
        except (MetaApiError, IgconnectError) as exc:
            return StatusCheck(RESULT_UNKNOWN, f"could not check: {exc.message}")
        if not info.is_valid:
            return _dead(connection, info.error_subcode, info.error_message or "not valid")
        return StatusCheck(RESULT_OK, "Meta accepts it (debug_token)")

    return ask


def _dead(connection: Connection, subcode: int | None, message: str) -> StatusCheck:
    reason = TOKEN_DEAD_REASONS.get(subcode or 0) or message
    result = RESULT_CHECKPOINT if subcode == CHECKPOINT_SUBCODE else RESULT_BROKEN
    return StatusCheck(result, f"{reason}: {reconnect_hint(connection)}", reason)


def _record(
    runtime: Runtime,
    connections: list[Connection],
    checks: dict[str, StatusCheck],
    now: datetime,
) -> None:
    definite = {i: c for i, c in checks.items() if c.definite}
    if not definite:
        return
    with runtime.state.transaction() as db:
        store = ConnectionStore(db)
        for connection in connections:
            check = definite.get(connection.id)
            if check is None:
                continue
            if check.result == RESULT_OK:
                store.mark_ok(connection.id, now)
                connection.status, connection.broken_reason = "ok", None
            else:
                reason = check.reason or "Meta no longer accepts the token"
                store.mark_broken(
                    connection.id, reason, now, may_recover=check.result == RESULT_CHECKPOINT
                )
                connection.status = check.result
                connection.broken_reason = reason
            connection.checked_at = now
            check.checked_at = now

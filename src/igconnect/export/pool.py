"""What the profile and hashtag collections share: one client per connection for the run (batching
on the Facebook path, like stories), a connection closed once its token is dead, a Meta failure
turned into a report state, and a bounded pool of workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from igconnect.errors import IgconnectError, SecretStoreError, UnsafeSetupError
from igconnect.export.results import BROKEN
from igconnect.redact import redact

if TYPE_CHECKING:
    from igconnect.connections.model import Connection
    from igconnect.runtime import Runtime

log = logging.getLogger("igconnect.export")

THROTTLED = "throttled"
FAILED = "error"
SKIPPED = "skipped"

J = TypeVar("J")
R = TypeVar("R")


@dataclass(frozen=True)
class Failure:
    state: str
    reason: str


class Clients:
    """The run's clients, opened on first use; a connection whose token is dead is closed for
    the rest of the run and marked broken in the state store (once)."""

    def __init__(
        self,
        runtime: Runtime,
        connections: dict[str, Connection],
        paused: Callable[[str], tuple[datetime, str] | None] = lambda key: None,
    ) -> None:
        self.runtime = runtime
        self.connections = connections
        self.paused = paused  # the archive's pauses: what Meta throttled in an earlier run
        self._clients: dict[str, Any] = {}
        self._closed: dict[str, Failure] = {}
        self._lock = threading.Lock()
        self.broken: list[str] = []
        self.broken_why: dict[str, str] = {}  # name -> Meta's reason, for the summary
        self.pauses: list[tuple[str, float, str]] = []  # (key, seconds, reason) to archive

    def throttled(
        self, name: str, scope: str, seconds: float, reason: str, account: str | None = None
    ) -> Failure:
        """Meta throttled a call: what it throttled (the app: every connection; a user, Page or
        custom limit: the connection; an account, or a policy block: that account) is not called
        again this run, and the pause is archived so the next runs wait too (calls made while
        blocked extend the block)."""
        failure = Failure(THROTTLED, reason)
        with self._lock:
            if scope in ("account", "blocked") and account:
                self.pauses.append((f"account:{account}", seconds, reason))
                return failure
            key = "app" if scope == "app" else f"connection:{name}"
            self.pauses.append((key, seconds, reason))
            for other in [name] if key != "app" else list(self.connections):
                self._closed.setdefault(other, failure)
        return failure

    def account_paused(self, account: str) -> Failure | None:
        """An account Meta throttled (this run or, archived, an earlier one)."""
        with self._lock:
            if any(key == f"account:{account}" for key, _, _ in self.pauses):
                return Failure(THROTTLED, "Meta throttled the account earlier in this run")
        pause = self.paused(f"account:{account}")
        if pause is None:
            return None
        until, why = pause
        return Failure(THROTTLED, f"{why} (paused until {until:%Y-%m-%d %H:%M} UTC, not called)")

    def get(self, name: str) -> Any:
        """The client of connection `name`, or a Failure saying why there is none."""
        from igconnect.meta.errors import TokenDead

        with self._lock:
            if name in self._closed:
                return self._closed[name]
            if name in self._clients:
                return self._clients[name]
            pause = self.paused("app") or self.paused(f"connection:{name}")
            if pause is not None:
                until, why = pause
                self._closed[name] = Failure(
                    THROTTLED, f"{why} (paused until {until:%Y-%m-%d %H:%M} UTC, not called)"
                )
                return self._closed[name]
            connection = self.connections[name]
            try:
                client = batching_client(self.runtime, connection)
            except (SecretStoreError, UnsafeSetupError):
                raise  # every connection needs them: said once, with its exit code
            except TokenDead as exc:
                failure = self._dead(name, exc.reason)
                return failure
            except IgconnectError as exc:
                failure = Failure(SKIPPED, exc.message + (f" — {exc.hint}" if exc.hint else ""))
                self._closed[name] = failure
                return failure
            self._clients[name] = client
            return client

    def dead(self, name: str, why: str) -> Failure:
        with self._lock:
            return self._dead(name, why)

    def _dead(self, name: str, why: str) -> Failure:
        if name not in self._closed or self._closed[name].state != BROKEN:
            self._closed[name] = Failure(BROKEN, f"the token of connection '{name}' is dead: {why}")
            if name not in self.broken:
                self.broken.append(name)
                self.broken_why[name] = why
                mark_broken(self.runtime, name, why)
        return self._closed[name]

    @property
    def counts(self) -> tuple[int, int]:
        """(API calls Meta counts, HTTP round trips) so far."""
        calls = sum(c.api_calls for c in self._clients.values())
        trips = sum(c.request_count for c in self._clients.values())
        return calls, trips

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def batching_client(runtime: Runtime, connection: Connection) -> Any:
    """The client a run collects a connection's accounts with: on the Facebook path the requests
    of accounts collected at once go out as batches (graph.instagram.com documents no batch)."""
    from igconnect.connections.clients import client_for
    from igconnect.meta.batching import BatchingClient

    client = client_for(runtime, connection)
    if connection.provider == "facebook" and runtime.settings.get("export_batch"):
        return BatchingClient(client)
    return client


def mark_broken(runtime: Runtime, name: str, reason: str, *, may_recover: bool = False) -> None:
    """Record a dead token; one held by a security checkpoint (190/459) is only marked held, so
    the next run tries it again instead of skipping it."""
    from igconnect.connections.store import ConnectionStore

    try:
        with runtime.state.transaction() as db:
            store = ConnectionStore(db)
            connection = store.find(name)
            if connection is not None:
                store.mark_broken(connection.id, reason, may_recover=may_recover)
    except IgconnectError as exc:  # the run goes on; the summary still names the connection
        log.warning("could not mark connection %s broken: %s", name, exc)


def failure_of(
    exc: BaseException, clients: Clients, connection: str, account: str | None = None
) -> Failure:
    """A failed call as the report says it; a dead token closes its connection, a throttle
    pauses what Meta throttled (`account`: the managed account the call was about)."""
    from igconnect.meta.errors import MetaApiError, MetaUnreachable, Throttled, TokenDead

    if isinstance(exc, TokenDead):
        return clients.dead(connection, exc.reason)
    if isinstance(exc, Throttled):
        what = {"app": "app", "account": "account", "blocked": "account"}.get(
            exc.scope, "connection"
        )
        why = f"Meta throttled the {what} ({short(exc)})"
        return clients.throttled(connection, exc.scope, exc.wait_seconds, why, account)
    if isinstance(exc, MetaApiError | MetaUnreachable):
        return Failure(FAILED, short(exc))
    log.error("unexpected failure: %s", type(exc).__name__, exc_info=exc)
    return Failure(FAILED, f"unexpected {type(exc).__name__}: {short(exc)} (see the log file)")


def short(exc: BaseException) -> str:
    from igconnect.meta.errors import MetaApiError

    text = exc.meta_message if isinstance(exc, MetaApiError) else str(exc)
    return redact(text)[:200]


def run_pool(jobs: Iterable[J], work: Callable[[J], R], concurrency: int) -> Iterator[R]:
    """`work(job)` for every job on at most `concurrency` threads (at most twice that in flight,
    so memory stays flat), yielding results as they finish. Concurrent GETs of one Facebook-path
    connection leave as one batch (meta/batching.py)."""
    queue = iter(jobs)
    pending: set[Future[R]] = set()
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="export") as pool:
        while True:
            while len(pending) < 2 * max(1, concurrency):
                job = next(queue, None)
                if job is None:
                    break
                pending.add(pool.submit(work, job))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

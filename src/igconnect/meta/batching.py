"""Graph batch requests without changing the code that makes the requests.

A `BatchingClient` stands in for a `GraphClient`: the GETs its callers (threads collecting
accounts) make at about the same moment are sent as one `POST /{version}/` with `batch=[...]`, up
to 50 items, and each caller gets back exactly what the same request alone would have given: its
body, or the typed error of its own item (a throttle or a dead token included). An item Meta gave
up on (`null`) is sent again alone. Each item is still one call for Meta's budgets; what batching
saves is round trips, which is what costs time.
"""

from __future__ import annotations

import copy
import queue
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from igconnect.meta.client import BatchResult, GraphClient, strip_token

MAX_ITEMS = 50  # Meta's limit per batch
LINGER_SECONDS = 0.005  # how long a first request waits for others to join it


@dataclass
class _Item:
    path: str  # a path of the version, or an absolute paging URL of the host
    params: Mapping[str, Any] | None
    relative_url: str
    answer: Future[Any] = field(default_factory=Future)


_STOP = object()


class BatchingClient:
    """A GraphClient's `get` and `pages`, sent in batches; `batch`, `close` and the counters pass
    through to the client it wraps."""

    def __init__(
        self,
        client: GraphClient,
        *,
        senders: int = 4,
        linger: float = LINGER_SECONDS,
        max_items: int = MAX_ITEMS,
    ) -> None:
        self.client = client
        self.linger = linger
        self.max_items = max_items
        self._queue: queue.Queue[Any] = queue.Queue()
        self._senders = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="batch")
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="igconnect-batching", daemon=True
        )
        self._dispatcher.start()

    # -- what the collectors call ------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        item = _Item(path, params, self.client.relative_url(path, params))
        self._queue.put(item)
        return item.answer.result()

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Each page's body, following `paging.next` (stripped of the token) on this host."""
        body = self.get(path, params)
        while True:
            yield body
            next_url = (body.get("paging") or {}).get("next") if isinstance(body, dict) else None
            if not next_url:
                return
            body = self.get(strip_token(next_url))

    def batch(self, requests: Sequence[Mapping[str, str]]) -> list[BatchResult]:
        return self.client.batch(requests)

    @property
    def request_count(self) -> int:
        return self.client.request_count

    @property
    def api_calls(self) -> int:
        return self.client.api_calls

    @property
    def version(self) -> str:
        return self.client.version

    def close(self) -> None:
        self._queue.put(_STOP)
        self._dispatcher.join(timeout=30)
        self._senders.shutdown(wait=True)
        self.client.close()

    def __enter__(self) -> BatchingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- behind the scenes ------------------------------------------------------------------
    def _dispatch(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            chunk = [first]
            stop = False
            deadline = time.monotonic() + self.linger
            while len(chunk) < self.max_items:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                chunk.append(item)
            self._senders.submit(self._send, chunk)
            if stop:
                return

    def _send(self, chunk: list[_Item]) -> None:
        if len(chunk) == 1:  # nothing to batch with: a plain request
            self._alone(chunk[0])
            return
        try:
            results = self.client.batch(
                [{"method": "GET", "relative_url": item.relative_url} for item in chunk]
            )
        except BaseException as exc:  # the batch as a whole: every item fails the same way
            for item in chunk:
                item.answer.set_exception(copy.copy(exc))
            return
        for item, result in zip(chunk, results, strict=True):
            if result.status is None:  # Meta gave up on this one: send it alone
                self._alone(item)
            elif result.error is not None:
                item.answer.set_exception(result.error)
            else:
                item.answer.set_result(result.body)

    def _alone(self, item: _Item) -> None:
        try:
            if "://" in item.path:
                body = self.client.request("GET", "", absolute_url=item.path)
            else:
                body = self.client.get(item.path, item.params)
        except BaseException as exc:
            item.answer.set_exception(exc)
        else:
            item.answer.set_result(body)

"""The one HTTP client for Meta's Graph API.

The version goes in every path, every request has a timeout and our User-Agent, the token travels in
the Authorization header (never in a URL we build), `appsecret_proof` is sent whenever the app secret
is known, `paging.next` URLs are stripped of `access_token` before they are followed, transient errors
are retried with capped exponential backoff and jitter, and throttling is handed to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from igconnect import __version__
from igconnect.meta.errors import (
    MetaApiError,
    MetaUnreachable,
    TransientError,
    error_from_body,
)
from igconnect.meta.usage import Usage, parse_usage
from igconnect.redact import redact, remember_secret

log = logging.getLogger("igconnect.meta")

USER_AGENT = f"igconnect/{__version__}"
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
_TOKEN_PARAMS = ("access_token",)


def auth_scheme(provider: str) -> str:
    """How a token is sent: graph.instagram.com takes Bearer, the Facebook hosts OAuth."""
    return "Bearer" if provider == "instagram" else "OAuth"


def strip_token(url: str) -> str:
    """Remove `access_token` from a URL (Meta puts the token in `paging.next`)."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _TOKEN_PARAMS
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def appsecret_proof(token: str, app_secret: str, at: int) -> str:
    """HMAC-SHA256 of `token|time` keyed with the app secret (Meta's time-bound proof)."""
    return hmac.new(app_secret.encode(), f"{token}|{at}".encode(), hashlib.sha256).hexdigest()


# What builds a GraphClient for a host: `(base_url, *, token=, auth_scheme=, app_secret=)`.
ClientFactory = Callable[..., "GraphClient"]


@dataclass(frozen=True)
class BatchResult:
    """One answer of a batch request: a body, or the error it carried, or neither if it timed out."""

    status: int | None
    body: Any
    error: MetaApiError | None


class GraphClient:
    """A client for one Graph host, acting with one token (or none, for the OAuth exchanges)."""

    def __init__(
        self,
        base_url: str,
        version: str,
        *,
        token: str | None = None,
        auth_scheme: str = "OAuth",
        app_secret: str | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        reconnect_hint: str | None = None,
        on_usage: Callable[[Usage], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.token = token
        self.auth_scheme = auth_scheme
        self.app_secret = app_secret
        self.retries = retries
        self.reconnect_hint = reconnect_hint
        self.on_usage = on_usage
        self.last_usage: Usage | None = None
        self.request_count = 0  # HTTP round trips (what costs time)
        self.api_calls = 0  # what Meta counts: each request, and each item of a batch
        self._count_lock = threading.Lock()
        self._sleep = sleep
        remember_secret(token)
        remember_secret(app_secret)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers=headers,
            transport=transport,
            follow_redirects=False,
        )

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------------
    def url(self, path: str, *, versioned: bool = True) -> str:
        path = path.lstrip("/")
        return f"{self.base_url}/{self.version}/{path}" if versioned else f"{self.base_url}/{path}"

    def get(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("GET", path, params=params, **kw)

    def post(self, path: str, data: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("POST", path, data=data, **kw)

    def delete(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        return self.request("DELETE", path, params=params, **kw)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        versioned: bool = True,
        absolute_url: str | None = None,
        authenticated: bool = True,
        retry: bool | None = None,
        calls: int = 1,
    ) -> Any:
        """Send one request and return the decoded JSON body; raise a typed error otherwise.

        GET and DELETE are retried on transient failures; POST only when `retry=True`, since an
        OAuth code must not be sent twice.
        """
        url = absolute_url or self.url(path, versioned=versioned)
        may_retry = retry if retry is not None else method in ("GET", "DELETE")
        attempts = 1 + (self.retries if may_retry else 0)
        for attempt in range(attempts):
            try:
                return self._send(method, url, params, data, authenticated, calls)
            except (TransientError, MetaUnreachable) as exc:
                if attempt + 1 >= attempts:
                    raise
                delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
                log.info("retrying %s %s in %.1fs after: %s", method, _path_of(url), delay, exc)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        authenticated: bool,
        calls: int = 1,
    ) -> Any:
        query = dict(params or {})
        headers: dict[str, str] = {}
        if authenticated and self.token:
            headers["Authorization"] = f"{self.auth_scheme} {self.token}"
            if self.app_secret:
                now = int(time.time())
                query["appsecret_time"] = str(now)
                query["appsecret_proof"] = appsecret_proof(self.token, self.app_secret, now)
        parts = urlsplit(url)
        if parts.query and query:
            # httpx replaces a URL's query when params are given: keep a paging cursor's query.
            query = {**dict(parse_qsl(parts.query, keep_blank_values=True)), **query}
            url = urlunsplit(parts._replace(query=""))
        started = time.monotonic()
        self._count(calls)
        try:
            response = self._http.request(
                method,
                url,
                params=query or None,
                data=dict(data) if data else None,
                headers=headers,
            )
        except httpx.TimeoutException:
            raise MetaUnreachable(
                f"Meta did not answer in time ({_host_of(url)})",
                hint="check the network, or raise `http_timeout`",
            ) from None
        except httpx.TransportError as exc:
            raise MetaUnreachable(
                f"could not reach {_host_of(url)}: {type(exc).__name__}",
                hint="check the network connection and the endpoint settings (`igconnect config show`)",
            ) from None
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s -> %s in %.0f ms", method, _path_of(url), response.status_code, elapsed)
        usage = self._seen_usage(response.headers)
        body = _decode(response)
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise error_from_body(
                response.status_code,
                body,
                regain_minutes=usage.regain_minutes if usage else 0.0,
                reconnect_hint=self.reconnect_hint,
            )
        return body

    def _count(self, calls: int) -> None:
        with self._count_lock:
            self.request_count += 1
            self.api_calls += calls

    def _seen_usage(self, headers: Mapping[str, str]) -> Usage | None:
        usage = parse_usage(headers)
        if usage is not None:
            with self._count_lock:
                merged = usage if self.last_usage is None else self.last_usage.merged(usage)
                self.last_usage = merged
            if self.on_usage is not None:
                self.on_usage(usage)
        return usage

    def relative_url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """`path` (or an absolute paging URL of this host) as a batch item's `relative_url`."""
        parts = urlsplit(path)
        if parts.scheme:
            if _origin(path) != _origin(self.base_url):
                raise MetaApiError(
                    f"refusing to follow a paging link to another host ({_host_of(path)})"
                )
            query = dict(parse_qsl(urlsplit(strip_token(path)).query, keep_blank_values=True))
            path = parts.path.removeprefix(urlsplit(self.base_url).path).lstrip("/")
            version, _, rest = path.partition("/")
            path = rest if version == self.version else path
        else:
            query = {}
        query.update({k: str(v) for k, v in (params or {}).items()})
        relative = f"{self.version}/{path.lstrip('/')}"
        return f"{relative}?{urlencode(query)}" if query else relative

    # -- pagination, batches ---------------------------------------------------------------------
    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Yield each page's body, following `paging.next` (stripped of the token) on this host."""
        body = self.get(path, params)
        while True:
            yield body
            next_url = (body.get("paging") or {}).get("next") if isinstance(body, dict) else None
            if not next_url:
                return
            next_url = strip_token(next_url)
            if _origin(next_url) != _origin(self.base_url):
                raise MetaApiError(
                    f"refusing to follow a paging link to another host ({_host_of(next_url)})"
                )
            body = self.request("GET", "", absolute_url=next_url)

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Yield every item of `data` across all pages."""
        for page in self.pages(path, params):
            yield from page.get("data", []) if isinstance(page, dict) else []

    def batch(self, requests: Sequence[Mapping[str, str]]) -> list[BatchResult]:
        """Send up to 50 requests in one call; each answer is decoded or turned into its error,
        exactly as the same request alone would be (its own usage headers included). An item
        Meta gave up on (`null`) comes back as a TransientError: the caller sends it again alone.
        """
        if len(requests) > 50:
            raise ValueError("Meta accepts at most 50 requests in a batch")
        answers = self.request(
            "POST",
            "",
            data={"batch": json.dumps(list(requests)), "include_headers": "true"},
            retry=True,
            calls=len(requests),
        )
        results: list[BatchResult] = []
        for answer in answers if isinstance(answers, list) else []:
            if not isinstance(answer, dict):
                results.append(BatchResult(None, None, TransientError("batch element timed out")))
                continue
            status = _as_status(answer.get("code"))
            headers = {
                str(h.get("name")): str(h.get("value"))
                for h in answer.get("headers") or []
                if isinstance(h, dict)
            }
            usage = self._seen_usage(headers)
            try:
                body = json.loads(answer.get("body") or "null")
            except ValueError:
                body = None
            error = None
            if status >= 400 or (isinstance(body, dict) and "error" in body):
                error = error_from_body(
                    status,
                    body,
                    regain_minutes=usage.regain_minutes if usage else 0.0,
                    reconnect_hint=self.reconnect_hint,
                )
            results.append(BatchResult(status, body, error))
        if len(results) != len(requests):
            raise TransientError("the batch answer did not match the requests")
        return results


def _as_status(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        if response.status_code >= 500:
            return {"error": {"message": f"HTTP {response.status_code}", "is_transient": True}}
        return {"error": {"message": f"unreadable answer (HTTP {response.status_code})"}}


def _host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _path_of(url: str) -> str:
    """The URL without its query string: safe to log."""
    return redact(urlsplit(url).path)

"""A small HTTP/1.1 server on asyncio: keep-alive, Content-Length bodies, size limits.

Just enough HTTP for the sandbox, written for throughput (a Protocol, no streams): one request at
a time per connection, pipelined requests are queued in the buffer.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
REASONS = {
    200: "OK",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))

    def form(self) -> dict[str, str]:
        ctype = self.headers.get("content-type", "")
        if self.body and ctype.startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return {}

    def params(self) -> dict[str, str]:
        """Query and form parameters together (form wins), as Meta reads them."""
        if not self.body:
            return self.query
        return {**self.query, **self.form()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json; charset=UTF-8"
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # seconds to wait before answering


Handler = Callable[[Request], "Response | Awaitable[Response]"]


class _Connection(asyncio.Protocol):
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.buf = bytearray()
        self.busy = False
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.task: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._process()

    def _fail(self, status: int) -> None:
        body = REASONS.get(status, "Error").encode()
        self._write(Response(status, body, content_type="text/plain"), close=True)

    def _process(self) -> None:
        while not self.closed and self.transport is not None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEADER_BYTES:
                    self._fail(431)
                return
            if end > MAX_HEADER_BYTES:
                self._fail(431)
                return
            try:
                head = bytes(self.buf[:end]).decode("latin-1")
                lines = head.split("\r\n")
                method, target, version = lines[0].split(" ")
                if not version.startswith("HTTP/1.") or not target.startswith("/"):
                    raise ValueError(lines[0])
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if not sep or not name or name != name.strip():
                        raise ValueError(line)
                    headers[name.lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if length < 0:
                    raise ValueError("negative length")
            except ValueError:
                self._fail(400)
                return
            if "transfer-encoding" in headers:
                self._fail(501)
                return
            if length > MAX_BODY_BYTES:
                self._fail(413)
                return
            total = end + 4 + length
            if len(self.buf) < total:
                return
            body = bytes(self.buf[end + 4 : total])
            del self.buf[:total]
            keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
            try:
                req = Request(method, target, headers, body)
                result = self.handler(req)
            except Exception:  # a bug in a handler must not kill the server
                import traceback

                traceback.print_exc()
                self._fail(500)
                return
            if inspect.isawaitable(result):
                self.busy = True
                self.task = asyncio.ensure_future(self._finish(result, keep))
                return
            assert isinstance(result, Response)
            if result.delay:
                self.busy = True
                self.task = asyncio.ensure_future(self._finish(_ready(result), keep))
                return
            self._write(result, close=not keep)

    async def _finish(self, pending: Awaitable[Response], keep: bool) -> None:
        try:
            resp = await pending
            if resp.delay:
                await asyncio.sleep(resp.delay)
        except Exception:
            import traceback

            traceback.print_exc()
            resp = Response(500, b"Internal Server Error", content_type="text/plain")
        self.busy = False
        if self.closed:
            return
        self._write(resp, close=not keep)
        if not self.closed:
            self._process()

    def _write(self, resp: Response, *, close: bool) -> None:
        t = self.transport
        if t is None or self.closed:
            return
        if resp.drop:
            self.closed = True
            t.abort()
            return
        head = [
            f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Unknown')}",
            f"Content-Type: {resp.content_type}",
            f"Content-Length: {len(resp.body)}",
        ]
        for name, value in resp.headers:
            head.append(f"{name}: {value}")
        if close:
            head.append("Connection: close")
        t.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + resp.body)
        if close:
            self.closed = True
            t.close()


async def _ready(resp: Response) -> Response:
    return resp


async def serve(handler: Handler, host: str, port: int) -> asyncio.Server:
    if host != "127.0.0.1":
        raise ValueError("the sandbox only listens on 127.0.0.1")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(handler), host, port, backlog=512)
    for sock in server.sockets:
        assert sock.getsockname()[0] == "127.0.0.1"
    return server

"""The loopback server that receives the browser's redirect at the end of a login.

It listens on loopback only (127.0.0.1, and ::1 too when the redirect host is `localhost`) on a fixed
port, because Meta matches redirect URIs exactly. Only `/callback` exists. It accepts exactly one valid
callback (right `state`, and a `code` or Meta's `error`); every other request gets an error page and
changes nothing. The browser's request for the valid callback is held open until the login has finished,
so the page it shows can say what was connected. A pasted redirect URL goes through the same judge.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from igconnect.errors import LoginFailed, UsageError
from igconnect.login import pages
from igconnect.meta.oauth import states_match
from igconnect.redact import remember_secret

CALLBACK_PATH = "/callback"
MAX_REQUEST_LINE = 4096  # a real callback is a few hundred bytes
MAX_CODE_LENGTH = 2048
CLIENT_SOCKET_TIMEOUT = 10.0  # a client that stalls mid-request is dropped
HOLD_BROWSER_SECONDS = 120.0  # how long the browser waits for the final page

# What Meta's `error_reason` / `error` values mean for the person at the terminal.
DECLINED_REASONS = ("user_denied", "access_denied")


class PortBusy(UsageError):
    """The login port is taken by another program."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"port {port} on localhost is in use by another program, so the login callback cannot "
            "listen there",
            hint=f"stop that program, or use another port with `--port PORT` or `igconnect config set "
            f"login_port PORT` (and register http://localhost:PORT/callback in the Meta app); port {port} "
            "stays the one registered until you change it",
        )
        self.port = port


@dataclass(frozen=True)
class Callback:
    """A valid callback: the authorization code, and where it came from."""

    code: str
    source: str  # "browser" or "pasted"


@dataclass
class Verdict:
    status: int
    page: str
    accepted: bool = False  # a valid code: the browser's request waits for the final page
    reason: str = ""  # why it was rejected or failed (for the terminal)


@dataclass
class CallbackGate:
    """Judges callbacks against the expected state; the first valid one decides the login."""

    expected_state: str
    rejections: list[str] = field(default_factory=list)
    callback: Callback | None = None
    failure: LoginFailed | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.decided = threading.Event()
        self._final_page: str | None = None
        self.final_page_ready = threading.Event()
        self.final_page_sent = threading.Event()

    # -- judging -------------------------------------------------------------------------------
    def judge_query(self, query: str, source: str) -> Verdict:
        """Judge the query string of a callback (from the browser, or a pasted URL)."""
        with self._lock:
            if self.decided.is_set():
                return Verdict(
                    HTTPStatus.GONE,
                    pages.failure_page(
                        "This login is already complete",
                        "igconnect accepts one callback per login and has already had it.",
                        "Go back to the terminal; run `igconnect login` again to start another.",
                    ),
                    reason="a callback arrived after the login was decided",
                )
            try:
                params = parse_qs(
                    query, keep_blank_values=True, strict_parsing=True, max_num_fields=20
                )
            except ValueError:
                return self._reject("the callback's query could not be read")
            if any(len(values) > 1 for values in params.values()):
                return self._reject("the callback repeats a parameter")
            one = {key: values[0] for key, values in params.items()}
            if not states_match(self.expected_state, one.get("state")):
                return self._reject(
                    "the callback's state does not match this login (a stale or forged link)",
                    title="This link does not belong to the login in progress",
                )
            if "error" in one or "error_reason" in one:
                return self._fail(one)
            code = one.get("code", "")
            if not code:
                return self._reject("the callback carries no code")
            if len(code) > MAX_CODE_LENGTH or not code.isprintable():
                return self._reject("the callback's code is malformed")
            remember_secret(code)
            self.callback = Callback(code=code, source=source)
            self.decided.set()
            return Verdict(HTTPStatus.OK, "", accepted=True)

    def judge_url(self, text: str) -> Verdict:
        """Judge a redirect URL pasted by the user (Instagram's trailing `#_` is ignored)."""
        text = text.strip()
        parts = urlsplit(text)
        query = parts.query
        if not query and "?" not in text and "=" in text:
            query = text  # just the query string was pasted
        if not query:
            return self._reject("that is not the address the browser ended on (no query string)")
        return self.judge_query(query, "pasted")

    def _reject(self, reason: str, *, title: str = "This login link is not valid") -> Verdict:
        self.rejections.append(reason)
        page = pages.failure_page(
            title,
            reason[0].upper() + reason[1:] + ". Nothing was changed.",
            "Go back to the terminal, or start again with `igconnect login`.",
        )
        return Verdict(HTTPStatus.BAD_REQUEST, page, reason=reason)

    def _fail(self, params: dict[str, str]) -> Verdict:
        error = params.get("error", "")
        reason = params.get("error_reason", "")
        description = params.get("error_description", "")
        if error == "access_denied" or reason in DECLINED_REASONS:
            title = "Login cancelled"
            message = "the login was cancelled or the permissions were declined in the browser"
            hint = "run `igconnect login` again and press Continue, keeping every permission ticked"
        else:
            title = "Login failed"
            detail = description or reason or error
            message = f"Meta refused the login: {detail[:200]}"
            hint = "check the app set-up in docs/login.md, then run `igconnect login` again"
        self.failure = LoginFailed(message, hint=hint)
        self.decided.set()
        page = pages.failure_page(
            title, message[0].upper() + message[1:] + ".", hint[0].upper() + hint[1:] + "."
        )
        return Verdict(HTTPStatus.OK, page, reason=message)

    # -- the held browser request ----------------------------------------------------------------
    def set_final_page(self, page: str) -> None:
        self._final_page = page
        self.final_page_ready.set()

    def final_page(self, timeout: float) -> str:
        if self.final_page_ready.wait(timeout) and self._final_page is not None:
            return self._final_page
        return pages.failure_page(
            "igconnect stopped",
            "The login did not finish.",
            "Go back to the terminal to see what happened.",
        )


class _Handler(BaseHTTPRequestHandler):
    server: _LoopbackServer
    timeout = CLIENT_SOCKET_TIMEOUT
    server_version = "igconnect"
    sys_version = ""

    def handle_one_request(self) -> None:
        # BaseHTTPRequestHandler accepts 64 KiB request lines; a callback needs far less.
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.requestline, self.request_version, self.command = "", "HTTP/1.0", ""
                self._send(
                    HTTPStatus.REQUEST_URI_TOO_LONG,
                    pages.failure_page(
                        "Request too long",
                        "That address is far longer than a login callback.",
                        "Go back to the terminal.",
                    ),
                )
                self.server.gate.rejections.append("an oversized request was refused")
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            if self.command not in ("GET", "HEAD"):
                self._send(HTTPStatus.METHOD_NOT_ALLOWED, pages.not_found_page())
                return
            self.do_GET()
            self.wfile.flush()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._send(HTTPStatus.NOT_FOUND, pages.not_found_page())
            return
        gate = self.server.gate
        verdict = gate.judge_query(parts.query, "browser")
        if not verdict.accepted:
            self._send(verdict.status, verdict.page)
            return
        page = gate.final_page(HOLD_BROWSER_SECONDS)
        try:
            self._send(HTTPStatus.OK, page)
        finally:
            gate.final_page_sent.set()

    def _send(self, status: int, page: str) -> None:
        body = page.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in pages.SECURITY_HEADERS:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass  # the request line carries the code: never write it anywhere


class _LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    gate: CallbackGate

    def __init__(
        self, address: tuple[str, int], family: socket.AddressFamily, gate: CallbackGate
    ) -> None:
        self.address_family = family
        self.gate = gate
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class CallbackServer:
    """Listens for one login callback; use as a context manager so it always closes."""

    def __init__(self, port: int, expected_state: str, *, redirect_host: str = "localhost") -> None:
        self.requested_port = port
        self.port = port
        self.redirect_host = redirect_host
        self.gate = CallbackGate(expected_state)
        self._servers: list[_LoopbackServer] = []
        self._threads: list[threading.Thread] = []

    @property
    def addresses(self) -> list[str]:
        return [str(s.server_address[0]) for s in self._servers]

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.redirect_host}:{self.port}{CALLBACK_PATH}"

    def start(self) -> CallbackServer:
        try:
            first = _LoopbackServer(("127.0.0.1", self.port), socket.AF_INET, self.gate)
        except OSError as exc:
            raise self._bind_error(exc) from None
        self._servers.append(first)
        self.port = int(first.server_address[1])
        if self.redirect_host == "localhost" and socket.has_ipv6:
            # Browsers may resolve localhost to ::1 first.
            try:
                self._servers.append(
                    _LoopbackServer(("::1", self.port), socket.AF_INET6, self.gate)
                )
            except OSError as exc:
                if exc.errno not in (
                    errno.EADDRNOTAVAIL,
                    errno.EAFNOSUPPORT,
                    errno.EPROTONOSUPPORT,
                ):
                    self.close()
                    raise self._bind_error(exc) from None
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _bind_error(self, exc: OSError) -> Exception:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return PortBusy(self.port)
        return UsageError(
            f"cannot listen on localhost port {self.port}: {exc.strerror or exc}",
            hint="use another port with `--port PORT` or `igconnect config set login_port PORT`",
        )

    def wait(self, timeout: float) -> Callback:
        """Block until a valid callback arrives; LoginFailed on Meta's error or at the deadline."""
        deadline = time.monotonic() + timeout
        # Short waits keep Ctrl-C responsive.
        while not self.gate.decided.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise self._timeout(timeout)
        if self.gate.failure is not None:
            raise self.gate.failure
        assert self.gate.callback is not None
        return self.gate.callback

    def _timeout(self, timeout: float) -> LoginFailed:
        seen = ""
        if self.gate.rejections:
            seen = f"; {len(self.gate.rejections)} invalid callback(s) were refused, the last: {self.gate.rejections[-1]}"
        return LoginFailed(
            f"no login came back within {timeout:g} seconds{seen}",
            hint="run `igconnect login` again and finish it in the browser (raise --timeout for more "
            "time; on another machine use --no-browser and paste the final address)",
        )

    def finish(self, page: str, *, wait_sent: float = 5.0) -> None:
        """Give the held browser request its final page, and wait a moment for it to go out."""
        self.gate.set_final_page(page)
        if self.gate.callback is not None and self.gate.callback.source == "browser":
            self.gate.final_page_sent.wait(wait_sent)

    def close(self) -> None:
        if not self.gate.final_page_ready.is_set():
            self.gate.set_final_page(
                pages.failure_page(
                    "Login stopped",
                    "igconnect stopped before the login finished.",
                    "Go back to the terminal.",
                )
            )
        for server in self._servers[: len(self._threads)]:
            server.shutdown()  # only servers whose loop runs: shutdown() waits for the loop
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> CallbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

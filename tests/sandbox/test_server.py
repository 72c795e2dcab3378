"""The HTTP server itself: loopback only, HTTP/1.1 details, latency, counting, the CLI."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest

from igconnect.sandbox import Sandbox, SandboxConfig

from .conftest import ADA, graph


def _raw(sb: Sandbox, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", sb.port), timeout=5) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_listens_on_loopback_only(sb: Sandbox) -> None:
    assert sb.base_url.startswith("http://127.0.0.1:")
    assert sb._server is not None
    assert all(s.getsockname()[0] == "127.0.0.1" for s in sb._server.sockets)
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        SandboxConfig(host="0.0.0.0")


def test_malformed_requests_get_400(sb: Sandbox) -> None:
    assert _raw(sb, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _raw(sb, b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").startswith(b"HTTP/1.1 400")
    big = b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n"
    assert _raw(sb, big).startswith(b"HTTP/1.1 431")
    huge = b"POST /graph/v25.0/ HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"
    assert _raw(sb, huge).startswith(b"HTTP/1.1 413")


def test_keep_alive_and_pipelining(sb: Sandbox) -> None:
    t = sb.issue_token(ADA)
    req = f"GET /graph/v25.0/me HTTP/1.1\r\nHost: x\r\nAuthorization: OAuth {t}\r\n\r\n".encode()
    last = req.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    out = _raw(sb, req + req + last)
    assert out.count(b"HTTP/1.1 200 OK") == 3
    assert out.count(b"Ada Agency") == 3


def test_latency_option(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(latency_ms=200)
    with httpx.Client(base_url=sb.base_url) as c:
        start = time.monotonic()
        assert graph(c, sb.issue_token(ADA), "me").status_code == 200
        assert time.monotonic() - start >= 0.19


def test_request_count(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    acme1 = sb.world.by_username["acme_1"].id
    for _ in range(3):
        graph(http, t, f"{acme1}/stories")
    graph(http, t, "me")
    assert sb.request_count(f"/graph/v25.0/{acme1}") == 3
    assert sb.request_count("/graph") == 4
    assert sb.request_count() == 4


def test_env_has_no_secret(sb: Sandbox) -> None:
    env = sb.env()
    assert env["IGCONNECT_GRAPH_URL"] == sb.base_url + "/graph"
    assert env["IGCONNECT_GRAPH_VERSION"] == "v25.0"
    assert "sandbox-app-secret" not in "".join(env.values())


def test_import_is_cheap() -> None:
    code = "import sys, igconnect.sandbox; print('httpx' in sys.modules, 'asyncio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_cli_serve_prints_exports() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "igconnect",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--scenario",
            "few-viewers@acme_2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(8)]
        env = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines)
        assert env["IGCONNECT_APP_ID"] == "1000000000000001"
        assert env["IGCONNECT_INSTAGRAM_APP_ID"] == "1000000000000002"
        r = httpx.get(env["IGCONNECT_GRAPH_URL"].replace("/graph", "/__sandbox/health"))
        assert r.json() == {"ok": True}
    finally:
        proc.terminate()
        proc.wait(10)

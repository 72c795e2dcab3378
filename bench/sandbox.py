"""Benchmark: story listings per second served by the sandbox to 20 concurrent keep-alive clients.

Run: .venv/bin/python bench/sandbox.py [--seconds 4] [--clients 20]
Uses `wrk` when installed (C, light on CPU); otherwise a client in a separate process with raw
sockets. Only ever talks to 127.0.0.1, and stops by itself.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from igconnect.sandbox import Sandbox, SandboxConfig


def _client(port: int, path: str, token: str, seconds: float, clients: int, out: mp.Queue) -> None:
    """Raw-socket keep-alive clients multiplexed with selectors in one process."""
    import selectors

    req = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: OAuth {token}\r\n\r\n"
    ).encode()
    sel = selectors.DefaultSelector()
    bufs: dict[socket.socket, bytearray] = {}
    for _ in range(clients):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        s.send(req)
        bufs[s] = bytearray()
        sel.register(s, selectors.EVENT_READ)
    done = errors = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            assert isinstance(s, socket.socket)
            chunk = s.recv(65536)
            buf = bufs[s]
            buf += chunk
            while True:
                head_end = buf.find(b"\r\n\r\n")
                if head_end < 0:
                    break
                m = re.search(rb"Content-Length: (\d+)", bytes(buf[:head_end]), re.I)
                total = head_end + 4 + int(m.group(1) if m else 0)
                if len(buf) < total:
                    break
                if not buf.startswith(b"HTTP/1.1 200"):
                    errors += 1
                del buf[:total]
                done += 1
                s.send(req)
    out.put((done, errors))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--stories", type=int, default=8)
    ap.add_argument(
        "--no-wrk", action="store_true", help="use the Python client even if wrk exists"
    )
    ap.add_argument(
        "--scale", type=int, default=10_000, help="accounts of the world-building figure (0: skip)"
    )
    args = ap.parse_args()
    if args.scale:
        _scale(args.scale)
    cfg = SandboxConfig(accounts=3, stories=args.stories)
    with Sandbox(cfg) as sb:
        token = sb.issue_token("10000000000000001")
        ig = sb.world.by_username["acme_1"].id
        path = f"/graph/v25.0/{ig}/stories?fields=id,timestamp,media_type,permalink&limit=25"
        assert sb.base_url.startswith("http://127.0.0.1:")
        wrk = shutil.which("wrk")
        if wrk and not args.no_wrk:
            proc = subprocess.run(
                [
                    wrk,
                    "-t2",
                    f"-c{args.clients}",
                    f"-d{max(1, int(args.seconds))}s",
                    "-H",
                    f"Authorization: OAuth {token}",
                    sb.base_url + path,
                ],
                capture_output=True,
                text=True,
                timeout=args.seconds + 30,
                check=True,
            )
            m = re.search(r"Requests/sec:\s+([\d.]+)", proc.stdout)
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", proc.stdout)
            rps = float(m.group(1)) if m else 0.0
            tool = "wrk"
            errors = int(bad.group(1)) if bad else 0
        else:
            q: mp.Queue = mp.Queue()
            p = mp.Process(
                target=_client, args=(sb.port, path, token, args.seconds, args.clients, q)
            )
            start = time.monotonic()
            p.start()
            done, errors = q.get(timeout=args.seconds + 30)
            p.join(10)
            rps = done / min(args.seconds, time.monotonic() - start)
            tool = "python raw sockets"
        served = sb.request_count(f"/graph/v25.0/{ig}/stories")
    print(
        f"sandbox story listings: {rps:,.0f} requests/s "
        f"({args.clients} keep-alive clients, {tool}, {served} served, {errors} non-200)"
    )


def _scale(accounts: int) -> None:
    """How long a big world takes to start, and to page through `/me/accounts` 100 at a time."""
    import json
    import urllib.request

    start = time.monotonic()
    with Sandbox(SandboxConfig(accounts=accounts, stories=8)) as sb:
        started = time.monotonic() - start
        token = sb.issue_token("10000000000000001")
        url: str | None = (
            f"{sb.base_url}/graph/v25.0/me/accounts?limit=100&access_token={token}"
            "&fields=id,name,instagram_business_account%7Bid,username%7D"
        )
        pages, t0 = 0, time.monotonic()
        while url:
            with urllib.request.urlopen(url) as resp:  # loopback only
                body = json.load(resp)
            pages += len(body["data"])
            url = body.get("paging", {}).get("next")
        listed = time.monotonic() - t0
    print(
        f"sandbox world of {accounts:,} accounts: started in {started:.2f} s; "
        f"/me/accounts listed {pages:,} Pages in {listed:.2f} s (100 a page)"
    )


if __name__ == "__main__":
    main()

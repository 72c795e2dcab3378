"""The report in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), with
every request, failed request and console message recorded for the test to check.

Recipe: ../shared/reference/testing-real-parts.md ("A real browser")."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@dataclass
class PageLog:
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # "type: text"
    errors: list[str] = field(default_factory=list)  # uncaught page errors


@contextmanager
def open_report(path: Path, log: PageLog | None = None) -> Iterator[Any]:
    """Open `path` (file://) and yield the Playwright page once it has loaded."""
    from playwright.sync_api import sync_playwright

    log = log if log is not None else PageLog()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            page.on("request", lambda r: log.requests.append(r.url))
            page.on("requestfailed", lambda r: log.failed.append(f"{r.url}: {r.failure}"))
            page.on("console", lambda m: log.console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: log.errors.append(str(e)))
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=30_000)
            yield page
        finally:
            browser.close()

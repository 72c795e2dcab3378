"""A stand-in for a person at a browser: headless Chromium opens the login URL, clicks a button on the
sandbox's consent page, follows the redirect to igconnect's loopback server and saves the final page.

Run in the background by the BROWSER script a test writes (webbrowser waits for that script, so it
must return at once, as real browser launchers do):
    python chromium_driver.py URL OUT_DIR [continue|cancel]
Writes OUT_DIR/page.txt (the final page's text), OUT_DIR/url.txt, or OUT_DIR/error.txt.
"""

from __future__ import annotations

import sys
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    url, out = sys.argv[1], Path(sys.argv[2])
    button = sys.argv[3] if len(sys.argv) > 3 else "continue"
    out.mkdir(parents=True, exist_ok=True)
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url, timeout=30_000)
            page.click(f"#{button}", timeout=30_000)
            page.wait_for_url("**/callback?**", timeout=60_000)
            page.wait_for_selector("#result", timeout=60_000)
            (out / "url.txt").write_text(page.url)
            (out / "page.txt").write_text(page.inner_text("body"))
            browser.close()
    except Exception as exc:  # the test reads this file to say what went wrong
        (out / "error.txt").write_text(f"{type(exc).__name__}: {exc}")
    finally:
        (out / "done").write_text("")


if __name__ == "__main__":
    main()

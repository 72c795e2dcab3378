"""The small HTML pages the browser gets at the end of a login: self-contained, no external assets."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_CSS = (
    "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f4f5f7;"
    "color:#1d1f23;margin:0}"
    "main{max-width:560px;margin:48px auto;background:#fff;border-radius:10px;padding:28px 32px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    "h1{font-size:22px;margin:0 0 12px}.ok h1{color:#1a7f37}.fail h1{color:#b3261e}"
    "li{margin:4px 0}.muted{color:#5f6368;font-size:14px}code{background:#f0f0f0;padding:1px 4px;"
    "border-radius:4px}"
)

# Sent with every page: nothing loads from elsewhere, and the code in our URL never leaks onwards.
SECURITY_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)


def _page(kind: str, title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>igconnect: {escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main class={kind} id=result data-result={kind}><h1 id=title>{escape(title)}</h1>"
        f"{body}<p class=muted>You can close this tab and go back to the terminal.</p>"
        "</main></body></html>"
    )


def success_page(connection_name: str, accounts: Sequence[str], missing: Sequence[str]) -> str:
    """'You have been connected', with the Instagram accounts now reachable and what is missing."""
    if accounts:
        items = "".join(f"<li>@{escape(a)}</li>" for a in accounts)
        reach = f"<p>Instagram accounts now reachable:</p><ul id=accounts>{items}</ul>"
    else:
        reach = "<p id=accounts>No Instagram account is reachable through this login yet.</p>"
    notes = ""
    if missing:
        items = "".join(f"<li>{escape(m)}</li>" for m in missing)
        notes = (
            f"<p>Not everything is in place:</p><ul id=missing>{items}</ul>"
            f"<p>Run <code>igconnect doctor {escape(connection_name)}</code> for the steps.</p>"
        )
    body = (
        f"<p>Connection <b id=connection>{escape(connection_name)}</b> is ready.</p>{reach}{notes}"
    )
    return _page("ok", "You have been connected", body)


def failure_page(title: str, what_happened: str, what_to_do: str) -> str:
    body = f"<p id=reason>{escape(what_happened)}</p><p id=next>{escape(what_to_do)}</p>"
    return _page("fail", title, body)


def not_found_page() -> str:
    return failure_page(
        "Not found",
        "This address is only used for the igconnect login callback.",
        "Go back to the terminal.",
    )

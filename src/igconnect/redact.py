"""Keep secrets out of everything we print or log.

Two nets: every secret value the process has handled is remembered and replaced wherever it shows up,
and text shaped like a token or a secret-bearing parameter is masked even if we never saw the value.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"

_known: set[str] = set()
_known_lock = threading.Lock()

# Parameters and headers that carry secrets in URLs, form bodies, JSON and headers.
_SECRET_PARAMS = (
    "access_token",
    "input_token",
    "fb_exchange_token",
    "client_secret",
    "app_secret",
    "code",
    "code_verifier",
    "appsecret_proof",
    "refresh_token",
)
_PARAM_RE = re.compile(
    r"(?P<key>\b(?:" + "|".join(_SECRET_PARAMS) + r"))"
    r"(?P<sep>\"?\s*[=:]\s*\"?)"
    r"(?P<value>[^&\s\"',;}]+)",
    re.IGNORECASE,
)
_AUTH_HEADER_RE = re.compile(r"(?P<key>\b(?:OAuth|Bearer))\s+(?P<value>[A-Za-z0-9._|\-]{8,})")
# Meta user/page tokens start with EAA, Instagram Login tokens with IG; app tokens are id|secret.
_TOKEN_SHAPE_RE = re.compile(r"\b(?:EAA|IGAA|IGQ)[A-Za-z0-9_\-]{16,}|\b\d{6,}\|[A-Za-z0-9_\-]{16,}")
_TOKEN_STARTS = ("EAA", "IGAA", "IGQ", "|")


def remember_secret(value: str | None) -> None:
    """Register a secret so that `redact` masks it wherever it appears."""
    if value and len(value) >= 6:
        with _known_lock:
            _known.add(value)


def mask(value: str | None) -> str:
    """Show that a secret exists without revealing it: the first 4 characters and its length."""
    if not value:
        return "(none)"
    return f"{value[:4]}{MASK} ({len(value)} characters)"


def redact(text: object) -> str:
    """Return `text` as a string with every secret we know of or recognise masked."""
    out = str(text)
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in out:
            out = out.replace(secret, MASK)
    # Each pattern runs only when its literal part is there: exports redact every cell.
    lowered = out.lower()
    if any(param in lowered for param in _SECRET_PARAMS):
        out = _PARAM_RE.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", out)
    if "OAuth" in out or "Bearer" in out:
        out = _AUTH_HEADER_RE.sub(lambda m: f"{m['key']} {MASK}", out)
    if any(start in out for start in _TOKEN_STARTS):
        out = _TOKEN_SHAPE_RE.sub(MASK, out)
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True

"""Meta's error bodies, parsed into typed errors that say what happened and what to do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from igconnect.errors import ExitCode, IgconnectError, NetworkError
from igconnect.redact import redact

# error_subcode of code 190: why a token died.
TOKEN_DEAD_REASONS: dict[int, str] = {
    458: "the app was removed from the account",
    459: "the account is checkpointed (log in on facebook.com to clear it)",
    460: "the password was changed",
    463: "the token expired",
    464: "the user is not confirmed",
    467: "the token is invalid or the user logged out",
    492: "the user lost their role on the Page",
}
THROTTLE_CODES = {4: "app", 17: "user", 32: "page", 613: "custom", 80002: "account", 368: "blocked"}
# How long to pause when Meta throttles without saying how long (seconds). Code 368 ("temporarily
# blocked" for going too fast) never says; calling again while blocked extends the block.
DEFAULT_THROTTLE_WAIT = {
    "app": 900,
    "user": 900,
    "page": 900,
    "custom": 900,
    "account": 3600,
    "blocked": 3600,
}
NOT_ENOUGH_VIEWERS = "not enough viewers"
REDUCE_DATA = "reduce the amount of data"  # code 1: "Please reduce the amount of data you're ..."
# The whole insights request was cancelled because of one of the metrics it asked for.
METRIC_CANCELLED_SUBCODE = 2207086
CHECKPOINT_SUBCODE = 459
# What api.instagram.com answers to an id that is not an Instagram app's (most often the Meta app's
# id sent on the Instagram Login path): {"error_type": "OAuthException", "code": 400,
# "error_message": "Invalid platform app"}. Meta gives no other signal than this text.
INVALID_PLATFORM_APP = "invalid platform app"
# A wrong app secret in a token exchange: code 1 on graph.facebook.com, 100 or 400 elsewhere, so
# only the text tells it apart (tests/meta_answers.py: fb-bad-client-secret, ig-bad-client-secret).
BAD_CLIENT_SECRET = "error validating client secret"


class MetaApiError(IgconnectError):
    """An error answer from Meta's API."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        error_type: str | None = None,
        fbtrace_id: str | None = None,
        user_title: str | None = None,
        user_message: str | None = None,
        is_transient: bool = False,
        bad_client_secret: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(redact(message), hint=hint)
        self.bad_client_secret = bad_client_secret  # Meta refused the app secret
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.error_type = error_type
        self.fbtrace_id = fbtrace_id
        self.user_title = user_title
        self.user_message = user_message
        self.is_transient = is_transient

    @property
    def meta_message(self) -> str:
        """Meta's own message, with the code: the evidence doctor shows."""
        parts = [f"code {self.code}"] if self.code is not None else []
        if self.subcode:
            parts.append(f"subcode {self.subcode}")
        suffix = f" ({', '.join(parts)})" if parts else ""
        return f"{self.message}{suffix}"


class TokenDead(MetaApiError):
    """Code 190: the token no longer works."""

    exit_code = ExitCode.AUTH

    @property
    def may_recover(self) -> bool:
        """459 (a security checkpoint) is reported to end once the user clears it on facebook.com:
        worth checking again before calling the connection broken for good."""
        return self.subcode == CHECKPOINT_SUBCODE

    @property
    def reason(self) -> str:
        if self.subcode in TOKEN_DEAD_REASONS:
            return TOKEN_DEAD_REASONS[self.subcode]
        return "Meta no longer accepts the token"


class PermissionMissing(MetaApiError):
    """Codes 10 and 200-299 (but not 'Not enough viewers'): a permission is missing."""

    exit_code = ExitCode.AUTH


class NotEnoughViewers(MetaApiError):
    """Code 10 'Not enough viewers': a story under 5 viewers; never retried, not a permission issue."""


class Throttled(MetaApiError):
    """A rate limit: the caller must pause for `wait_seconds`, never retry blindly."""

    exit_code = ExitCode.RATE_LIMITED

    def __init__(self, message: str, *, wait_seconds: float, scope: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.wait_seconds = wait_seconds
        self.scope = scope


class BadParameter(MetaApiError):
    """Code 100: a bad parameter; subcode 33 means the object is missing or not reachable."""

    @property
    def object_missing(self) -> bool:
        return self.subcode == 33


class RequestTooLarge(MetaApiError):
    """Code 1 "Please reduce the amount of data you're asking for": the same request will fail
    again; a smaller one (a smaller page, fewer fields, no field expansion) may not."""


class MetricRejected(MetaApiError):
    """The whole request was cancelled because of one metric it asked for (subcode 2207086)."""


class InvalidPlatformApp(MetaApiError):
    """Instagram Login was asked with an id that is not an Instagram app's (see meta_app.py)."""

    exit_code = ExitCode.CONFIG


class TransientError(MetaApiError):
    """Codes 1 and 2, `is_transient`, or a 5xx answer: worth retrying with backoff."""

    exit_code = ExitCode.NETWORK


class MetaUnreachable(NetworkError):
    """No answer at all: DNS, connection refused, timeout, dropped connection."""


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def error_from_body(
    http_status: int,
    body: Any,
    *,
    regain_minutes: float = 0.0,
    reconnect_hint: str | None = None,
) -> MetaApiError:
    """Map an error answer (Graph's `{"error": {...}}` or Instagram's flat form) to a typed error."""
    err: Mapping[str, Any] = {}
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            err = inner
        elif "error_type" in body or "error_message" in body:  # api.instagram.com's shape
            err = {
                "message": body.get("error_message"),
                "type": body.get("error_type"),
                "code": body.get("code"),
            }
        elif isinstance(inner, str):  # OAuth's {"error": "...", "error_description": "..."}
            err = {"message": body.get("error_description") or inner, "type": inner}
    message = str(err.get("message") or f"Meta answered HTTP {http_status}")
    code = _as_int(err.get("code"))
    subcode = _as_int(err.get("error_subcode"))
    details: dict[str, Any] = {
        "code": code,
        "subcode": subcode,
        "http_status": http_status,
        "error_type": err.get("type"),
        "fbtrace_id": err.get("fbtrace_id"),
        "user_title": err.get("error_user_title"),
        "user_message": err.get("error_user_msg"),
        "is_transient": bool(err.get("is_transient")),
        "bad_client_secret": BAD_CLIENT_SECRET in message.lower(),
    }
    if code == 190:
        return TokenDead(message, hint=reconnect_hint, **details)
    if INVALID_PLATFORM_APP in message.lower():
        return InvalidPlatformApp(message, **details)
    if code == 10 and NOT_ENOUGH_VIEWERS in message.lower():
        return NotEnoughViewers(message, **details)
    if code == 1 and REDUCE_DATA in message.lower():
        return RequestTooLarge(message, **details)
    if subcode == METRIC_CANCELLED_SUBCODE:
        return MetricRejected(message, **details)
    if code in THROTTLE_CODES:
        scope = THROTTLE_CODES[code]
        wait = regain_minutes * 60 if regain_minutes > 0 else DEFAULT_THROTTLE_WAIT[scope]
        hint = (
            f"Meta temporarily blocked these calls for going too fast; igconnect will not call "
            f"again for {_minutes(wait)}"
            if scope == "blocked"
            else f"Meta throttled this {scope}; try again in {_minutes(wait)}"
        )
        return Throttled(message, wait_seconds=wait, scope=scope, hint=hint, **details)
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionMissing(message, hint=reconnect_hint, **details)
    if code in (1, 2) or details["is_transient"] or http_status >= 500:
        return TransientError(message, **details)
    if code == 100:
        return BadParameter(message, **details)
    return MetaApiError(message, **details)


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"

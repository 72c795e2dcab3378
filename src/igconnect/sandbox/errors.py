"""Meta's error bodies, with the codes, subcodes and messages of the reference."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from datetime import UTC, datetime
from typing import Any

_trace = itertools.count(1)

UNSUPPORTED_GET = (
    "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation. Please read the Graph API "
    "documentation at https://developers.facebook.com/docs/graph-api"
)
NO_PERMISSION = "(#10) Application does not have permission for this action"
NOT_ENOUGH_VIEWERS = "(#10) Not enough viewers for the media to show insights"
BAD_PROOF = "Invalid appsecret_proof provided in the API argument"
CANNOT_PARSE = "Invalid OAuth access token - Cannot parse access token"
REDIRECT_MISMATCH = (
    "Error validating verification code. Please make sure your redirect_uri is identical to "
    "the one you used in the OAuth dialog request"
)


def fbtrace_id() -> str:
    raw = hashlib.blake2b(str(next(_trace)).encode(), digest_size=8).digest()
    return base64.b64encode(raw).decode().rstrip("=")


class MetaError(Exception):
    """An error answer in Graph API shape."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        status: int = 400,
        user_title: str | None = None,
        user_msg: str | None = None,
        transient: bool = False,
        type_: str = "OAuthException",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.status = status
        self.user_title = user_title
        self.user_msg = user_msg
        self.transient = transient
        self.type = type_
        self.headers: list[tuple[str, str]] = []  # sent with the error (rate-limit usage)

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err["is_transient"] = self.transient
        if self.user_title is not None:
            err["error_user_title"] = self.user_title
        if self.user_msg is not None:
            err["error_user_msg"] = self.user_msg
        err["fbtrace_id"] = fbtrace_id()
        return {"error": err}

    def to_json(self) -> bytes:
        return json.dumps(self.body()).encode()


class DropConnection(Exception):
    """Close the socket without answering (after the request had its effect)."""


class InstagramApiError(Exception):
    """api.instagram.com's own error shape: {error_type, code, error_message}."""

    def __init__(self, message: str, *, error_type: str = "OAuthException", code: int = 400):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.code = code

    def to_json(self) -> bytes:
        body = {"error_type": self.error_type, "code": self.code, "error_message": self.message}
        return json.dumps(body).encode()


def _pst(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")


def _session_expired(message: str, subcode: int) -> MetaError:
    return MetaError(
        190,
        message,
        subcode=subcode,
        user_title="Session expired",
        user_msg="Your session has expired. Please log in again.",
    )


def token_error(
    subcode: int | None, *, app_id: str, expired_at: float = 0, now: float = 0
) -> MetaError:
    """The 190 family: a dead token, with the user-facing texts Meta sends."""
    if subcode == 460:
        return _session_expired(
            "Error validating access token: The session has been invalidated because the user "
            "changed their password or Facebook has changed the session for security reasons.",
            460,
        )
    if subcode == 463:
        return _session_expired(
            f"Error validating access token: Session has expired on {_pst(expired_at)}. "
            f"The current time is {_pst(now)}.",
            463,
        )
    if subcode == 458:
        return MetaError(
            190,
            f"Error validating access token: The user has not authorized application {app_id}.",
            subcode=458,
            user_title="App not authorized",
            user_msg="You have not authorized this app. Please log in again.",
        )
    if subcode == 459:
        return MetaError(
            190,
            "Error validating access token: You cannot access the app till you log in to "
            "www.facebook.com and follow the instructions given.",
            subcode=459,
        )
    if subcode == 464:
        return MetaError(
            190,
            "Error validating access token: Sessions for the user  are not allowed because the "
            "user is not a confirmed user.",
            subcode=464,
        )
    if subcode == 492:
        return MetaError(
            190,
            "The user must be an administrator, editor, or moderator of the page in order to "
            "impersonate it. If the page business requires Two Factor Authentication, the user "
            "also needs to enable Two Factor Authentication.",
            subcode=492,
        )
    if subcode == 467:
        return MetaError(
            190,
            "Error validating access token: The session is invalid because the user logged out.",
            subcode=467,
        )
    return MetaError(190, CANNOT_PARSE)


def unknown_path(path: str) -> MetaError:
    return MetaError(2500, f"Unknown path components: {path}")


def unsupported_get(obj_id: str, method: str = "get") -> MetaError:
    msg = UNSUPPORTED_GET.format(id=obj_id).replace("Unsupported get", f"Unsupported {method}")
    return MetaError(100, msg, subcode=33)


def throttled_account() -> MetaError:
    return MetaError(
        80002,
        "(#80002) There have been too many calls to this Instagram account. Wait a bit and try "
        "again. For more info, please refer to "
        "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        subcode=2446079,
        transient=True,
        status=400,
    )


def throttled_app() -> MetaError:
    return MetaError(4, "(#4) Application request limit reached", transient=True, status=403)


def throttled_user() -> MetaError:
    return MetaError(
        17, "(#17) User request limit reached", subcode=2446079, transient=True, status=403
    )


def server_error(status: int) -> MetaError:
    if status == 503:
        return MetaError(
            2,
            "An unexpected error has occurred. Please retry your request later.",
            transient=True,
            status=503,
        )
    return MetaError(1, "An unknown error occurred", subcode=99, transient=True, status=500)


def reduce_data() -> MetaError:
    """Code 1, but not transient: the same request fails again; a smaller one works."""
    return MetaError(
        1,
        "Please reduce the amount of data you're asking for, then retry your request",
        status=500,
    )


def policy_blocked() -> MetaError:
    msg = (
        "It looks like you were misusing this feature by going too fast. "
        "You\u2019ve been temporarily blocked from using it."
    )
    return MetaError(
        368,
        msg,
        subcode=1390008,
        status=403,
        transient=True,
        user_title="You\u2019re Temporarily Blocked",
        user_msg=msg,
    )


def metric_cancelled() -> MetaError:
    """Meta's whole-request cancel when one metric does not apply (recorded as `Fatal`)."""
    return MetaError(-1, "Fatal", subcode=2207086)


def metric_forbidden() -> MetaError:
    return MetaError(200, "(#200) Permissions error", status=403)


def throttled_page() -> MetaError:
    return MetaError(32, "(#32) Page request limit reached", transient=True, status=403)


def throttled_custom() -> MetaError:
    return MetaError(613, "(#613) Calls to this api have exceeded the rate limit.", status=400)


def discovery_not_found() -> MetaError:
    """Business discovery of a username that is not a public professional account."""
    return MetaError(110, "Invalid user id", subcode=2207013)


def batch_too_big(most: int) -> MetaError:
    return MetaError(
        1,
        f"Too many requests in batch message. Maximum batch size is {most}",
        type_="GraphBatchException",
    )

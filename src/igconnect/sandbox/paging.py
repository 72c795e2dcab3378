"""Cursor paging of Graph API listings: opaque cursors, `limit`, and the `paging` object."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from .call import Call
from .errors import MetaError


def cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def uncursor(text: str) -> int:
    try:
        pad = "=" * (-len(text) % 4)
        return int(base64.urlsafe_b64decode(text + pad).decode())
    except ValueError as exc:
        raise MetaError(100, "(#100) Invalid cursor", subcode=None) from exc


def limit_param(params: dict[str, str], default: int, most: int) -> int:
    try:
        n = int(params.get("limit", default))
    except ValueError as exc:
        raise MetaError(100, "(#100) Param limit must be a number") from exc
    return max(1, min(n, most))


def listing(
    call: Call, path: str, data: list[Any], span: tuple[int, int] | None, more: bool
) -> dict[str, Any]:
    """`{"data": ..., "paging": ...}`; `span` is the (first, last) position shown, None if empty.

    Meta leaves `paging` out of an empty page, and `next` out of the last one.
    """
    out: dict[str, Any] = {"data": data}
    if span is not None:
        first, last = span
        paging: dict[str, Any] = {"cursors": {"before": cursor(first), "after": cursor(last)}}
        if more:
            paging["next"] = next_url(call, path, after=cursor(last))
        out["paging"] = paging
    return out


def next_url(call: Call, path: str, *, after: str) -> str:
    prefix = "/graph" if call.host == "graph" else "/ig-graph"
    q = {k: v for k, v in call.params.items() if k not in ("after", "before", "access_token")}
    q["access_token"] = call.token_value
    q["after"] = after
    q.setdefault("limit", "25")
    return f"{call.base_url}{prefix}/{call.version}/{path}?{urlencode(q)}"

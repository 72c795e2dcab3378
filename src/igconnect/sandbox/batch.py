"""Batch requests: `POST /` with `batch=[...]`, each item answered as its own call would be."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .call import Call
from .config import VERSION_RE
from .errors import MetaError

MAX_BATCH = 50

# (method, host, path, params, headers) -> (body, extra headers): the API's own dispatcher.
Dispatch = Callable[
    [str, str, str, dict[str, str], dict[str, str]], tuple[Any, list[tuple[str, str]]]
]


def batch(call: Call, params: dict[str, str], dispatch: Dispatch) -> list[Any]:
    try:
        items = json.loads(params.get("batch", ""))
        assert isinstance(items, list)
    except (ValueError, AssertionError) as exc:
        raise MetaError(100, "(#100) The parameter batch is required") from exc
    if len(items) > MAX_BATCH:
        raise MetaError(
            100, f"(#100) Too many requests in batch message. Maximum batch size is {MAX_BATCH}"
        )
    out: list[Any] = []
    for item in items:
        method = str(item.get("method", "GET")).upper()
        url = urlsplit(str(item.get("relative_url", "")))
        sub = dict(parse_qsl(url.query, keep_blank_values=True))
        if "body" in item and isinstance(item["body"], str):
            sub.update(parse_qsl(item["body"]))
        # Items inherit the batch's token and version unless they name their own.
        sub.setdefault("access_token", call.token_value)
        path = url.path.strip("/")
        if not VERSION_RE.match(path.split("/")[0]):
            path = f"{call.version}/{path}"
        try:
            body, extra = dispatch(method, "graph", "/" + path, sub, {})
            code = 200
        except MetaError as err:
            body, extra, code = err.body(), err.headers, err.status
        hdrs = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
        hdrs += [{"name": n, "value": v} for n, v in extra]
        out.append({"code": code, "headers": hdrs, "body": json.dumps(body)})
    return out

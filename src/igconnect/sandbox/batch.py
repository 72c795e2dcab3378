"""Batch requests: `POST /` with `batch=[...]`, each item answered as its own call would be.

Each item is dispatched exactly like a request of its own (same checks, same budgets), with the
batch's token unless the item names one; an item that fails answers its error in its `body`, the
others are unaffected. `batch-timeout` makes every Nth item `null`, as Meta does for items it gave
up on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import errors as E
from .call import Call
from .config import VERSION_RE
from .errors import DropConnection, MetaError

MAX_BATCH = 50
BATCH_TIMEOUT_EVERY = 3

# (method, host, path, params, headers) -> (body, extra headers): the API's own dispatcher.
Dispatch = Callable[
    [str, str, str, dict[str, str], dict[str, str]], tuple[Any, list[tuple[str, str]]]
]


def batch(call: Call, params: dict[str, str], dispatch: Dispatch) -> list[Any]:
    try:
        items = json.loads(params.get("batch", ""))
        assert isinstance(items, list) and all(isinstance(i, dict) for i in items)
    except (ValueError, AssertionError) as exc:
        raise MetaError(100, "(#100) The parameter batch is required") from exc
    if len(items) > MAX_BATCH:
        raise E.batch_too_big(MAX_BATCH)
    headers_too = params.get("include_headers", "true").lower() != "false"
    every = call.state.arg("batch-timeout", None, BATCH_TIMEOUT_EVERY)
    out: list[Any] = []
    for n, item in enumerate(items, 1):
        if every and n % max(1, every) == 0:
            out.append(None)  # timed out: Meta answers null and does not run the item
            continue
        out.append(_one(call, item, dispatch, headers_too))
    return out


def _one(call: Call, item: dict[str, Any], dispatch: Dispatch, headers_too: bool) -> Any:
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
    except DropConnection:
        return None
    answer: dict[str, Any] = {"code": code}
    if headers_too:
        hdrs = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
        answer["headers"] = hdrs + [{"name": n, "value": v} for n, v in extra]
    answer["body"] = json.dumps(body)
    return answer

"""graph.facebook.com and graph.instagram.com: parse the path, authenticate, route to an endpoint.

The endpoints live in their own modules: `nodes` (users, Pages, accounts, hashtags), `media`
(stories and posts), `insights`, `batch` and `tokens`; `access` and `throttle` guard every call.
"""

from __future__ import annotations

import json
from typing import Any

from . import errors as E
from .access import authenticate, need_account, visible_pages
from .batch import batch
from .call import Call
from .config import SUPPORTED_VERSIONS, VERSION_RE
from .discovery import wants_discovery
from .errors import DropConnection, MetaError
from .hashtags import hashtag_node, hashtag_search, is_hashtag_id
from .http import Request, Response
from .insights import insights
from .media import media, media_node, stories
from .nodes import (
    fb_me,
    ig_me,
    ig_user,
    me_accounts,
    me_permissions,
    page_node,
    revoke,
)
from .oauth import fb_exchange
from .state import State, Token
from .throttle import app_usage_header, throttle
from .tokens import debug_token, ig_token_endpoint
from .world import IgAccount, split_media_id

JSON = "application/json; charset=UTF-8"
IG_TOKEN_ENDPOINTS = ("access_token", "refresh_access_token")
Headers = list[tuple[str, str]]


class GraphApi:
    def __init__(self, state: State, base_url: str) -> None:
        self.s = state
        self.base_url = base_url

    def handle(self, req: Request, host: str, rest: str) -> Response:
        """`rest` is the path after the host prefix, e.g. `/v25.0/me/accounts`."""
        params = req.params()
        try:
            body, extra = self.dispatch(req.method, host, rest, params, req.headers)
            return self._answer(200, body, extra)
        except MetaError as err:
            return self._answer(err.status, err.body(), err.headers)
        except DropConnection:
            return Response(drop=True)

    def _answer(self, status: int, body: Any, extra: Headers) -> Response:
        headers = [
            ("X-App-Usage", app_usage_header(self.s)),
            ("X-FB-Trace-ID", E.fbtrace_id()),
            ("Cache-Control", "private, no-cache, no-store, must-revalidate"),
            *extra,
        ]
        data = json.dumps(body, separators=(",", ":")).encode()
        return Response(status, data, headers, JSON)

    def dispatch(
        self,
        method: str,
        host: str,
        rest: str,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[Any, Headers]:
        """One call (also each item of a batch): its answer body and extra headers."""
        parts = [p for p in rest.split("/") if p]
        if not (host == "graph" and method == "POST" and len(parts) == 1 and "batch" in params):
            self.s.api_calls += 1  # a batch envelope is one round trip, its items the calls
        if host == "ig-graph" and parts:
            # Instagram's token endpoints answer with or without a version.
            if parts[0] in IG_TOKEN_ENDPOINTS:
                return ig_token_endpoint(self.s, parts[0], params), []
            if len(parts) == 2 and VERSION_RE.match(parts[0]) and parts[1] in IG_TOKEN_ENDPOINTS:
                return ig_token_endpoint(self.s, parts[1], params), []
        if not parts or not VERSION_RE.match(parts[0]) or parts[0] not in SUPPORTED_VERSIONS:
            raise E.unknown_path(
                "/" + "/".join(parts if not parts or not VERSION_RE.match(parts[0]) else parts[1:])
            )
        call = Call(self.s, self.base_url, host, parts[0], params)
        path = parts[1:]
        if host == "graph" and path == ["oauth", "access_token"]:
            return fb_exchange(self.s, params), []
        if host == "graph" and path == ["debug_token"]:
            return debug_token(self.s, params, headers), []
        authenticate(call, params, headers)
        if host == "graph" and not path and method == "POST":
            return batch(call, params, self.dispatch), []
        if not path:
            raise E.unknown_path("/")
        acct = self._target_account(path[0], call)
        # Business discovery counts against the platform limit, not the account's use case.
        call.account = None if wants_discovery(params) else acct
        extra = throttle(call)
        call.account = acct
        return self.route(call, method, path), extra

    def _target_account(self, seg: str, call: Call) -> IgAccount | None:
        """The Instagram account a path segment names: `me`, an account id, or a media id."""
        w = self.s.world
        if seg == "me" and call.provider == "instagram" and call.token:
            return w.accounts.get(call.token.user_id)
        if seg in w.accounts:
            return w.accounts[seg]
        parts = split_media_id(seg)
        if parts is not None:
            return w.accounts.get(w._ig_id(parts[0]))
        return None

    def route(self, call: Call, method: str, path: list[str]) -> Any:
        head, edge = path[0], (path[1] if len(path) > 1 else None)
        if len(path) > 2:
            raise E.unknown_path("/" + "/".join(path))
        if method == "DELETE":
            if head == "me" and edge == "permissions" and call.provider == "facebook":
                return revoke(call)
            raise E.unsupported_get(head, "delete")
        if method not in ("GET", "POST"):
            raise E.unsupported_get(head, method.lower())
        token = call.user_token
        if head == "me":
            if call.provider == "instagram":
                if edge is None:
                    return ig_me(call)
                head = token.user_id  # the edges of /me are the account's own
            else:
                return self._fb_me_edge(call, edge)
        if head == "ig_hashtag_search" and edge is None and call.provider == "facebook":
            return hashtag_search(call)
        if is_hashtag_id(head) and call.provider == "facebook":
            return hashtag_node(call, head, edge)
        w = self.s.world
        if head in w.accounts:
            if edge is None:
                return ig_user(call, head)
            if edge == "stories":
                return stories(call, head)
            if edge == "media":
                return media(call, head)
            raise E.unknown_path(f"/{head}/{edge}")
        if split_media_id(head) is not None:  # a story, or a post
            now = self.s.now()
            item = w.story(head, now) if head.startswith("179") else w.post(head, now)
            if item is None:
                raise E.unsupported_get(head)
            acct = need_account(call, head)
            if edge is None:
                return media_node(call, item, call.fields("id"))
            if edge == "insights":
                metric, breakdown = call.params.get("metric"), call.params.get("breakdown")
                return {"data": insights(call, acct, item, metric, breakdown)}
            raise E.unknown_path(f"/{head}/{edge}")
        if call.provider == "facebook" and edge is None:
            if head in w.pages:
                return self._page(call, token, head)
            if head in w.users:
                if head != token.user_id:
                    raise E.unsupported_get(head)
                return fb_me(call)
        raise E.unsupported_get(head)

    def _fb_me_edge(self, call: Call, edge: str | None) -> Any:
        if edge is None:
            return fb_me(call)
        if edge == "accounts":
            return me_accounts(call)
        if edge == "permissions":
            return me_permissions(call)
        raise E.unknown_path(f"/me/{edge}")

    def _page(self, call: Call, token: Token, page_id: str) -> Any:
        if page_id not in visible_pages(call, token):
            raise E.unsupported_get(page_id)
        return page_node(call, page_id, call.fields("id", "name"))

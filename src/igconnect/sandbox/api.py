"""graph.facebook.com and graph.instagram.com: nodes, edges, insights, batch, debug_token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import errors as E
from .errors import MetaError
from .fields import Field, parse_fields
from .http import Request, Response
from .state import BASIC_SCOPE, INSIGHTS_SCOPE, LONG_LIVED, State, Token
from .world import (
    BREAKDOWN_METRICS,
    FACEBOOK_ONLY_METRICS,
    METRIC_TEXT,
    POST_METRICS,
    STORY_METRICS,
    IgAccount,
    Post,
    Story,
    h,
)

VERSION_RE = re.compile(r"^v\d+\.\d+$")
JSON = "application/json; charset=UTF-8"
STORY_FIELDS = {
    "id",
    "media_type",
    "media_product_type",
    "permalink",
    "timestamp",
    "media_url",
    "thumbnail_url",
    "username",
    "owner",
    "caption",
    "shortcode",
    "ig_id",
}
POST_FIELDS = STORY_FIELDS | {"like_count", "comments_count"}
IG_USER_FIELDS = {
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "website",
    "followers_count",
    "follows_count",
    "media_count",
    "profile_picture_url",
}
ME_IG_FIELDS = IG_USER_FIELDS | {"user_id", "account_type"}
USER_FIELDS = {"id", "name", "email", "first_name", "last_name", "short_name"}
PAGE_FIELDS = {"id", "name", "tasks", "access_token", "instagram_business_account", "category"}


class Ctx:
    """One API call: which host, version, token, account touched."""

    def __init__(self, host: str, version: str, params: dict[str, str]) -> None:
        self.host = host  # "graph" | "ig-graph"
        self.version = version
        self.params = params
        self.token: Token | None = None
        self.account: IgAccount | None = None
        self.token_value = ""

    @property
    def provider(self) -> str:
        return "facebook" if self.host == "graph" else "instagram"


def _cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def _uncursor(text: str) -> int:
    try:
        pad = "=" * (-len(text) % 4)
        return int(base64.urlsafe_b64decode(text + pad).decode())
    except ValueError as exc:
        raise MetaError(100, "(#100) Invalid cursor", subcode=None) from exc


class GraphApi:
    def __init__(self, state: State, base_url: str) -> None:
        self.s = state
        self.base_url = base_url

    # -- entry ------------------------------------------------------------------------------

    def handle(self, req: Request, host: str, rest: str) -> Response:
        """`rest` is the path after the host prefix, e.g. `/v25.0/me/accounts`."""
        params = req.params()
        try:
            body, extra = self.dispatch(req.method, host, rest, params, req.headers)
            return self._answer(200, body, extra)
        except MetaError as err:
            return self._answer(err.status, err.body(), getattr(err, "headers", []))

    def _answer(self, status: int, body: Any, extra: list[tuple[str, str]]) -> Response:
        headers = [
            ("X-App-Usage", self._app_usage_header()),
            ("X-FB-Trace-ID", E.fbtrace_id()),
            ("Cache-Control", "private, no-cache, no-store, must-revalidate"),
            *extra,
        ]
        data = json.dumps(body, separators=(",", ":")).encode()
        return Response(status, data, headers, JSON)

    def _app_usage_header(self) -> str:
        pct = 100 if self.s.on_any("app-throttled") else min(100, self.s.app_usage())
        return json.dumps({"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2})

    def dispatch(
        self,
        method: str,
        host: str,
        rest: str,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[Any, list[tuple[str, str]]]:
        parts = [p for p in rest.split("/") if p]
        if host == "ig-graph" and parts and parts[0] in ("access_token", "refresh_access_token"):
            return self.ig_token_endpoint(parts[0], params), []
        if (
            host == "ig-graph"
            and len(parts) == 2
            and VERSION_RE.match(parts[0])
            and parts[1] in ("access_token", "refresh_access_token")
        ):
            return self.ig_token_endpoint(parts[1], params), []
        if not parts or not VERSION_RE.match(parts[0]) or parts[0] not in _versions():
            raise E.unknown_path(
                "/" + "/".join(parts if not parts or not VERSION_RE.match(parts[0]) else parts[1:])
            )
        ctx = Ctx(host, parts[0], params)
        path = parts[1:]
        if host == "graph" and path == ["oauth", "access_token"]:
            from .oauth import fb_exchange

            return fb_exchange(self.s, params), []
        if host == "graph" and path == ["debug_token"]:
            return self.debug_token(params, headers), []
        self.authenticate(ctx, params, headers)
        if host == "graph" and not path and method == "POST":
            return self.batch(ctx, params), []
        if not path:
            raise E.unknown_path("/")
        ctx.account = self._target_account(path[0], ctx)
        extra = self.throttle(ctx)
        return self.route(ctx, method, path), extra

    # -- auth -------------------------------------------------------------------------------

    def _token_from(self, params: dict[str, str], headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("oauth", "bearer") and value.strip():
            return value.strip()
        return params.get("access_token", "")

    def authenticate(self, ctx: Ctx, params: dict[str, str], headers: dict[str, str]) -> Token:
        value = self._token_from(params, headers)
        if not value:
            raise MetaError(104, "An access token is required to request this resource.")
        ctx.token_value = value
        proof = params.get("appsecret_proof")
        if proof is not None:
            secret = self.s.cfg.app_secret.encode()
            t = params.get("appsecret_time")
            msg = f"{value}|{t}" if t else value
            want = hmac.new(secret, msg.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(want, proof.lower()):
                raise MetaError(100, E.BAD_PROOF)
        token = self.s.tokens.get(value)
        if token is None:
            if value == f"{self.s.cfg.app_id}|{self.s.cfg.app_secret}":
                raise MetaError(
                    2500,
                    "An active access token must be used to query information about the "
                    "current user.",
                )
            raise MetaError(190, E.CANNOT_PARSE)
        if token.provider != ctx.provider:
            raise MetaError(190, E.CANNOT_PARSE)
        sub = self.s.killer(token)
        if sub is not None:
            raise E.token_error(
                sub, app_id=self.s.cfg.app_id, expired_at=token.expires_at, now=self.s.now()
            )
        ctx.token = token
        return token

    # -- throttling ---------------------------------------------------------------------------

    def throttle(self, ctx: Ctx) -> list[tuple[str, str]]:
        s = self.s
        pct = s.count_app()
        assert ctx.token is not None
        if s.on_any("app-throttled") or pct > 100:
            raise E.throttled_app()
        if s.user_scenario("user-throttled", ctx.token):
            raise E.throttled_user()
        acct = ctx.account
        if acct is None:
            return []
        apct, minutes = s.count_account(acct.id)
        until = s.throttled_until(acct.username)
        if until is not None:
            apct, minutes = max(apct, 100), int((until - s.now()) // 60) + 1
        usage = {
            acct.id: [
                {
                    "type": "instagram",
                    "call_count": min(apct, 100),
                    "total_cputime": min(apct, 100) // 2,
                    "total_time": min(apct, 100) // 2,
                    "estimated_time_to_regain_access": minutes,
                }
            ]
        }
        header = [("X-Business-Use-Case-Usage", json.dumps(usage))]
        if apct >= 100 and minutes:
            err = E.throttled_account()
            err.headers = header  # type: ignore[attr-defined]
            raise err
        return header

    def _target_account(self, seg: str, ctx: Ctx) -> IgAccount | None:
        w = self.s.world
        if seg == "me" and ctx.provider == "instagram" and ctx.token:
            return w.accounts.get(ctx.token.user_id)
        if seg in w.accounts:
            return w.accounts[seg]
        if len(seg) == 17 and seg[:3] in ("179", "178") and seg.isdigit():
            return w.accounts.get(w._ig_id(int(seg[3:7])))
        return None

    # -- access -----------------------------------------------------------------------------

    def visible_pages(self, token: Token) -> list[str]:
        user = self.s.world.users.get(token.user_id)
        if user is None or token.provider != "facebook":
            return []
        return [p for p in user.page_ids if token.pages is None or p in token.pages]

    def reachable(self, ctx: Ctx, acct: IgAccount) -> bool:
        token = ctx.token
        assert token is not None
        if token.provider == "instagram":
            return token.user_id == acct.id
        w = self.s.world
        for pid in self.visible_pages(token):
            page = w.pages.get(pid)
            if page and page.ig_id == acct.id and page.link_confirmed:
                return True
        return False

    def need_account(self, ctx: Ctx, obj_id: str) -> IgAccount:
        acct = ctx.account
        if acct is None or not self.reachable(ctx, acct):
            raise E.unsupported_get(obj_id)
        return acct

    def need_scope(self, ctx: Ctx, scope: str, acct: IgAccount | None = None) -> None:
        token = ctx.token
        assert token is not None
        if scope not in token.scopes:
            raise MetaError(10, E.NO_PERMISSION)
        if acct is not None and acct.id in token.excluded.get(scope, frozenset()):
            raise MetaError(10, E.NO_PERMISSION)

    # -- routing ----------------------------------------------------------------------------

    def route(self, ctx: Ctx, method: str, path: list[str]) -> Any:
        head, edge = path[0], (path[1] if len(path) > 1 else None)
        if len(path) > 2:
            raise E.unknown_path("/" + "/".join(path))
        if method == "DELETE":
            if head == "me" and edge == "permissions" and ctx.provider == "facebook":
                return self.revoke(ctx)
            raise E.unsupported_get(head, "delete")
        if method not in ("GET", "POST"):
            raise E.unsupported_get(head, method.lower())
        if head == "me":
            if ctx.provider == "instagram":
                if edge is None:
                    return self.ig_me(ctx)
                head = ctx.token.user_id  # type: ignore[union-attr]
            else:
                if edge is None:
                    return self.fb_me(ctx)
                if edge == "accounts":
                    return self.me_accounts(ctx)
                if edge == "permissions":
                    return self.me_permissions(ctx)
                raise E.unknown_path(f"/me/{edge}")
        if head == "ig_hashtag_search" and edge is None and ctx.provider == "facebook":
            return self.hashtag_search(ctx)
        w = self.s.world
        now = self.s.now()
        if head in w.accounts:
            if edge is None:
                return self.ig_user(ctx, head)
            if edge == "stories":
                return self.stories(ctx, head)
            if edge == "media":
                return self.media(ctx, head)
            raise E.unknown_path(f"/{head}/{edge}")
        if head.startswith("179"):
            story = w.story(head, now)
            if story is None:
                raise E.unsupported_get(head)
            acct = self.need_account(ctx, head)
            if edge is None:
                return self.media_node(
                    ctx, story, parse_fields(ctx.params.get("fields")) or [Field("id")]
                )
            if edge == "insights":
                return {
                    "data": self.insights(
                        ctx, acct, story, ctx.params.get("metric"), ctx.params.get("breakdown")
                    )
                }
            raise E.unknown_path(f"/{head}/{edge}")
        if head.startswith("178"):
            post = w.post(head, now)
            if post is None:
                raise E.unsupported_get(head)
            acct = self.need_account(ctx, head)
            if edge is None:
                return self.media_node(
                    ctx, post, parse_fields(ctx.params.get("fields")) or [Field("id")]
                )
            if edge == "insights":
                return {
                    "data": self.insights(
                        ctx, acct, post, ctx.params.get("metric"), ctx.params.get("breakdown")
                    )
                }
            raise E.unknown_path(f"/{head}/{edge}")
        if head in w.pages and ctx.provider == "facebook" and edge is None:
            if head not in self.visible_pages(ctx.token):  # type: ignore[arg-type]
                raise E.unsupported_get(head)
            return self.page_node(
                ctx, head, parse_fields(ctx.params.get("fields")) or [Field("id"), Field("name")]
            )
        if head in w.users and ctx.provider == "facebook" and edge is None:
            if head != ctx.token.user_id:  # type: ignore[union-attr]
                raise E.unsupported_get(head)
            return self.fb_me(ctx)
        raise E.unsupported_get(head)

    # -- Facebook user ----------------------------------------------------------------------

    def fb_me(self, ctx: Ctx) -> dict[str, Any]:
        token = ctx.token
        assert token is not None
        if token.kind == "page":
            page = self.s.world.pages[token.page_id or ""]
            return {"id": page.id, "name": page.name}
        user = self.s.world.users[token.user_id]
        fields = parse_fields(ctx.params.get("fields")) or [Field("id"), Field("name")]
        out: dict[str, Any] = {}
        first, _, last = user.name.partition(" ")
        values = {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "first_name": first,
            "last_name": last,
            "short_name": first,
        }
        for f in fields:
            if f.name not in USER_FIELDS:
                raise _nonexisting(f.name, "User")
            out[f.name] = values[f.name]
        return out

    def me_permissions(self, ctx: Ctx) -> dict[str, Any]:
        token = ctx.token
        assert token is not None
        data = [{"permission": "public_profile", "status": "granted"}]
        data += [
            {"permission": p, "status": "granted"} for p in token.scopes if p != "public_profile"
        ]
        data += [{"permission": p, "status": "declined"} for p in token.declined]
        return {"data": data}

    def revoke(self, ctx: Ctx) -> dict[str, Any]:
        assert ctx.token is not None
        self.s.revoked.add(ctx.token.user_id)
        return {"success": True}

    def me_accounts(self, ctx: Ctx) -> dict[str, Any]:
        token = ctx.token
        assert token is not None
        pages = self.visible_pages(token) if "pages_show_list" in token.scopes else []
        fields = parse_fields(ctx.params.get("fields")) or [
            Field("id"),
            Field("name"),
            Field("tasks"),
            Field("access_token"),
            Field("category"),
        ]
        limit = _limit(ctx.params, 25, 100)
        start = _uncursor(ctx.params["after"]) + 1 if ctx.params.get("after") else 0
        chunk = pages[start : start + limit]
        data = [self.page_node(ctx, pid, fields) for pid in chunk]
        out: dict[str, Any] = {"data": data}
        if chunk:
            paging: dict[str, Any] = {
                "cursors": {"before": _cursor(start), "after": _cursor(start + len(chunk) - 1)}
            }
            if start + len(chunk) < len(pages):
                paging["next"] = self._next(
                    ctx, "me/accounts", after=_cursor(start + len(chunk) - 1)
                )
            out["paging"] = paging
        return out

    def page_node(self, ctx: Ctx, pid: str, fields: list[Field]) -> dict[str, Any]:
        w = self.s.world
        page = w.pages[pid]
        out: dict[str, Any] = {}
        for f in fields:
            if f.name not in PAGE_FIELDS:
                raise _nonexisting(f.name, "Page")
            if f.name == "instagram_business_account":
                if page.ig_id and page.link_confirmed and page.ig_id in w.accounts:
                    acct = w.accounts[page.ig_id]
                    out[f.name] = self.ig_fields(ctx, acct, f.sub or [Field("id")], "IGUser")
            elif f.name == "access_token":
                assert ctx.token is not None
                out[f.name] = self._page_token(ctx.token, pid)
            elif f.name == "tasks":
                out[f.name] = list(page.tasks)
            else:
                out[f.name] = getattr(page, f.name)
        return out

    def _page_token(self, token: Token, pid: str) -> str:
        for t in self.s.tokens.values():
            if t.kind == "page" and t.page_id == pid and t.user_id == token.user_id:
                return t.value
        return self.s.mint(
            token.user_id, "facebook", "page", token.scopes, pages=frozenset([pid]), page_id=pid
        ).value

    # -- Instagram user ---------------------------------------------------------------------

    def ig_fields(
        self, ctx: Ctx, acct: IgAccount, fields: list[Field], node: str
    ) -> dict[str, Any]:
        allowed = ME_IG_FIELDS if node == "User" else IG_USER_FIELDS
        values: dict[str, Any] = {
            "id": acct.app_scoped_id if node == "User" else acct.id,
            "user_id": acct.id,
            "ig_id": int(acct.id[-10:]),
            "username": acct.username,
            "name": acct.name,
            "biography": f"{acct.name}, a sandbox account.",
            "website": f"https://{acct.username.replace('_', '')}.example",
            "followers_count": acct.followers,
            "follows_count": acct.follows,
            "media_count": self.s.world.media_count(acct.id, self.s.now()),
            "profile_picture_url": f"https://scontent.sandbox.invalid/profile/{acct.id}.jpg",
            "account_type": acct.account_type,
        }
        out = {}
        for f in fields:
            if f.name not in allowed:
                raise _nonexisting(f.name, node)
            out[f.name] = values[f.name]
        return out

    def ig_user(self, ctx: Ctx, ig_id: str) -> dict[str, Any]:
        acct = self.need_account(ctx, ig_id)
        self.need_scope(ctx, BASIC_SCOPE[ctx.provider])
        fields = parse_fields(ctx.params.get("fields")) or [Field("id")]
        return self.ig_fields(ctx, acct, fields, "IGUser" if ctx.provider == "facebook" else "User")

    def ig_me(self, ctx: Ctx) -> dict[str, Any]:
        token = ctx.token
        assert token is not None
        acct = self.s.world.accounts[token.user_id]
        self.need_scope(ctx, BASIC_SCOPE["instagram"])
        fields = parse_fields(ctx.params.get("fields")) or [Field("id"), Field("username")]
        return self.ig_fields(ctx, acct, fields, "User")

    # -- stories, media, insights -----------------------------------------------------------

    def stories(self, ctx: Ctx, ig_id: str) -> dict[str, Any]:
        acct = self.need_account(ctx, ig_id)
        self.need_scope(ctx, BASIC_SCOPE[ctx.provider])
        if not acct.professional:
            raise MetaError(10, E.NO_PERMISSION)
        fields = parse_fields(ctx.params.get("fields")) or [Field("id")]
        now = self.s.now()
        live = self.s.world.stories(ig_id, now)
        limit = _limit(ctx.params, 25, 100)
        if ctx.params.get("after"):
            k = _uncursor(ctx.params["after"])
            live = [s for s in live if s.k < k]
        chunk = live[:limit]
        data = [self.media_node(ctx, s, fields) for s in chunk]
        out: dict[str, Any] = {"data": data}
        if chunk:
            paging: dict[str, Any] = {
                "cursors": {"before": _cursor(chunk[0].k), "after": _cursor(chunk[-1].k)}
            }
            if len(live) > limit:
                paging["next"] = self._next(ctx, f"{ig_id}/stories", after=_cursor(chunk[-1].k))
            out["paging"] = paging
        return out

    def media(self, ctx: Ctx, ig_id: str) -> dict[str, Any]:
        acct = self.need_account(ctx, ig_id)
        self.need_scope(ctx, BASIC_SCOPE[ctx.provider])
        fields = parse_fields(ctx.params.get("fields")) or [Field("id")]
        limit = _limit(ctx.params, 25, 100)
        before = _uncursor(ctx.params["after"]) if ctx.params.get("after") else None
        posts = self.s.world.posts(acct.id, self.s.now(), before, limit + 1)
        chunk = posts[:limit]
        out: dict[str, Any] = {"data": [self.media_node(ctx, p, fields) for p in chunk]}
        if chunk:
            paging: dict[str, Any] = {
                "cursors": {"before": _cursor(chunk[0].k), "after": _cursor(chunk[-1].k)}
            }
            if len(posts) > limit:
                paging["next"] = self._next(ctx, f"{ig_id}/media", after=_cursor(chunk[-1].k))
            out["paging"] = paging
        return out

    def media_node(self, ctx: Ctx, m: Story | Post, fields: list[Field]) -> dict[str, Any]:
        acct = self.s.world.accounts[m.account_id]
        is_story = isinstance(m, Story)
        allowed = STORY_FIELDS if is_story else POST_FIELDS
        out: dict[str, Any] = {}
        for f in fields:
            name = f.name
            if name == "insights":
                metric = f.mods.get("metric")
                self.need_scope(ctx, INSIGHTS_SCOPE[ctx.provider], acct)
                out["insights"] = {
                    "data": self.insights(ctx, acct, m, metric, f.mods.get("breakdown"))
                }
                continue
            if name not in allowed:
                raise _nonexisting(name, "ShadowIGMedia" if ctx.provider == "facebook" else "Media")
            if name == "id":
                out[name] = m.id
            elif name == "media_type":
                out[name] = m.media_type
            elif name == "media_product_type":
                out[name] = "STORY" if is_story else "FEED"
            elif name == "permalink":
                kind = f"stories/{acct.username}" if is_story else "p"
                out[name] = f"https://www.instagram.com/{kind}/{m.id}/"
            elif name == "timestamp":
                out[name] = m.timestamp
            elif name == "media_url":
                ext = "mp4" if m.media_type == "VIDEO" else "jpg"
                out[name] = f"https://scontent.sandbox.invalid/media/{m.id}.{ext}"
            elif name == "thumbnail_url":
                if m.media_type == "VIDEO":
                    out[name] = f"https://scontent.sandbox.invalid/media/{m.id}_thumb.jpg"
            elif name == "username":
                out[name] = acct.username
            elif name == "owner":
                out[name] = {"id": acct.id}
            elif name == "caption":
                if not is_story:
                    out[name] = f"Post {m.k} by {acct.name} #sandbox"
            elif name == "shortcode":
                out[name] = base64.urlsafe_b64encode(m.id.encode()).decode()[:11]
            elif name == "ig_id":
                out[name] = int(m.id)
            elif name in ("like_count", "comments_count"):
                out[name] = getattr(m, name)
        return out

    def insights(
        self, ctx: Ctx, acct: IgAccount, m: Story | Post, metric: str | None, breakdown: str | None
    ) -> list[dict[str, Any]]:
        self.need_scope(ctx, INSIGHTS_SCOPE[ctx.provider], acct)
        if not metric:
            raise MetaError(100, "(#100) The parameter metric is required")
        names = [x.strip() for x in metric.split(",") if x.strip()]
        is_story = isinstance(m, Story)
        if is_story:
            valid = list(STORY_METRICS) + list(BREAKDOWN_METRICS)
            if ctx.provider == "facebook":
                valid += list(FACEBOOK_ONLY_METRICS)
        else:
            valid = list(POST_METRICS)
        for i, name in enumerate(names):
            if name not in valid:
                raise MetaError(
                    100,
                    f"(#100) metric[{i}] must be one of the following values: {', '.join(valid)}",
                )
        has_breakdown_metric = any(n in BREAKDOWN_METRICS for n in names)
        if (has_breakdown_metric or breakdown) and len(names) > 1:
            raise MetaError(1, "An unknown error has occurred.", status=500)
        if breakdown and BREAKDOWN_METRICS.get(names[0]) != breakdown:
            raise MetaError(
                100,
                f"(#100) Incompatible breakdowns. Metric {names[0]} does not support "
                f"breakdown {breakdown}",
            )
        now = self.s.now()
        if isinstance(m, Story):
            if m.few_viewers:
                raise MetaError(10, E.NOT_ENOUGH_VIEWERS)
            values = self.s.world.story_values(m, now)
        else:
            values = self.s.world.post_values(m)
        out = []
        for name in names:
            title, desc = METRIC_TEXT[name]
            item: dict[str, Any] = {"name": name, "period": "lifetime"}
            if name in BREAKDOWN_METRICS:
                total: dict[str, Any] = {"value": values[name]}
                if breakdown:
                    if name == "navigation" and isinstance(m, Story):
                        parts = self.s.world.navigation(m, now, values["views"])
                    elif isinstance(m, Story):
                        parts = self.s.world.profile_activity(m, values["profile_visits"])
                    else:
                        parts = {}
                    total["breakdowns"] = [
                        {
                            "dimension_keys": [breakdown],
                            "results": [
                                {"dimension_values": [k], "value": v} for k, v in parts.items()
                            ],
                        }
                    ]
                item["total_value"] = total
            else:
                item["values"] = [{"value": values[name]}]
            item.update(
                {"title": title, "description": desc, "id": f"{m.id}/insights/{name}/lifetime"}
            )
            out.append(item)
        return out

    # -- hashtags ---------------------------------------------------------------------------

    def hashtag_search(self, ctx: Ctx) -> dict[str, Any]:
        user_id = ctx.params.get("user_id", "")
        q = ctx.params.get("q", "").strip().lstrip("#").lower()
        if not user_id or not q:
            raise MetaError(100, "(#100) The parameters user_id and q are required")
        acct = self.s.world.accounts.get(user_id)
        if acct is None or not self.reachable(ctx, acct):
            raise E.unsupported_get(user_id)
        self.need_scope(ctx, "instagram_basic")
        now = self.s.now()
        seen = {t: at for t, at in self.s.hashtags.get(acct.id, {}).items() if at > now - 7 * 86400}
        if q not in seen:
            if len(seen) >= 30:
                raise MetaError(
                    4,
                    "(#4) You have reached the maximum number of unique hashtags (30) this "
                    "Instagram account can search within 7 days",
                    subcode=2207051,
                )
            seen[q] = now
        self.s.hashtags[acct.id] = seen
        return {"data": [{"id": str(17840000000000000 + h("tag", q) % 10**13)}]}

    # -- batch ------------------------------------------------------------------------------

    def batch(self, ctx: Ctx, params: dict[str, str]) -> list[Any]:
        try:
            items = json.loads(params.get("batch", ""))
            assert isinstance(items, list)
        except (ValueError, AssertionError) as exc:
            raise MetaError(100, "(#100) The parameter batch is required") from exc
        if len(items) > 50:
            raise MetaError(
                100, "(#100) Too many requests in batch message. Maximum batch size is 50"
            )
        out: list[Any] = []
        for item in items:
            method = str(item.get("method", "GET")).upper()
            url = urlsplit(str(item.get("relative_url", "")))
            sub = dict(parse_qsl(url.query, keep_blank_values=True))
            if "body" in item and isinstance(item["body"], str):
                sub.update(parse_qsl(item["body"]))
            sub.setdefault("access_token", ctx.token_value)
            path = url.path.strip("/")
            if not VERSION_RE.match(path.split("/")[0]):
                path = f"{ctx.version}/{path}"
            try:
                body, extra = self.dispatch(method, "graph", "/" + path, sub, {})
                code = 200
            except MetaError as err:
                body, extra, code = err.body(), getattr(err, "headers", []), err.status
            hdrs = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
            hdrs += [{"name": n, "value": v} for n, v in extra]
            out.append({"code": code, "headers": hdrs, "body": json.dumps(body)})
        return out

    # -- tokens -----------------------------------------------------------------------------

    def debug_token(self, params: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        s = self.s
        caller = self._token_from(params, headers)
        app_token = f"{s.cfg.app_id}|{s.cfg.app_secret}"
        if caller != app_token:
            t = s.tokens.get(caller)
            if t is None or s.killer(t) is not None:
                raise MetaError(190, E.CANNOT_PARSE)
        value = params.get("input_token", "")
        if not value:
            raise MetaError(100, "(#100) The parameter input_token is required")
        token = s.tokens.get(value)
        if token is None or token.provider != "facebook":
            return {
                "data": {
                    "error": {"code": 190, "message": E.CANNOT_PARSE},
                    "is_valid": False,
                    "scopes": [],
                }
            }
        data: dict[str, Any] = {
            "app_id": s.cfg.app_id,
            "type": "PAGE" if token.kind == "page" else "USER",
            "application": "igconnect sandbox",
            "data_access_expires_at": int(token.data_access_expires_at),
            "expires_at": int(token.expires_at),
            "is_valid": True,
            "issued_at": int(token.issued_at),
            "scopes": [*token.scopes, "public_profile"],
            "granular_scopes": self._granular(token),
            "user_id": token.user_id,
        }
        if token.kind == "page":
            data["profile_id"] = token.page_id
        sub = s.killer(token)
        if sub is not None:
            err = E.token_error(sub, app_id=s.cfg.app_id, expired_at=token.expires_at, now=s.now())
            data["is_valid"] = False
            data["error"] = {"code": 190, "message": err.message, "subcode": sub}
            data.pop("issued_at", None)
        return {"data": data}

    def _granular(self, token: Token) -> list[dict[str, Any]]:
        out = []
        w = self.s.world
        pages = token.pages
        user = w.users.get(token.user_id)
        for scope in token.scopes:
            entry: dict[str, Any] = {"scope": scope}
            if pages is not None and user is not None:
                if scope.startswith("pages_") or scope == "business_management":
                    entry["target_ids"] = [p for p in user.page_ids if p in pages]
                elif scope.startswith("instagram_"):
                    ids = []
                    for p in user.page_ids:
                        acct = w.account_of_page(p)
                        if p in pages and acct:
                            ids.append(acct.id)
                    entry["target_ids"] = [i for i in ids if i not in token.excluded.get(scope, ())]
            elif scope in token.excluded and user is not None:
                ids = [a.id for a in self.s.user_accounts(token)]
                entry["target_ids"] = [i for i in ids if i not in token.excluded[scope]]
            out.append(entry)
        return out

    def ig_token_endpoint(self, which: str, params: dict[str, str]) -> dict[str, Any]:
        s = self.s
        value = params.get("access_token", "")
        token = s.tokens.get(value)
        if token is None or token.provider != "instagram":
            raise MetaError(190, E.CANNOT_PARSE)
        sub = s.killer(token)
        if sub is not None:
            raise E.token_error(sub, app_id=s.cfg.app_id, expired_at=token.expires_at, now=s.now())
        if which == "access_token":
            if params.get("grant_type") != "ig_exchange_token":
                raise MetaError(100, "Unsupported grant_type")
            if params.get("client_secret") != s.cfg.app_secret:
                raise MetaError(100, "Error validating client secret.", type_="OAuthException")
            if token.kind != "short":
                raise MetaError(100, "(#100) The access token is already long-lived")
        else:
            if params.get("grant_type") != "ig_refresh_token":
                raise MetaError(100, "Unsupported grant_type")
            if token.kind != "long":
                raise MetaError(100, "(#100) Only long-lived access tokens can be refreshed")
            if s.now() - token.issued_at < 86400:
                raise MetaError(
                    100,
                    "(#100) The access token can only be refreshed once it is at least 24 "
                    "hours old",
                )
        new = s.mint(
            token.user_id,
            "instagram",
            "long",
            token.scopes,
            declined=token.declined,
            excluded=token.excluded,
        )
        return {
            "access_token": new.value,
            "token_type": "bearer",
            "expires_in": LONG_LIVED,
            "permissions": ",".join(new.scopes),
        }

    # -- paging -----------------------------------------------------------------------------

    def _next(self, ctx: Ctx, path: str, *, after: str) -> str:
        prefix = "/graph" if ctx.host == "graph" else "/ig-graph"
        q = {k: v for k, v in ctx.params.items() if k not in ("after", "before", "access_token")}
        q["access_token"] = ctx.token_value
        q["after"] = after
        q.setdefault("limit", "25")
        return f"{self.base_url}{prefix}/{ctx.version}/{path}?{urlencode(q)}"


def _limit(params: dict[str, str], default: int, most: int) -> int:
    try:
        n = int(params.get("limit", default))
    except ValueError as exc:
        raise MetaError(100, "(#100) Param limit must be a number") from exc
    return max(1, min(n, most))


def _nonexisting(name: str, node: str) -> MetaError:
    return MetaError(
        100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
    )


def _versions() -> frozenset[str]:
    from .config import SUPPORTED_VERSIONS

    return SUPPORTED_VERSIONS

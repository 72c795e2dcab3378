"""Stories and posts: an account's `/stories` and `/media` listings and the media node's fields."""

from __future__ import annotations

import base64
from typing import Any

from . import errors as E
from .access import need_account, need_scope
from .call import Call, nonexisting_field
from .errors import MetaError
from .fields import Field
from .insights import insights
from .paging import limit_param, listing, uncursor
from .state import BASIC_SCOPE, INSIGHTS_SCOPE
from .world import Post, Story

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
    # IG Media fields a story has no value for: Meta's IG Media reference lists them for every
    # media, so asking is not an error; a story's answer leaves them out (UNSURE: or 0).
    "like_count",
    "comments_count",
}
POST_FIELDS = STORY_FIELDS
MEDIA_HOST = "https://scontent.sandbox.invalid/media"
REDUCE_DATA_LIMIT = 10  # `reduce-data`: the largest expanded page Meta still answers


def stories(call: Call, ig_id: str) -> dict[str, Any]:
    """The account's live stories, newest first."""
    acct = need_account(call, ig_id)
    need_scope(call, BASIC_SCOPE[call.provider])
    if not acct.professional:
        raise MetaError(10, E.NO_PERMISSION)
    fields = call.fields("id")
    limit = limit_param(call.params, 25, 100)
    _check_size(call, acct.username, fields, limit)
    live = call.state.world.stories(ig_id, call.state.now())
    if call.params.get("after"):
        k = uncursor(call.params["after"])
        live = [s for s in live if s.k < k]
    chunk = live[:limit]
    data = [media_node(call, s, fields) for s in chunk]
    span = (chunk[0].k, chunk[-1].k) if chunk else None
    return listing(call, f"{ig_id}/stories", data, span, more=len(live) > limit)


def _check_size(call: Call, username: str, fields: list[Field], limit: int) -> None:
    """`reduce-data` scenarios: an insights-expanded listing Meta finds too big (code 1)."""
    if not any(f.name == "insights" for f in fields):
        return
    s = call.state
    if s.arg("reduce-data-strict", username, 0) is not None:
        raise E.reduce_data()
    most = s.arg("reduce-data", username, REDUCE_DATA_LIMIT)
    if most is not None and limit > most:
        raise E.reduce_data()


def media(call: Call, ig_id: str) -> dict[str, Any]:
    """The account's posts, newest first."""
    acct = need_account(call, ig_id)
    need_scope(call, BASIC_SCOPE[call.provider])
    fields = call.fields("id")
    limit = limit_param(call.params, 25, 100)
    before = uncursor(call.params["after"]) if call.params.get("after") else None
    posts = call.state.world.posts(acct.id, call.state.now(), before, limit + 1)
    chunk = posts[:limit]
    data = [media_node(call, p, fields) for p in chunk]
    span = (chunk[0].k, chunk[-1].k) if chunk else None
    return listing(call, f"{ig_id}/media", data, span, more=len(posts) > limit)


def media_node(call: Call, m: Story | Post, fields: list[Field]) -> dict[str, Any]:
    """The asked fields of a story or post, `insights.metric(...)` expanded in place."""
    acct = call.state.world.accounts[m.account_id]
    is_story = isinstance(m, Story)
    allowed = STORY_FIELDS if is_story else POST_FIELDS
    out: dict[str, Any] = {}
    for f in fields:
        name = f.name
        if name == "insights":
            metric = f.mods.get("metric")
            need_scope(call, INSIGHTS_SCOPE[call.provider], acct)
            out["insights"] = {"data": insights(call, acct, m, metric, f.mods.get("breakdown"))}
            continue
        if name not in allowed:
            raise nonexisting_field(
                name, "ShadowIGMedia" if call.provider == "facebook" else "Media"
            )
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
            out[name] = f"{MEDIA_HOST}/{m.id}.{ext}"
        elif name == "thumbnail_url":
            if m.media_type == "VIDEO":
                out[name] = f"{MEDIA_HOST}/{m.id}_thumb.jpg"
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
        elif name in ("like_count", "comments_count") and not is_story:
            out[name] = getattr(m, name)
    return out

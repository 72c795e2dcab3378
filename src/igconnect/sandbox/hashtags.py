"""Hashtag search and a hashtag's recent and top media (Facebook path only).

A hashtag's id is a function of its name (stable forever, like Meta's); its posts are a function
of (seed, hashtag, time), like the accounts' own stories and posts.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from . import errors as E
from .access import need_scope, reachable
from .call import Call, nonexisting_field
from .errors import MetaError
from .fields import Field
from .paging import limit_param, listing, uncursor
from .world import DAY, h, meta_time

HASHTAGS_PER_WEEK = 30
WEEK = 7 * DAY
PAGE_MOST = 50
TOP_MEDIA = 150  # how many posts `top_media` ranks at most
HASHTAG_PREFIX = "17843"
MEDIA_FIELDS = {
    "id",
    "media_type",
    "permalink",
    "timestamp",
    "like_count",
    "comments_count",
    "caption",
    "media_url",
}


@dataclass(frozen=True)
class TagPost:
    id: str
    k: int
    posted_at: float
    media_type: str
    like_count: int
    comments_count: int
    caption: str


def hashtag_id(name: str) -> str:
    return f"{HASHTAG_PREFIX}{h('tag', name) % 10**12:012d}"


def is_hashtag_id(text: str) -> bool:
    return len(text) == 17 and text.startswith(HASHTAG_PREFIX) and text.isdigit()


def _user_account(call: Call) -> str:
    """The `user_id` parameter: an Instagram account the token reaches."""
    s = call.state
    user_id = call.params.get("user_id", "")
    acct = s.world.accounts.get(user_id)
    if acct is None or not reachable(call, acct):
        raise E.unsupported_get(user_id or "user_id")
    need_scope(call, "instagram_basic")
    return acct.id


def hashtag_search(call: Call) -> dict[str, Any]:
    """ig_hashtag_search: the hashtag's id, spending one of the account's weekly hashtags."""
    s = call.state
    q = call.params.get("q", "").strip().lstrip("#").lower()
    if not call.params.get("user_id") or not q:
        raise MetaError(100, "(#100) The parameters user_id and q are required")
    acct_id = _user_account(call)
    now = s.now()
    seen = {t: at for t, at in s.hashtags.get(acct_id, {}).items() if at > now - WEEK}
    if q not in seen:
        if len(seen) >= HASHTAGS_PER_WEEK:
            # UNSURE: no public recording of Meta's answer to the 31st hashtag; the code and
            # text are the sandbox's own (see docs/sandbox.md).
            raise MetaError(
                4,
                f"(#4) You have reached the maximum number of unique hashtags "
                f"({HASHTAGS_PER_WEEK}) this Instagram account can search within 7 days",
            )
        seen[q] = now
    s.hashtags[acct_id] = seen
    tag_id = hashtag_id(q)
    s.hashtag_names[tag_id] = q
    return {"data": [{"id": tag_id}]}


def hashtag_node(call: Call, tag_id: str, edge: str | None) -> dict[str, Any]:
    s = call.state
    name = s.hashtag_names.get(tag_id)
    if name is None:
        raise E.unsupported_get(tag_id)
    if edge is None:
        out: dict[str, Any] = {}
        for f in call.fields("id", "name"):
            if f.name not in ("id", "name"):
                raise nonexisting_field(f.name, "IGHashtag")
            out[f.name] = tag_id if f.name == "id" else name
        return out
    _user_account(call)
    fields = call.fields("id")
    for f in fields:
        if f.name not in MEDIA_FIELDS:
            raise nonexisting_field(f.name, "IGMedia")
    limit = limit_param(call.params, 25, PAGE_MOST)
    after = uncursor(call.params["after"]) if call.params.get("after") else None
    now = s.now()
    path = f"{tag_id}/{edge}"
    if edge == "recent_media":
        posts = _posts(s.cfg.seed, name, now - DAY, now)
        if after is not None:
            posts = [p for p in posts if p.k < after]
        chunk = posts[:limit]
        span = (chunk[0].k, chunk[-1].k) if chunk else None
        data = [_node(p, fields) for p in chunk]
        return listing(call, path, data, span, more=len(posts) > limit)
    if edge == "top_media":
        ranked = sorted(
            _posts(s.cfg.seed, name, now - WEEK, now), key=lambda p: (-p.like_count, -p.k)
        )[:TOP_MEDIA]
        start = after + 1 if after is not None else 0
        chunk = ranked[start : start + limit]
        span = (start, start + len(chunk) - 1) if chunk else None
        data = [_node(p, fields) for p in chunk]
        return listing(call, path, data, span, more=start + len(chunk) < len(ranked))
    raise E.unknown_path(f"/{tag_id}/{edge}")


def _posts(seed: int, name: str, since: float, now: float) -> list[TagPost]:
    """Public posts with the hashtag in (since, now], newest first."""
    r = h(seed, "hashtag", name)
    period = DAY / (24 + r % 200)
    phase = float((r >> 16) % max(1, int(period)))
    tagnum = h("tag", name) % 10**6
    out = []
    k = int((now - phase) // period)
    while True:
        t = phase + k * period
        if t <= since or k < 0:
            break
        if t <= now:
            pr = h(seed, "hashtag-post", name, k)
            likes = 3 + pr % 4000
            out.append(
                TagPost(
                    id=f"18{tagnum:06d}{k % 10**9:09d}",
                    k=k,
                    posted_at=t,
                    media_type=("IMAGE", "VIDEO", "CAROUSEL_ALBUM")[pr % 3],
                    like_count=likes,
                    comments_count=likes * ((pr >> 12) % 8) // 100,
                    caption=f"Post {k} #{name}",
                )
            )
        k -= 1
    return out


def _node(p: TagPost, fields: list[Field]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        if f.name == "permalink":
            code = (
                base64.urlsafe_b64encode(p.id.encode()).decode().rstrip("=")[-11:]
            )  # unique per post
            out[f.name] = f"https://www.instagram.com/p/{code}/"
        elif f.name == "timestamp":
            out[f.name] = meta_time(p.posted_at)
        elif f.name == "media_url":
            out[f.name] = f"https://scontent.sandbox.invalid/media/{p.id}.jpg"
        else:
            out[f.name] = getattr(p, f.name)
    return out

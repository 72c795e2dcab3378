"""Business discovery: public data of a professional account nobody asking has to manage.

`GET /{ig-user-id}?fields=business_discovery.username(NAME){followers_count,...,media.limit(N){...}}`
on graph.facebook.com. It counts against the platform rate limit (X-App-Usage), not the account's
business use case: `api.dispatch` leaves the account out of the throttle for these calls.
"""

from __future__ import annotations

from typing import Any

from . import errors as E
from .call import Call, nonexisting_field
from .fields import Field
from .paging import cursor
from .world import IgAccount

DISCOVERY_FIELDS = {
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
    "media",
}
DISCOVERY_MEDIA_FIELDS = {
    "id",
    "timestamp",
    "like_count",
    "comments_count",
    "media_type",
    "media_product_type",
    "permalink",
    "caption",
    "media_url",
}
MEDIA_LIMIT = 100


def wants_discovery(params: dict[str, str]) -> bool:
    return "business_discovery" in params.get("fields", "")


def business_discovery(call: Call, field: Field) -> dict[str, Any]:
    """The `business_discovery` object of the caller's own IG user node."""
    from .media import media_node
    from .nodes import ig_fields

    w = call.state.world
    username = field.mods.get("username", "").strip().lstrip("@")
    target = w.by_username.get(username)
    # Unknown and personal accounts get the same answer (UNSURE whether Meta tells them apart).
    if target is None or not target.professional:
        raise E.discovery_not_found()
    wanted = field.sub or [Field("id")]
    out: dict[str, Any] = {}
    plain = []
    for f in wanted:
        if f.name not in DISCOVERY_FIELDS:
            raise nonexisting_field(f.name, "IGUser")
        if f.name == "media":
            out["media"] = _media(call, target, f, media_node)
        else:
            plain.append(f)
    out = {**ig_fields(call, target, plain, "IGUser"), **out} if plain else out
    out.setdefault("id", target.id)  # Meta adds the id to the object it answers
    return out


def _media(call: Call, target: IgAccount, f: Field, media_node: Any) -> dict[str, Any]:
    s = call.state
    try:
        limit = max(1, min(int(f.mods.get("limit", "25")), MEDIA_LIMIT))
    except ValueError as exc:
        raise E.MetaError(100, "(#100) Param limit must be a number") from exc
    fields = f.sub or [Field("id")]
    for sub in fields:
        if sub.name not in DISCOVERY_MEDIA_FIELDS:
            raise nonexisting_field(sub.name, "IGMedia")
    posts = s.world.posts(target.id, s.now(), None, limit + 1)
    data = [media_node(call, p, fields) for p in posts[:limit]]
    out: dict[str, Any] = {"data": data}
    if data:
        out["paging"] = {
            "cursors": {"before": cursor(posts[0].k), "after": cursor(posts[:limit][-1].k)}
        }
    return out

"""The sandbox's people, Pages, Instagram accounts, stories and posts: deterministic for a seed.

Stories and posts are not stored: they are a function of (seed, account, time). Each account posts a
story every `24h / stories` (with a seeded phase) and each story lives 24 hours, so at any moment an
account has `stories` live stories, and moving the sandbox clock makes new ones appear and old ones
vanish. Metrics grow with a story's age.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

DAY = 86400
STORY_LIFETIME = DAY
POSTS_EPOCH = 1672531200  # 2023-01-01: when every sandbox account started posting

ADA_ID = "10000000000000001"
BOB_ID = "10000000000000002"
# Business discovery: public professional accounts, and personal ones it must refuse.
PUBLIC_ACCOUNTS = (
    ("nike", "Nike"),
    ("public_1", "Public Brand 1"),
    ("public_2", "Public Brand 2"),
    ("public_3", "Public Brand 3"),
)
PERSONAL_ACCOUNTS = (("personal_1", "Pat Person"), ("personal_2", "Sam Person"))

# `reposts` is a Feed/Reels metric in Meta's v25 table, not a story one: asking for it on a
# story is refused like any unknown metric. `total_views` and `facebook_views` exist for stories
# (seen in public clients); `facebook_views` cancels the request when the story was not shared
# to Facebook (scenario `metric-cancelled`).
STORY_METRICS = (
    "reach",
    "views",
    "replies",
    "shares",
    "total_interactions",
    "follows",
    "profile_visits",
    "total_views",
    "facebook_views",
)
BREAKDOWN_METRICS = {
    "navigation": "story_navigation_action_type",
    "profile_activity": "action_type",
}
FACEBOOK_ONLY_METRICS = ("link_clicks",)
REMOVED_METRICS = ("impressions", "taps_forward", "taps_back", "exits", "plays")
POST_METRICS = ("reach", "views", "likes", "comments", "saved", "shares", "total_interactions")
NAVIGATION_TYPES = ("TAP_FORWARD", "TAP_BACK", "TAP_EXIT", "SWIPE_FORWARD")
PROFILE_ACTIONS = ("BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "OTHER", "TEXT")

METRIC_TEXT = {
    "reach": ("Accounts reached", "The number of unique accounts that have seen the story."),
    "views": ("Views", "The number of times the story was played or displayed."),
    "replies": ("Replies", "The number of replies to the story."),
    "shares": ("Shares", "The number of shares of the story."),
    "total_interactions": (
        "Interactions",
        "The number of replies, shares and reactions on the story.",
    ),
    "follows": ("Follows", "The number of accounts that started following you."),
    "profile_visits": ("Profile visits", "The number of times your profile was visited."),
    "reposts": ("Reposts", "The number of times the story was reposted."),
    "total_views": ("Total views", "The number of times the story was viewed, on every app."),
    "facebook_views": ("Facebook views", "The number of views of the story on Facebook."),
    "link_clicks": ("Link clicks", "The number of taps on the story's link sticker."),
    "navigation": ("Navigation", "The total navigation actions taken from the story."),
    "profile_activity": ("Profile activity", "Actions taken on your profile after the story."),
    "likes": ("Likes", "The number of likes."),
    "comments": ("Comments", "The number of comments."),
    "saved": ("Saved", "The number of saves."),
}


def h(*parts: object) -> int:
    """A stable 64-bit hash of the parts (not Python's salted hash())."""
    raw = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


def media_id(prefix: str, index: int, k: int) -> str:
    """17 digits: `179` (story) or `178` (post), the account's index (5), the item's number (9)."""
    return f"{prefix}{index:05d}{k:09d}"


def split_media_id(text: str, prefix: str | None = None) -> tuple[int, int] | None:
    """(account index, item number) of a story or post id, None if it is not one."""
    if len(text) != 17 or not text.isdigit() or text[:3] not in ("178", "179"):
        return None
    if prefix is not None and text[:3] != prefix:
        return None
    if text[3] not in "012":  # 1784... are Instagram user and hashtag ids
        return None
    return int(text[3:8]), int(text[8:])


def meta_time(ts: float) -> str:
    """Meta's timestamp format: 2026-11-22T08:15:00+0000."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class User:
    id: str
    name: str
    email: str
    page_ids: list[str] = field(default_factory=list)


@dataclass
class Page:
    id: str
    name: str
    ig_id: str | None = None  # the linked Instagram account
    link_confirmed: bool = True
    tasks: tuple[str, ...] = (
        "ANALYZE",
        "ADVERTISE",
        "MESSAGING",
        "MODERATE",
        "CREATE_CONTENT",
        "MANAGE",
    )
    category: str = "Brand"


@dataclass
class IgAccount:
    index: int
    id: str
    username: str
    name: str
    page_id: str | None
    professional: bool = True
    account_type: str = "BUSINESS"
    followers: int = 1000
    follows: int = 100
    story_period: float = DAY / 8
    story_phase: float = 0.0
    post_period: float = 30 * DAY / 20
    post_phase: float = 0.0
    high_volume: bool = False
    has_stories: bool = True
    public: bool = False  # a public account nobody in the agency manages (business discovery)

    @property
    def app_scoped_id(self) -> str:
        """The id graph.instagram.com's /me answers as `id` (app-scoped), unlike `user_id`."""
        return f"2{self.id[1:]}"


@dataclass(frozen=True)
class Story:
    id: str
    account_id: str
    k: int
    posted_at: float
    media_type: str
    few_viewers: bool
    slow_start: bool = False  # under 5 viewers at first, ~50 at 24 h
    has_link: bool = False  # a link sticker: only then is `link_clicks` answered

    @property
    def expires_at(self) -> float:
        return self.posted_at + STORY_LIFETIME

    @property
    def timestamp(self) -> str:
        return meta_time(self.posted_at)


@dataclass(frozen=True)
class Post:
    id: str
    account_id: str
    k: int
    posted_at: float
    media_type: str
    like_count: int
    comments_count: int

    @property
    def timestamp(self) -> str:
        return meta_time(self.posted_at)


ScenarioList = list[tuple[str, str | None, str | None]]  # (name, arg, account)


class World:
    """Users, Pages, accounts; stories, posts and their metrics as functions of time."""

    def __init__(self, seed: int, accounts: int, stories: int, scenarios: ScenarioList) -> None:
        self.seed = seed
        self.stories_per_day = stories
        self.scenarios = scenarios
        self.users: dict[str, User] = {}
        self.pages: dict[str, Page] = {}
        self.accounts: dict[str, IgAccount] = {}
        self.by_username: dict[str, IgAccount] = {}
        self._few: set[str] = set()  # account ids under few-viewers
        self._slow: dict[str, int] = {}  # account id -> stories per day that start slowly
        ada = User(ADA_ID, "Ada Agency", "ada@agency.example")
        self.users[ada.id] = ada
        base = []
        for i in range(1, accounts + 1):
            base.append(self._add_account(f"acme_{i}", f"Acme Client {i}", ada))
        if self._on("multi-page", None):
            for i in range(1, 6):
                self._add_account(f"brand_{i}", f"Brand {i}", ada)
            events = Page(self._page_id(9_000_000), "Acme Events", category="Event")
            self.pages[events.id] = events
            ada.page_ids.append(events.id)
        for acct in base:
            self._apply_account_scenarios(acct, ada)
        for acct in list(self.accounts.values()):
            if self._on("few-viewers", acct.username):
                self._few.add(acct.id)
            slow = self._arg("slow-start", acct.username)
            if slow is not None:
                self._slow[acct.id] = int(slow) if slow.isdigit() else 2
            if self._on("high-volume", acct.username):
                self._make_high_volume(acct)
        for _name, _arg, target in (s for s in scenarios if s[0] == "already-connected"):
            self._add_bob(target or base[0].username)
        self._add_public_accounts()

    # -- building -------------------------------------------------------------------------

    def _on(self, name: str, username: str | None) -> bool:
        return any(n == name and (a is None or a == username) for n, _, a in self.scenarios)

    def _arg(self, name: str, username: str | None) -> str | None:
        """The argument of a scenario active for this account ("" without one), else None."""
        for n, arg, a in self.scenarios:
            if n == name and (a is None or a == username):
                return arg or ""
        return None

    def _add_public_accounts(self) -> None:
        """Accounts nobody in the agency manages: public professional ones, and personal ones."""
        for username, name in PUBLIC_ACCOUNTS:
            acct = self._add_account(username, name, None, with_page=False)
            acct.public, acct.has_stories = True, False
        for username, name in PERSONAL_ACCOUNTS:
            acct = self._add_account(username, name, None, with_page=False)
            acct.public, acct.has_stories = True, False
            acct.professional, acct.account_type = False, "PERSONAL"

    def _page_id(self, index: int) -> str:
        return f"2000000000{index:07d}"

    def _ig_id(self, index: int) -> str:
        return f"1784140{index:010d}"

    def _add_account(
        self, username: str, name: str, manager: User | None, *, with_page: bool = True
    ) -> IgAccount:
        index = len(self.accounts) + 1
        page_id = self._page_id(index) if with_page else None
        r = h(self.seed, "account", username)
        acct = IgAccount(
            index=index,
            id=self._ig_id(index),
            username=username,
            name=name,
            page_id=page_id,
            account_type="MEDIA_CREATOR" if r % 4 == 0 else "BUSINESS",
            followers=1200 + r % 48000,
            follows=80 + (r >> 16) % 900,
            post_period=30 * DAY / (12 + (r >> 24) % 18),
            post_phase=float((r >> 32) % 3600),
            has_stories=self.stories_per_day > 0,
        )
        if self.stories_per_day:
            acct.story_period = DAY / self.stories_per_day
            acct.story_phase = float((r >> 40) % max(1, int(acct.story_period)))
        self.accounts[acct.id] = acct
        self.by_username[username] = acct
        if page_id:
            self.pages[page_id] = Page(page_id, name, ig_id=acct.id)
            if manager is not None:
                manager.page_ids.append(page_id)
        return acct

    def _apply_account_scenarios(self, acct: IgAccount, ada: User) -> None:
        page = self.pages.get(acct.page_id or "")
        u = acct.username
        if self._on("personal-account", u):
            acct.professional = False
            acct.account_type = "PERSONAL"
            if page:
                page.ig_id = None
            acct.page_id = None
        if self._on("no-page", u) and page:
            del self.pages[page.id]
            ada.page_ids.remove(page.id)
            acct.page_id = None
            page = None
        if self._on("page-not-linked", u) and page:
            page.ig_id = None
            acct.page_id = None
        if self._on("link-unconfirmed", u) and page:
            page.link_confirmed = False
        if self._on("wrong-page", u) and page:
            old = self._add_account(f"{u}_old", f"{acct.name} (old)", None, with_page=False)
            old.has_stories = False
            old.page_id = page.id
            page.ig_id = old.id
            acct.page_id = None

    def _make_high_volume(self, acct: IgAccount) -> None:
        acct.high_volume = True
        acct.followers = 250_000 + h(self.seed, "hv", acct.id) % 500_000
        acct.post_period = 30 * DAY / 150
        if self.stories_per_day:
            acct.story_period = DAY / (3 * self.stories_per_day)
            acct.story_phase %= acct.story_period

    def _add_bob(self, username: str) -> None:
        bob = self.users.get(BOB_ID)
        if bob is None:
            bob = User(BOB_ID, "Bob Brand", "bob@brand.example")
            self.users[bob.id] = bob
            self._add_account("bobs_bakery", "Bob's Bakery", bob)
        acct = self.by_username.get(username)
        if acct and acct.page_id and acct.page_id not in bob.page_ids:
            bob.page_ids.append(acct.page_id)

    # -- lookups ----------------------------------------------------------------------------

    def account_of_page(self, page_id: str) -> IgAccount | None:
        page = self.pages.get(page_id)
        if page is None or page.ig_id is None:
            return None
        return self.accounts.get(page.ig_id)

    def managers_of(self, ig_id: str) -> list[User]:
        """Facebook users who manage a Page linked (and confirmed) to this account."""
        out = []
        for user in self.users.values():
            for pid in user.page_ids:
                page = self.pages.get(pid)
                if page and page.ig_id == ig_id and page.link_confirmed:
                    out.append(user)
                    break
        return out

    # -- stories ----------------------------------------------------------------------------

    def _story(self, acct: IgAccount, k: int) -> Story:
        r = h(self.seed, "story", acct.id, k)
        return Story(
            id=media_id("179", acct.index, k),
            account_id=acct.id,
            k=k,
            posted_at=acct.story_phase + k * acct.story_period,
            media_type="VIDEO" if r % 3 == 0 else "IMAGE",
            few_viewers=acct.id in self._few and k % 3 == 0,
            slow_start=k % max(1, self.stories_per_day) < self._slow.get(acct.id, 0),
            has_link=k % 3 == 0,
        )

    def stories(self, ig_id: str, now: float) -> list[Story]:
        """The live stories of an account at `now`, newest first."""
        acct = self.accounts.get(ig_id)
        if acct is None or not acct.has_stories or not self.stories_per_day:
            return []
        p = acct.story_period
        k_max = int((now - acct.story_phase) // p)
        out = []
        k = k_max
        while True:
            t = acct.story_phase + k * p
            if t <= now - STORY_LIFETIME:
                break
            out.append(self._story(acct, k))
            k -= 1
        return out

    def story(self, story_id: str, now: float) -> Story | None:
        """The story with this id if it exists and is live at `now`."""
        parts = split_media_id(story_id, "179")
        if parts is None:
            return None
        acct = self._by_index(parts[0])
        if acct is None or not acct.has_stories or not self.stories_per_day:
            return None
        s = self._story(acct, parts[1])
        if not (now - STORY_LIFETIME < s.posted_at <= now):
            return None
        return s

    def _by_index(self, index: int) -> IgAccount | None:
        return self.accounts.get(self._ig_id(index))

    def story_values(self, story: Story, now: float) -> dict[str, int]:
        """Every story metric at `now`; navigation/profile_activity as totals."""
        age = min(max(now - story.posted_at, 0.0), STORY_LIFETIME)
        g = age / STORY_LIFETIME
        growth = 1 - (1 - g) ** 3
        r = h(self.seed, "metrics", story.id)
        acct = self.accounts[story.account_id]
        if story.few_viewers:
            reach = min(4, 1 + round(3 * growth))
        elif story.slow_start:
            # 1 viewer at first, 5 after ~6.9 h, 50 at 24 h: the square of the age.
            reach = 1 + round(49 * g * g)
        else:
            base = 40 + r % 1500
            if acct.high_volume:
                base *= 10
            reach = max(5, round(base * growth))
        views = reach + (reach * (20 + (r >> 8) % 40)) // 100
        replies = reach * ((r >> 16) % 5) // 100
        shares = reach * ((r >> 20) % 4) // 100
        follows = reach * ((r >> 24) % 3) // 100
        visits = reach * ((r >> 28) % 8) // 100
        reposts = reach * ((r >> 32) % 2) // 100
        link_clicks = reach * ((r >> 36) % 6) // 100
        nav = self.navigation(story, now, views)
        prof = self.profile_activity(story, visits)
        return {
            "reach": reach,
            "views": views,
            "total_views": views,
            "facebook_views": views * ((r >> 40) % 10) // 100,
            "replies": replies,
            "shares": shares,
            "total_interactions": replies + shares,
            "follows": follows,
            "profile_visits": visits,
            "reposts": reposts,
            "link_clicks": link_clicks,
            "navigation": sum(nav.values()),
            "profile_activity": sum(prof.values()),
        }

    def navigation(self, story: Story, now: float, views: int | None = None) -> dict[str, int]:
        if views is None:
            views = self.story_values(story, now)["views"]
        return {
            "TAP_FORWARD": views * 60 // 100,
            "TAP_BACK": views * 8 // 100,
            "TAP_EXIT": views * 10 // 100,
            "SWIPE_FORWARD": views * 5 // 100,
        }

    def profile_activity(self, story: Story, visits: int) -> dict[str, int]:
        r = h(self.seed, "profile", story.id)
        out = {}
        for i, action in enumerate(PROFILE_ACTIONS):
            v = visits * ((r >> (i * 4)) % 4) // 10
            if v:
                out[action] = v
        return out

    # -- posts ------------------------------------------------------------------------------

    def _post(self, acct: IgAccount, k: int) -> Post:
        r = h(self.seed, "post", acct.id, k)
        likes = (300 + r % 1200) if acct.high_volume else (10 + r % 150)
        return Post(
            id=media_id("178", acct.index, k),
            account_id=acct.id,
            k=k,
            posted_at=POSTS_EPOCH + acct.post_phase + k * acct.post_period,
            media_type=("IMAGE", "VIDEO", "CAROUSEL_ALBUM")[r % 3],
            like_count=likes,
            comments_count=likes * ((r >> 12) % 10) // 100,
        )

    def last_post_k(self, acct: IgAccount, now: float) -> int:
        return int((now - POSTS_EPOCH - acct.post_phase) // acct.post_period)

    def posts(self, ig_id: str, now: float, before_k: int | None, limit: int) -> list[Post]:
        """Posts newest first, starting below `before_k`."""
        acct = self.accounts.get(ig_id)
        if acct is None or not acct.professional:
            return []
        k = self.last_post_k(acct, now)
        if before_k is not None:
            k = min(k, before_k - 1)
        out: list[Post] = []
        while k >= 0 and len(out) < limit:
            out.append(self._post(acct, k))
            k -= 1
        return out

    def post(self, post_id: str, now: float) -> Post | None:
        parts = split_media_id(post_id, "178")
        if parts is None:
            return None
        acct = self._by_index(parts[0])
        if acct is None:
            return None
        k = parts[1]
        if k > self.last_post_k(acct, now):
            return None
        return self._post(acct, k)

    def media_count(self, ig_id: str, now: float) -> int:
        acct = self.accounts[ig_id]
        return max(0, self.last_post_k(acct, now) + 1)

    def post_values(self, post: Post) -> dict[str, int]:
        reach = post.like_count * 9
        return {
            "reach": reach,
            "views": reach * 2,
            "likes": post.like_count,
            "comments": post.comments_count,
            "saved": post.like_count // 12,
            "shares": post.like_count // 20,
            "total_interactions": post.like_count + post.comments_count + post.like_count // 12,
        }

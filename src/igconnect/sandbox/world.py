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

STORY_METRICS = (
    "reach",
    "views",
    "replies",
    "shares",
    "total_interactions",
    "follows",
    "profile_visits",
    "reposts",
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
        ada = User(ADA_ID, "Ada Agency", "ada@agency.example")
        self.users[ada.id] = ada
        base = []
        for i in range(1, accounts + 1):
            base.append(self._add_account(f"acme_{i}", f"Acme Client {i}", ada))
        if self._on("multi-page", None):
            for i in range(1, 6):
                self._add_account(f"brand_{i}", f"Brand {i}", ada)
            events = Page(self._page_id(900), "Acme Events", category="Event")
            self.pages[events.id] = events
            ada.page_ids.append(events.id)
        for acct in base:
            self._apply_account_scenarios(acct, ada)
        for acct in list(self.accounts.values()):
            if self._on("few-viewers", acct.username):
                self._few.add(acct.id)
            if self._on("high-volume", acct.username):
                self._make_high_volume(acct)
        for _name, _arg, target in (s for s in scenarios if s[0] == "already-connected"):
            self._add_bob(target or base[0].username)

    # -- building -------------------------------------------------------------------------

    def _on(self, name: str, username: str | None) -> bool:
        return any(n == name and (a is None or a == username) for n, _, a in self.scenarios)

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
            id=f"179{acct.index:04d}{k:010d}",
            account_id=acct.id,
            k=k,
            posted_at=acct.story_phase + k * acct.story_period,
            media_type="VIDEO" if r % 3 == 0 else "IMAGE",
            few_viewers=acct.id in self._few and k % 3 == 0,
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
        if len(story_id) != 17 or not story_id.startswith("179") or not story_id.isdigit():
            return None
        acct = self._by_index(int(story_id[3:7]))
        if acct is None or not acct.has_stories or not self.stories_per_day:
            return None
        s = self._story(acct, int(story_id[7:]))
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
            id=f"178{acct.index:04d}{k:010d}",
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
        if len(post_id) != 17 or not post_id.startswith("178") or not post_id.isdigit():
            return None
        acct = self._by_index(int(post_id[3:7]))
        if acct is None:
            return None
        k = int(post_id[7:])
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

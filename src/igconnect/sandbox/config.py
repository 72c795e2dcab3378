"""Sandbox options and the catalogue of scenarios."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

DEFAULT_VERSION = "v25.0"
SUPPORTED_VERSIONS = frozenset(f"v{n}.0" for n in range(21, 27))
VERSION_RE = re.compile(r"^v\d+\.\d+$")  # what looks like a version, supported or not
DEFAULT_APP_ID = "1000000000000001"
DEFAULT_APP_SECRET = "sandbox-app-secret"
# "Instagram API with Instagram login" has its own app id and secret, distinct from the Meta app's.
DEFAULT_INSTAGRAM_APP_ID = "1000000000000002"
DEFAULT_INSTAGRAM_APP_SECRET = "sandbox-instagram-app-secret"
MAX_ACCOUNTS = 20_000
DEFAULT_REDIRECT_URI = "http://localhost:8765/callback"


@dataclass(frozen=True)
class Scenario:
    name: str
    simulates: str
    mistake: str
    meta_answers: str
    per_account: bool = True


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "personal-account",
            "the Instagram account is a personal account, not a professional one",
            "the client never switched to a Business or Creator account",
            "its Page shows no `instagram_business_account`; Instagram Login refuses it in the "
            "dialog; a token minted directly sees `account_type: PERSONAL` and (#10) on stories",
        ),
        Scenario(
            "no-page",
            "the Instagram account has no Facebook Page (global: the user manages no Page)",
            "the client never created a Page, or the agency was never given a role on it",
            "`/me/accounts` lacks the Page (global: `data: []`); Instagram Login still works",
        ),
        Scenario(
            "page-not-linked",
            "the Page exists but no Instagram account is linked to it",
            "the Instagram app's 'sharing to other apps' step was skipped",
            "the Page in `/me/accounts` has no `instagram_business_account` key",
        ),
        Scenario(
            "link-unconfirmed",
            "the Instagram account was linked but the Page owner never confirmed the link",
            "the 'review connection' prompt on the Page was ignored",
            "like page-not-linked on the wire: the key is absent; the dialog shows 'pending'",
        ),
        Scenario(
            "wrong-page",
            "the managed Page is linked to another Instagram account (`<name>_old`)",
            "the client linked the wrong Page or the wrong Instagram account",
            "`instagram_business_account{username}` names `<name>_old`, which has no stories",
        ),
        Scenario(
            "page-not-picked",
            "the Page is left unticked in the login dialog (and in `issue_token` defaults)",
            "the user clicked through Facebook Login for Business without picking every Page",
            "the Page is absent from `/me/accounts`; its IG account answers (#100) subcode 33",
        ),
        Scenario(
            "declined-permission",
            "a permission (default `instagram_manage_insights`; `declined-permission:SCOPE`) is "
            "declined in the dialog; per account: the grant leaves that account out",
            "the user unticked a permission in the dialog",
            "`/me/permissions` shows it `declined`; insights answer (#10) permission errors",
        ),
        Scenario(
            "password-changed",
            "the user changed their password: every token of the user dies",
            "a client or agency member changed their Facebook/Instagram password",
            "190 / subcode 460 on every call; `debug_token` 200 with `is_valid: false`",
        ),
        Scenario(
            "token-expired",
            "the user's tokens have expired",
            "nobody logged in again before day 60",
            "190 / subcode 463 on every call; `debug_token` 200 with `is_valid: false`",
        ),
        Scenario(
            "app-removed",
            "the user removed the app from their settings",
            "a client cleaned up 'Business Integrations' and removed the agency's app",
            "190 / subcode 458 on every call; `debug_token` 200 with `is_valid: false`",
        ),
        Scenario(
            "throttled",
            "the Instagram account is over its business-use-case budget for 60 sandbox minutes",
            "too many trackers or too frequent polling on one account",
            "code 80002 with `estimated_time_to_regain_access` in X-Business-Use-Case-Usage",
        ),
        Scenario(
            "app-throttled",
            "the app is over its platform rate limit",
            "many connections polling at once through one Meta app",
            "code 4 `(#4) Application request limit reached`, X-App-Usage at 100",
        ),
        Scenario(
            "user-throttled",
            "the user is over their rate limit",
            "one login driving too many calls",
            "code 17 `(#17) User request limit reached`",
        ),
        Scenario(
            "page-throttled",
            "the Page's rate limit is reached (calls about the account; global: every call)",
            "many tools polling the same Page",
            "code 32 `(#32) Page request limit reached` (HTTP 403)",
        ),
        Scenario(
            "custom-throttled",
            "Meta's custom (abuse-prevention) rate limit is reached",
            "bursts of calls Meta finds abusive",
            "code 613 `(#613) Calls to this api have exceeded the rate limit.`, no subcode",
        ),
        Scenario(
            "few-viewers",
            "every third story of the account has fewer than 5 viewers",
            "a small audience or a story posted minutes ago",
            "insights answer code 10 `(#10) Not enough viewers for the media to show insights`; "
            "a field-expanded listing that includes such a story fails the same way",
        ),
        Scenario(
            "flaky",
            "Meta having a bad day: bursts of 500/503, slow answers, dropped connections",
            "none: it happens; clients must retry transient errors with backoff",
            "`is_transient: true` bodies with codes 1/2, 2 s answers, closed sockets",
        ),
        Scenario(
            "multi-page",
            "five more Pages (`brand_1`..`brand_5`) and one Page without Instagram behind the "
            "login",
            "none: agencies often manage many Pages under one login",
            "`/me/accounts` pages through more entries (use `paging.next`)",
            per_account=False,
        ),
        Scenario(
            "high-volume",
            "the account posts ~150 times and gathers >25k likes in 30 days",
            "one busy client sharing a connection with others",
            "long `/media` listings; classify it as high-volume",
        ),
        Scenario(
            "already-connected",
            "a second user, Bob Brand, also manages the account's Page",
            "two people of the agency connect the same client",
            "logging in as Bob finds an account another connection already has",
        ),
        Scenario(
            "slow-start",
            "N (default 2, `slow-start:N`) of the account's 8 live stories start under 5 viewers "
            "and cross 5 after about 7 hours, reaching ~50 at 24 h (on the sandbox clock)",
            "none: a fresh story of a small account; polling it early",
            "`(#10) Not enough viewers for the media to show insights` while under 5, then numbers",
        ),
        Scenario(
            "reduce-data",
            "the field-expanded stories listing is too big: `limit` above N (default 10, "
            "`reduce-data:N`; a missing limit counts as 25) with `insights` in `fields`",
            "asking for a whole page of stories with their insights in one call",
            "code 1 `Please reduce the amount of data you're asking for, then retry your "
            "request` (HTTP 500); smaller pages, plain listings and per-story insights work",
        ),
        Scenario(
            "reduce-data-strict",
            "any field expansion of insights on the stories listing is too big",
            "relying on field expansion for insights",
            "code 1 `Please reduce the amount of data...` for every expanded listing; plain "
            "listings and per-story insights work",
        ),
        Scenario(
            "policy-blocked",
            "the account (or app) is temporarily blocked for policy for N minutes (default 60, "
            "`policy-blocked:N`) on the sandbox clock",
            "calling again and again after a block",
            "code 368 subcode 1390008 `It looks like you were misusing this feature by going too "
            "fast...` (HTTP 403)",
        ),
        Scenario(
            "metric-cancelled",
            "asking for one metric (default `facebook_views`, `metric-cancelled:METRIC`) makes "
            "Meta cancel the whole insights request",
            "asking for a metric that does not apply to the story together with the others",
            "code -1 subcode 2207086 `Fatal` (HTTP 400); the other metrics alone work",
        ),
        Scenario(
            "metric-forbidden",
            "one metric (default `total_views`, `metric-forbidden:METRIC`) answers a "
            "permission-style error",
            "asking for a metric the app may not read, together with the others",
            "code 200 `(#200) Permissions error` (HTTP 403); the other metrics alone work",
        ),
        Scenario(
            "exchange-drop",
            "the Facebook code exchange consumes the code and closes the socket without "
            "answering, for the next N codes (default 1, `exchange-drop:N`)",
            "none: a network cut at the worst moment; retrying the same code cannot work",
            "no answer; a retry with the same code gets `This authorization code has been used.` "
            "(100/36009)",
            per_account=False,
        ),
        Scenario(
            "checkpoint",
            "the user is checkpointed: every call answers 190/459 until the checkpoint is "
            "cleared (`sb.clear_checkpoint()` or `DELETE /__sandbox/scenario`)",
            "Meta asked the person to log in on facebook.com and confirm something",
            "190 / subcode 459 `... You cannot access the app till you log in to "
            "www.facebook.com and follow the instructions given.`; the same token works again "
            "once cleared",
        ),
        Scenario(
            "batch-timeout",
            "every Nth item of a batch (default 3, `batch-timeout:N`) times out",
            "none: Meta gives up on slow items of a batch",
            "those items are `null` in the batch answer; the others answer normally",
            per_account=False,
        ),
    ]
}

# Which scenarios are about the user's tokens (and so reach every account the user manages).
TOKEN_KILLERS = {
    "password-changed": 460,
    "token-expired": 463,
    "app-removed": 458,
    "checkpoint": 459,
}
DEFAULT_DECLINED_SCOPE = "instagram_manage_insights"


def parse_scenario(text: str) -> tuple[str, str | None, str | None]:
    """Split `NAME[:ARG][@account]` into its parts; raise ValueError on an unknown name."""
    spec, _, account = text.strip().partition("@")
    name, _, arg = spec.partition(":")
    if name not in SCENARIOS:
        known = ", ".join(sorted(SCENARIOS))
        raise ValueError(f"unknown sandbox scenario {name!r} (known: {known})")
    return name, (arg or None), (account.lstrip("@") or None)


@dataclass
class SandboxConfig:
    """Options of one sandbox. `port=0` picks a free port."""

    port: int = 0
    seed: int = 1
    accounts: int = 3
    stories: int = 8
    latency_ms: int = 0
    scenarios: list[str] = field(default_factory=list)
    redirect_uris: list[str] = field(default_factory=lambda: [DEFAULT_REDIRECT_URI])
    app_id: str = DEFAULT_APP_ID
    app_secret: str = DEFAULT_APP_SECRET
    instagram_app_id: str = DEFAULT_INSTAGRAM_APP_ID
    instagram_app_secret: str = DEFAULT_INSTAGRAM_APP_SECRET
    host: str = "127.0.0.1"
    # Budgets: calls per hour per app, calls per 24 h per Instagram account (fixed windows).
    app_calls_per_hour: int = 1_000_000
    account_calls_per_day: int = 500_000
    # Sandbox clock start (aware UTC); None = the real time when the sandbox starts.
    start_time: datetime | None = None
    graph_version: str = DEFAULT_VERSION

    def __post_init__(self) -> None:
        if self.host != "127.0.0.1":
            raise ValueError("the sandbox only listens on 127.0.0.1")
        if self.accounts < 1 or self.accounts > MAX_ACCOUNTS:
            raise ValueError(f"accounts must be between 1 and {MAX_ACCOUNTS}")
        if self.instagram_app_id == self.app_id:
            raise ValueError("the Instagram app id must differ from the Meta app id (as at Meta)")
        if self.stories < 0 or self.stories > 1000:
            raise ValueError("stories must be between 0 and 1000")
        for s in self.scenarios:
            parse_scenario(s)

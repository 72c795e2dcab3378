"""The sandbox's mutable state: clock, scenarios, tokens, codes, budgets, counters."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .config import (
    DEFAULT_DECLINED_SCOPE,
    TOKEN_KILLERS,
    SandboxConfig,
    parse_scenario,
)
from .world import ADA_ID, IgAccount, User, World

FACEBOOK_SCOPES = (
    "instagram_basic",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
    "business_management",
)
INSTAGRAM_SCOPES = ("instagram_business_basic", "instagram_business_manage_insights")
INSIGHTS_SCOPE = {
    "facebook": "instagram_manage_insights",
    "instagram": "instagram_business_manage_insights",
}
BASIC_SCOPE = {"facebook": "instagram_basic", "instagram": "instagram_business_basic"}
SHORT_FB = 6400  # a short-lived Facebook user token lives ~1-2 hours
SHORT_IG = 3600
LONG_LIVED = 5183944  # ~60 days
DATA_ACCESS = 90 * 86400
FB_CODE_TTL = 600
IG_CODE_TTL = 3600
THROTTLE_MINUTES = 60
POLICY_BLOCK_MINUTES = 60
SYSTEM_USER_BASE = 61550000000000000  # system users get ids of their own, like Meta's


@dataclass
class Token:
    value: str
    user_id: str  # Facebook user id, or the Instagram account id for Instagram Login
    provider: str  # "facebook" | "instagram"
    kind: str  # "short" | "long" | "page"
    scopes: tuple[str, ...]
    declined: tuple[str, ...] = ()
    pages: frozenset[str] | None = None  # Pages picked in the dialog (None = all)
    excluded: dict[str, frozenset[str]] = field(default_factory=dict)  # scope -> IG ids left out
    issued_at: float = 0.0
    expires_at: float = 0.0  # 0 = never
    data_access_expires_at: float = 0.0
    page_id: str | None = None
    app_id: str = ""  # the app the token was issued for ("" = the sandbox's Meta app)
    system_user: bool = False
    seq: int = 0  # mint order: a revoke kills the tokens minted before it


@dataclass
class Code:
    value: str
    provider: str
    user_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    declined: tuple[str, ...]
    pages: frozenset[str] | None
    created: float
    challenge: str | None = None
    used: bool = False


class State:
    def __init__(self, cfg: SandboxConfig) -> None:
        self.cfg = cfg
        self.lock = threading.RLock()
        self._start_real = time.time()
        self._start = cfg.start_time.timestamp() if cfg.start_time else self._start_real
        self.offset = 0.0
        self.redirect_uris: list[str] = list(cfg.redirect_uris)
        self.scenarios: list[tuple[str, str | None, str | None]] = []
        self.scenario_since: dict[tuple[str, str | None], float] = {}
        self.exchange_drops = 0  # codes whose exchange is still to be dropped
        self.system_users: dict[str, User] = {}  # Business Manager system users
        for s in cfg.scenarios:
            self._add_scenario(s)
        self.world = self._build_world()
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, Code] = {}
        # DELETE /me/permissions: user -> mint seq at the revoke; older tokens die, a new
        # consent mints newer ones that work.
        self.revoked: dict[str, int] = {}
        self.page_tokens: dict[tuple[str, str], str] = {}  # (user, Page) -> token value
        self.round_trips = 0  # HTTP requests to the API hosts
        self.api_calls = 0  # Graph calls, each batch item counted
        self.hashtag_names: dict[str, str] = {}  # hashtag id -> name, as searched
        self.session_user = ADA_ID
        self.session_ig = self._first_ig()
        self.requests: Counter[str] = Counter()
        self.app_window = (-1, 0)  # (hour, calls)
        self.account_windows: dict[str, tuple[int, int]] = {}
        self.hashtags: dict[str, dict[str, float]] = {}
        self._counter = itertools.count(1)
        self.flaky_counters: Counter[str] = Counter()

    # -- clock ------------------------------------------------------------------------------

    def now(self) -> float:
        return self._start + (time.time() - self._start_real) + self.offset

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    # -- scenarios --------------------------------------------------------------------------

    def _add_scenario(self, text: str) -> None:
        name, arg, account = parse_scenario(text)
        entry = (name, arg, account)
        if entry not in self.scenarios:
            self.scenarios.append(entry)
            self.scenario_since[(name, account)] = self.now()
            if name == "exchange-drop":
                self.exchange_drops += _int_arg(arg, 1)

    def _build_world(self) -> World:
        world = World(self.cfg.seed, self.cfg.accounts, self.cfg.stories, self.scenarios)
        world.users.update(self.system_users)  # system users outlive a rebuild of the world
        return world

    def set_scenario(self, text: str, account: str | None = None) -> None:
        if account and "@" not in text:
            text = f"{text}@{account}"
        with self.lock:
            self._add_scenario(text)
            self.world = self._build_world()

    def clear_scenarios(self) -> None:
        with self.lock:
            self.scenarios = []
            self.scenario_since = {}
            self.exchange_drops = 0
            self.world = self._build_world()

    def remove_scenario(self, text: str, account: str | None = None) -> None:
        """Remove one scenario (any argument), e.g. clear a checkpoint; unknown ones are ignored."""
        if account and "@" not in text:
            text = f"{text}@{account}"
        name, _arg, acct = parse_scenario(text)
        with self.lock:
            self.scenarios = [sc for sc in self.scenarios if (sc[0], sc[2]) != (name, acct)]
            self.scenario_since.pop((name, acct), None)
            if name == "exchange-drop":
                self.exchange_drops = 0
            self.world = self._build_world()

    def arg(self, name: str, username: str | None, default: int) -> int | None:
        """The integer argument of a scenario active for this account, None if it is not."""
        for n, arg, a in self.scenarios:
            if n == name and (a is None or a == username):
                return _int_arg(arg, default)
        return None

    def text_arg(self, name: str, username: str | None, default: str) -> str | None:
        for n, arg, a in self.scenarios:
            if n == name and (a is None or a == username):
                return arg or default
        return None

    def on(self, name: str, username: str | None) -> bool:
        """Is the scenario active for this account (or globally when username is None)?"""
        return any(n == name and (a is None or a == username) for n, _arg, a in self.scenarios)

    def on_any(self, name: str) -> bool:
        return any(n == name for n, _, _ in self.scenarios)

    def user_accounts(self, token: Token) -> list[IgAccount]:
        w = self.world
        if token.provider == "instagram":
            acct = w.accounts.get(token.user_id)
            return [acct] if acct else []
        user = w.users.get(token.user_id)
        if user is None:
            return []
        out = []
        for pid in user.page_ids:
            page = w.pages.get(pid)
            if page and page.ig_id and page.ig_id in w.accounts:
                out.append(w.accounts[page.ig_id])
        return out

    def user_scenario(self, name: str, token: Token) -> bool:
        """A user-level scenario: global, or aimed at an account this user manages or is."""
        for n, _arg, a in self.scenarios:
            if n != name:
                continue
            if a is None:
                return True
            if any(acct.username == a for acct in self.user_accounts(token)):
                return True
        return False

    def killer(self, token: Token) -> int | None:
        """The 190 subcode that kills this token now, or None if it is alive."""
        if token.seq <= self.revoked.get(token.user_id, 0):
            return 458
        # A system user has no password, no checkpoint and no settings page: only expiry.
        if not token.system_user:
            for name, sub in TOKEN_KILLERS.items():
                if self.user_scenario(name, token):
                    return sub
        if token.expires_at and token.expires_at <= self.now():
            return 463
        return None

    def revoke(self, user_id: str) -> None:
        self.revoked[user_id] = next(self._counter)

    def policy_blocked_until(self, username: str | None) -> float | None:
        """The end of a `policy-blocked` block on this account (or the app), if one is on."""
        for n, arg, a in self.scenarios:
            if n == "policy-blocked" and (a is None or a == username):
                since = self.scenario_since.get((n, a), self.now())
                until = since + _int_arg(arg, POLICY_BLOCK_MINUTES) * 60
                if self.now() < until:
                    return until
        return None

    def declined_defaults(self, provider: str) -> tuple[str, ...]:
        out = []
        for n, arg, a in self.scenarios:
            if n == "declined-permission" and a is None:
                scope = arg or DEFAULT_DECLINED_SCOPE
                if provider == "instagram" and scope == DEFAULT_DECLINED_SCOPE:
                    scope = INSIGHTS_SCOPE["instagram"]
                out.append(scope)
        return tuple(out)

    def excluded_defaults(self, provider: str) -> dict[str, frozenset[str]]:
        """declined-permission@account: the grant of the scope leaves that account out."""
        out: dict[str, set[str]] = {}
        for n, arg, a in self.scenarios:
            if n == "declined-permission" and a is not None:
                acct = self.world.by_username.get(a)
                if acct:
                    scope = arg or INSIGHTS_SCOPE[provider]
                    out.setdefault(scope, set()).add(acct.id)
        return {k: frozenset(v) for k, v in out.items()}

    def unpicked_pages(self, user_id: str) -> set[str]:
        w = self.world
        user = w.users.get(user_id)
        if user is None:
            return set()
        out = set()
        for pid in user.page_ids:
            acct = w.account_of_page(pid)
            page = w.pages[pid]
            name = acct.username if acct else None
            if self.on("page-not-picked", name) or (
                acct is None
                and any(n == "page-not-picked" and a is None for n, _, a in self.scenarios)
            ):
                out.add(page.id)
        return out

    def throttled_until(self, username: str) -> float | None:
        for (n, a), since in self.scenario_since.items():
            if n == "throttled" and (a is None or a == username):
                until = since + THROTTLE_MINUTES * 60
                if self.now() < until:
                    return until
        return None

    def _first_ig(self) -> str:
        for acct in self.world.accounts.values():
            return acct.id
        return ""

    # -- tokens and codes -------------------------------------------------------------------

    def _secret(self, prefix: str) -> str:
        raw = f"{self.cfg.seed}:{next(self._counter)}:{time.time_ns()}".encode()
        return prefix + hashlib.sha256(raw).hexdigest()[:48]

    def mint(
        self,
        user_id: str,
        provider: str,
        kind: str,
        scopes: tuple[str, ...],
        *,
        declined: tuple[str, ...] = (),
        pages: frozenset[str] | None = None,
        page_id: str | None = None,
        excluded: dict[str, frozenset[str]] | None = None,
        life: int | None = None,
        app_id: str = "",
        system_user: bool = False,
    ) -> Token:
        now = self.now()
        if provider == "facebook":
            prefix = "EAAB" if kind != "page" else "EAAP"
            default = {"short": SHORT_FB, "long": LONG_LIVED, "page": 0}[kind]
        else:
            prefix = "IGAA" if kind == "long" else "IGQW"
            default = {"short": SHORT_IG, "long": LONG_LIVED}[kind]
        life = default if life is None else life
        token = Token(
            value=self._secret(prefix),
            user_id=user_id,
            provider=provider,
            kind=kind,
            scopes=scopes,
            declined=declined,
            pages=pages,
            excluded=dict(excluded or {}),
            issued_at=now,
            expires_at=(now + life) if life else 0.0,
            data_access_expires_at=(
                (now + DATA_ACCESS) if provider == "facebook" and not system_user else 0.0
            ),
            page_id=page_id,
            app_id=app_id,
            system_user=system_user,
            seq=next(self._counter),
        )
        self.tokens[token.value] = token
        return token

    def new_code(self, **kw: object) -> Code:
        code = Code(value=self._secret("AQ"), created=self.now(), **kw)  # type: ignore[arg-type]
        self.codes[code.value] = code
        return code

    # -- budgets ----------------------------------------------------------------------------

    def count_app(self) -> int:
        """Count one call against the app's hourly budget; return usage percent."""
        hour = int(self.now() // 3600)
        h, n = self.app_window
        n = n + 1 if h == hour else 1
        self.app_window = (hour, n)
        return n * 100 // max(1, self.cfg.app_calls_per_hour)

    def app_usage(self) -> int:
        hour = int(self.now() // 3600)
        h, n = self.app_window
        return (n if h == hour else 0) * 100 // max(1, self.cfg.app_calls_per_hour)

    def count_account(self, ig_id: str) -> tuple[int, int]:
        """Count one call against the account's daily budget; return (percent, minutes left)."""
        now = self.now()
        day = int(now // 86400)
        d, n = self.account_windows.get(ig_id, (-1, 0))
        n = n + 1 if d == day else 1
        self.account_windows[ig_id] = (day, n)
        pct = n * 100 // max(1, self.cfg.account_calls_per_day)
        minutes = int(((day + 1) * 86400 - now) // 60) + 1 if pct >= 100 else 0
        return pct, minutes


def _int_arg(arg: str | None, default: int) -> int:
    try:
        return int(arg) if arg else default
    except ValueError:
        return default

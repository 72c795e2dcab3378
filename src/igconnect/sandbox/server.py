"""The sandbox: router, admin API, flaky behaviour, and the `Sandbox` running in a thread."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime
from typing import Any

from . import errors as E
from .api import GraphApi
from .config import SandboxConfig
from .http import Request, Response, serve
from .oauth import Dialogs, ig_exchange
from .state import (
    FACEBOOK_SCOPES,
    INSTAGRAM_SCOPES,
    LONG_LIVED,
    SYSTEM_USER_BASE,
    State,
)
from .world import ADA_ID, User, World, h

JSON = "application/json; charset=UTF-8"
API_PREFIXES = ("/graph", "/ig-graph", "/ig-api")


def _json(body: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(body).encode(), [], JSON)


class App:
    """Routes one request to the right simulated host."""

    def __init__(self, state: State, base_url: str) -> None:
        self.s = state
        self.api = GraphApi(state, base_url)
        self.dialogs = Dialogs(state)

    def __call__(self, req: Request) -> Response:
        path = req.path
        slash = path.find("/", 1)
        prefix, rest = (path, "/") if slash < 0 else (path[:slash], path[slash:])
        s = self.s
        if prefix == "/__sandbox":
            return self.admin(req, rest)
        s.requests[path] += 1
        slow = 0.0
        if prefix in API_PREFIXES:
            s.round_trips += 1
            flaky = self._flaky(prefix, rest)
            if flaky is not None and not flaky.delay:
                return flaky
            if flaky is not None:
                slow = flaky.delay
        if prefix == "/graph":
            resp = self.api.handle(req, "graph", rest)
        elif prefix == "/ig-graph":
            resp = self.api.handle(req, "ig-graph", rest)
        elif prefix == "/ig-api":
            if rest.rstrip("/") == "/oauth/access_token":
                s.api_calls += 1
                resp = ig_exchange(s, req)
            else:
                resp = _json(
                    {"error_type": "NotFound", "code": 404, "error_message": "Not found"}, 404
                )
        elif prefix == "/facebook":
            resp = self.dialogs.facebook(req, rest)
        elif prefix == "/instagram":
            resp = self.dialogs.instagram(req, rest)
        else:
            resp = Response(404, b"Not Found", [], "text/plain")
        if s.cfg.latency_ms:
            resp.delay += s.cfg.latency_ms / 1000
        resp.delay += slow
        return resp

    def _flaky(self, prefix: str, rest: str) -> Response | None:
        s = self.s
        if not s.on_any("flaky"):
            return None
        key = "*"
        if not s.on("flaky", None):
            seg = [p for p in rest.split("/") if p][1:2]
            acct = self.api._target_account(seg[0], _NoCtx()) if seg else None  # type: ignore[arg-type]
            if acct is None or not s.on("flaky", acct.username):
                return None
            key = acct.id
        n = s.flaky_counters[key]
        s.flaky_counters[key] += 1
        pos = (n + h(s.cfg.seed, "flaky") % 20) % 20
        if pos in (0, 1, 2):
            err = E.server_error(503 if pos != 1 else 500)
            return Response(err.status, err.to_json(), [], JSON)
        if pos == 9:
            return Response(drop=True)
        if pos == 14:
            return Response(delay=2.0)  # a slow answer: handled normally, sent late
        return None

    # -- admin ------------------------------------------------------------------------------

    def admin(self, req: Request, rest: str) -> Response:
        s = self.s
        try:
            body = json.loads(req.body or b"{}") if req.body else {}
        except ValueError:
            return _json({"error": "body must be JSON"}, 400)
        parts = [p for p in rest.split("/") if p]
        what = parts[0] if parts else ""
        if what == "health":
            return _json({"ok": True})
        if what == "clock":
            if req.method == "POST":
                s.advance(float(body.get("advance_seconds", 0)))
            return _json({"now": s.now_dt().isoformat()})
        if what == "session" and req.method == "POST":
            uid = str(body.get("user_id", ""))
            try:
                set_session(s, uid)
            except ValueError as exc:
                return _json({"error": str(exc)}, 400)
            return _json({"user_id": uid})
        if what == "scenario":
            if req.method == "DELETE" and body.get("scenario"):
                try:  # one scenario, e.g. clearing a checkpoint
                    s.remove_scenario(str(body["scenario"]), body.get("account"))
                except ValueError as exc:
                    return _json({"error": str(exc)}, 400)
            elif req.method == "DELETE":
                s.clear_scenarios()
            elif req.method == "POST":
                try:
                    s.set_scenario(str(body.get("scenario", "")), body.get("account"))
                except ValueError as exc:
                    return _json({"error": str(exc)}, 400)
            return _json({"scenarios": [_fmt(sc) for sc in s.scenarios]})
        if what == "token" and req.method == "POST":
            try:
                token = issue_token(
                    s,
                    str(body.get("user_id", "")),
                    provider=body.get("provider", "facebook"),
                    scopes=body.get("scopes"),
                    pages=body.get("pages"),
                )
            except ValueError as exc:
                return _json({"error": str(exc)}, 400)
            return _json({"access_token": token})
        if what == "system_user" and req.method == "POST":
            try:
                token, user_id = issue_system_user_token(
                    s,
                    pages=body.get("pages"),
                    scopes=body.get("scopes"),
                    expires_in_60_days=bool(body.get("expires_in_60_days", False)),
                    app_id=body.get("app_id"),
                    name=body.get("name"),
                )
            except ValueError as exc:
                return _json({"error": str(exc)}, 400)
            return _json({"access_token": token, "user_id": user_id})
        if what == "counters":
            if req.method == "DELETE":
                s.round_trips = s.api_calls = 0
            return _json(counters(s))
        if what == "redirect_uri" and req.method == "POST":
            uri = str(body.get("uri", ""))
            if uri and uri not in s.redirect_uris:
                s.redirect_uris.append(uri)
            return _json({"redirect_uris": s.redirect_uris})
        if what == "requests":
            return _json({"count": request_count(s, req.query.get("path_prefix"))})
        if what == "world":
            return _json(world_summary(s.world))
        return _json({"error": "unknown admin endpoint"}, 404)


class _NoCtx:
    provider = "facebook"
    token = None


def _fmt(sc: tuple[str, str | None, str | None]) -> str:
    name, arg, acct = sc
    return name + (f":{arg}" if arg else "") + (f"@{acct}" if acct else "")


def set_session(s: State, user_id: str) -> None:
    w = s.world
    if user_id in w.users:
        s.session_user = user_id
    elif user_id in w.accounts:
        s.session_ig = user_id
    elif user_id in w.by_username:
        s.session_ig = w.by_username[user_id].id
    else:
        raise ValueError(f"no sandbox user or Instagram account {user_id!r}")


def issue_token(
    s: State,
    user_id: str,
    provider: str = "facebook",
    scopes: list[str] | None = None,
    pages: list[str] | None = None,
) -> str:
    w = s.world
    if provider == "facebook":
        if user_id not in w.users:
            raise ValueError(f"no sandbox Facebook user {user_id!r}")
        wanted = tuple(scopes) if scopes is not None else FACEBOOK_SCOPES
        declined = tuple(sc for sc in s.declined_defaults("facebook") if sc in wanted)
        granted = tuple(sc for sc in wanted if sc not in declined)
        if pages is None:
            unpicked = s.unpicked_pages(user_id)
            picked: frozenset[str] | None = (
                frozenset(p for p in w.users[user_id].page_ids if p not in unpicked)
                if unpicked
                else None
            )
        else:
            picked = frozenset(pages)
        token = s.mint(
            user_id,
            "facebook",
            "long",
            granted,
            declined=declined,
            pages=picked,
            excluded=s.excluded_defaults("facebook"),
        )
        return token.value
    if provider == "instagram":
        acct = w.accounts.get(user_id) or w.by_username.get(user_id)
        if acct is None:
            raise ValueError(f"no sandbox Instagram account {user_id!r}")
        wanted = tuple(scopes) if scopes is not None else INSTAGRAM_SCOPES
        declined = tuple(sc for sc in s.declined_defaults("instagram") if sc in wanted)
        granted = tuple(sc for sc in wanted if sc not in declined)
        token = s.mint(
            acct.id,
            "instagram",
            "long",
            granted,
            declined=declined,
            excluded=s.excluded_defaults("instagram"),
        )
        return token.value
    raise ValueError("provider must be 'facebook' or 'instagram'")


def issue_system_user_token(
    s: State,
    *,
    pages: list[str] | None = None,
    scopes: list[str] | None = None,
    expires_in_60_days: bool = False,
    app_id: str | None = None,
    name: str | None = None,
) -> tuple[str, str]:
    """A Business Manager system user with assigned Pages, and its token: (token, user id).

    `pages` are Page ids or Instagram usernames (None: every Page of the agency's business);
    the token never expires unless `expires_in_60_days`; `app_id` another app's id makes it a
    token of that app (debug_token reports it).
    """
    w = s.world
    assigned: list[str] = []
    wanted = pages if pages is not None else list(w.users[ADA_ID].page_ids)
    for ref in wanted:
        ref = str(ref)
        acct = w.by_username.get(ref)
        pid = acct.page_id if acct else ref
        if not pid or pid not in w.pages:
            raise ValueError(f"no sandbox Page or Instagram account {ref!r} with a Page")
        assigned.append(pid)
    uid = str(SYSTEM_USER_BASE + len(s.system_users) + 1)
    user = User(uid, name or f"Sandbox System User {len(s.system_users) + 1}", "")
    user.page_ids = assigned
    with s.lock:
        s.system_users[uid] = user
        w.users[uid] = user
    granted = tuple(scopes) if scopes is not None else FACEBOOK_SCOPES
    other = str(app_id) if app_id and str(app_id) != s.cfg.app_id else ""
    token = s.mint(
        uid,
        "facebook",
        "long",
        granted,
        life=LONG_LIVED if expires_in_60_days else 0,
        app_id=other,
        system_user=True,
    )
    return token.value, uid


def counters(s: State) -> dict[str, int]:
    """HTTP round trips to the API hosts, and API calls (each batch item counts as one)."""
    return {"round_trips": s.round_trips, "api_calls": s.api_calls}


def request_count(s: State, path_prefix: str | None = None) -> int:
    if not path_prefix:
        return sum(s.requests.values())
    return sum(n for p, n in list(s.requests.items()) if p.startswith(path_prefix))


def world_summary(w: World) -> dict[str, Any]:
    return {
        "users": [{"id": u.id, "name": u.name, "pages": u.page_ids} for u in w.users.values()],
        "pages": [
            {
                "id": p.id,
                "name": p.name,
                "instagram_account": p.ig_id,
                "link_confirmed": p.link_confirmed,
            }
            for p in w.pages.values()
        ],
        "accounts": [
            {
                "id": a.id,
                "username": a.username,
                "name": a.name,
                "page": a.page_id,
                "account_type": a.account_type,
                "followers": a.followers,
                "high_volume": a.high_volume,
            }
            for a in w.accounts.values()
        ],
    }


class Sandbox:
    """A running sandbox (context manager). Starts a background thread bound to 127.0.0.1."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.state = State(self.config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self._run, name="igconnect-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(self._start_server())
        except BaseException as exc:  # report to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

    async def _start_server(self) -> asyncio.Server:
        app_ref: list[App] = []

        def handler(req: Request) -> Response:
            return app_ref[0](req)

        server = await serve(handler, self.config.host, self.config.port)
        self.port = server.sockets[0].getsockname()[1]
        app_ref.append(App(self.state, self.base_url))
        return server

    def stop(self) -> None:
        if self._loop and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- public API -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def world(self) -> World:
        return self.state.world

    def env(self) -> dict[str, str]:
        b = self.base_url
        return {
            "IGCONNECT_GRAPH_URL": f"{b}/graph",
            "IGCONNECT_FACEBOOK_URL": f"{b}/facebook",
            "IGCONNECT_INSTAGRAM_GRAPH_URL": f"{b}/ig-graph",
            "IGCONNECT_INSTAGRAM_URL": f"{b}/instagram",
            "IGCONNECT_INSTAGRAM_API_URL": f"{b}/ig-api",
            "IGCONNECT_GRAPH_VERSION": self.config.graph_version,
            "IGCONNECT_APP_ID": self.config.app_id,
            "IGCONNECT_INSTAGRAM_APP_ID": self.config.instagram_app_id,
        }

    def now(self) -> datetime:
        return self.state.now_dt()

    def advance_clock(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> None:
        self.state.advance(days * 86400 + hours * 3600 + minutes * 60 + seconds)

    def set_session_user(self, user_id: str) -> None:
        set_session(self.state, user_id)

    def issue_token(
        self,
        user_id: str,
        provider: str = "facebook",
        scopes: list[str] | None = None,
        pages: list[str] | None = None,
    ) -> str:
        return issue_token(self.state, user_id, provider, scopes, pages)

    def issue_system_user_token(
        self,
        *,
        pages: list[str] | None = None,
        scopes: list[str] | None = None,
        expires_in_60_days: bool = False,
        app_id: str | None = None,
        name: str | None = None,
    ) -> str:
        """Mint a system-user token (see `issue_system_user_token`); `/me` tells its user."""
        token, _uid = issue_system_user_token(
            self.state,
            pages=pages,
            scopes=scopes,
            expires_in_60_days=expires_in_60_days,
            app_id=app_id,
            name=name,
        )
        return token

    def request_count(self, path_prefix: str | None = None) -> int:
        return request_count(self.state, path_prefix)

    def counters(self) -> dict[str, int]:
        return counters(self.state)

    def reset_counters(self) -> None:
        self.state.round_trips = self.state.api_calls = 0

    def add_redirect_uri(self, uri: str) -> None:
        if uri not in self.state.redirect_uris:
            self.state.redirect_uris.append(uri)

    def set_scenario(self, name: str, account: str | None = None) -> None:
        self.state.set_scenario(name, account)

    def clear_scenarios(self) -> None:
        self.state.clear_scenarios()

    def remove_scenario(self, name: str, account: str | None = None) -> None:
        self.state.remove_scenario(name, account)

    def clear_checkpoint(self, account: str | None = None) -> None:
        """The person logged in on facebook.com and cleared it: their tokens work again."""
        self.state.remove_scenario("checkpoint", account)

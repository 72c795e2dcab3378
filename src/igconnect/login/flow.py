"""The browser login: callback server, browser (or pasted URL), the code exchanges; `finish.py`
checks and stores what came back.

`run_login` is the one entry point of a login in this machine's browser (the CLI and `igconnect
demo` call it); `invite.py` is the same login completed on the client's device, `system_user.py`
a token handed over on stdin. Nothing is stored until every step has worked.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from igconnect.connections.clients import login_provider
from igconnect.connections.model import Connection, validate_name
from igconnect.connections.store import ConnectionStore
from igconnect.errors import ConflictError, IgconnectError, LoginFailed, UsageError
from igconnect.login import pages
from igconnect.login.callback_server import CallbackServer
from igconnect.login.finish import (
    AlreadyConnected,
    LoginResult,
    finish_login,
    missing_items,
    name_clash,
)
from igconnect.meta.errors import InvalidPlatformApp, MetaApiError, Throttled, TransientError
from igconnect.meta.oauth import FACEBOOK, INSTAGRAM, LoginProvider, Pkce, new_pkce, new_state
from igconnect.redact import redact

if TYPE_CHECKING:
    from igconnect.login.callback_server import Callback
    from igconnect.runtime import Runtime

PROVIDERS = (FACEBOOK, INSTAGRAM)
__all__ = ["LoginOptions", "LoginResult", "missing_items", "run_login"]


@dataclass
class LoginOptions:
    provider: str | None = None  # None: facebook, or the provider of the connection reconnected
    name: str | None = None
    port: int | None = None  # None: the login_port setting
    no_browser: bool = False
    timeout: float | None = None  # None: the login_timeout setting
    reconnect: str | None = None
    force: bool = False


@dataclass(frozen=True)
class BrowserPlan:
    open_browser: bool
    accept_paste: bool
    why: str  # why the URL is printed for pasting, if it is


def browser_plan(
    no_browser: bool, environ: dict[str, str] | os._Environ[str], platform: str
) -> BrowserPlan:
    """Open a browser here, or print the URL and accept the redirect URL pasted on stdin?"""
    if no_browser:
        return BrowserPlan(False, True, "--no-browser")
    ssh = bool(environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"))
    display = platform != "linux" or bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    # BROWSER names a browser command the user chose (it may be a text browser): honour it anyway.
    chosen = bool(environ.get("BROWSER"))
    open_browser = chosen or (display and not ssh)
    if ssh:
        return BrowserPlan(open_browser, True, "an SSH session")
    if not display:
        return BrowserPlan(open_browser, True, "no display")
    return BrowserPlan(open_browser, False, "")


def run_login(
    runtime: Runtime,
    options: LoginOptions,
    *,
    open_url: Callable[[str], object] | None = None,
    paste_input: TextIO | None = None,
    notify: Callable[[str], None] = lambda message: None,
) -> LoginResult:
    """Log in through the browser and store the connection.

    `open_url(url)`: opens the authorize URL (default `webbrowser.open`, used only when a browser can
    be shown; a given callable is always used). `paste_input`: where a pasted redirect URL is read
    from when there is no usable browser (default stdin). `notify(text)`: progress for the person.
    """
    target, provider_name = _resolve_target(runtime, options)
    if options.name and not target:
        validate_name(options.name)
        if ConnectionStore(runtime.state.db).find(options.name) is not None:
            raise name_clash(options.name)
    store = runtime.secret_store
    store.check()  # fail before the browser, not after the user has logged in
    settings = runtime.settings
    port = options.port or settings.get("login_port")
    timeout = options.timeout or settings.get("login_timeout")
    state = new_state()
    pkce = new_pkce() if settings.get("login_pkce") else None
    provider = login_provider(runtime, provider_name)
    # The dialog takes the person's password: a dialog setting pointed elsewhere is refused like
    # any place a token would go.
    from igconnect.trust import guard_token_destination

    dialog = (
        runtime.endpoints.instagram_url
        if provider_name == INSTAGRAM
        else runtime.endpoints.facebook_url
    )
    guard_token_destination(dialog, runtime.settings, runtime.paths)
    # A reconnect always asks again for declined permissions (Facebook's auth_type=rerequest;
    # Instagram's force_reauth): the fix a login without them points to must be able to work.
    rerequest = target is not None
    config_id = settings.get("facebook_config_id") if provider_name == FACEBOOK else None

    with CallbackServer(port, state) as server:
        url = provider.authorize_url(
            server.redirect_uri, state, pkce=pkce, rerequest=rerequest, config_id=config_id
        )
        _start_browser(
            server, url, options, runtime, open_url, paste_input, notify, provider_name, timeout
        )
        callback = server.wait(timeout)
        notify("Login received; finishing it with Meta…")
        try:
            result = _complete(
                runtime, provider, callback, server.redirect_uri, pkce, options, target
            )
        except BaseException as exc:
            server.finish(_failure_page(exc))
            raise
        server.finish(
            pages.success_page(
                result.connection.name,
                [a.username for a in result.reach.accounts],
                result.missing,
            )
        )
    return result


# -- before the browser ---------------------------------------------------------------------------
def _resolve_target(runtime: Runtime, options: LoginOptions) -> tuple[Connection | None, str]:
    if options.provider is not None and options.provider not in PROVIDERS:
        raise UsageError(
            f"unknown provider '{options.provider}'", hint="use --provider facebook or instagram"
        )
    if not options.reconnect:
        return None, options.provider or FACEBOOK
    target = ConnectionStore(runtime.state.db).get(options.reconnect)
    if options.provider and options.provider != target.provider:
        raise UsageError(
            f"connection '{target.name}' uses {target.provider.capitalize()} Login, not "
            f"{options.provider.capitalize()} Login",
            hint=f"drop --provider, or add a new connection with `igconnect login --provider "
            f"{options.provider}`",
        )
    if options.name and options.name != target.name:
        raise UsageError(
            "--name cannot rename a connection while reconnecting it",
            hint=f"reconnect first, then run `igconnect connections rename {target.name} NEW`",
        )
    return target, target.provider


def _start_browser(
    server: CallbackServer,
    url: str,
    options: LoginOptions,
    runtime: Runtime,
    open_url: Callable[[str], object] | None,
    paste_input: TextIO | None,
    notify: Callable[[str], None],
    provider_name: str,
    timeout: float,
) -> None:
    login_kind = "Instagram Login" if provider_name == INSTAGRAM else "Facebook Login"
    if open_url is not None:
        plan = BrowserPlan(not options.no_browser, options.no_browser, "--no-browser")
    else:
        plan = browser_plan(options.no_browser, dict(runtime.environ), sys.platform)
    opened = False
    if plan.open_browser:
        opener = open_url
        if opener is None:
            import webbrowser

            opener = webbrowser.open
        try:
            opened = bool(opener(url))
        except Exception:  # a broken BROWSER command: fall back to pasting
            opened = False
    if opened:
        notify(f"Opened your browser for {login_kind}. If it did not open, visit:\n{url}")
    else:
        notify(f"Open this address in a browser to log in with {login_kind}:\n{url}")
    pasting = plan.accept_paste or not opened
    if pasting:
        # Say why only when it is true: a browser that did open (BROWSER set without a display)
        # is not "no display".
        why = (
            ""
            if opened
            else f"({plan.why if plan.accept_paste else 'no browser could be opened'}) "
        )
        notify(
            f"{why}When the browser ends on an address starting with {server.redirect_uri}, "
            "paste that whole address here and press Enter. For a login from another machine, "
            f"`ssh -L {server.port}:localhost:{server.port}` lets its browser reach this one."
        )
        _read_pasted_urls(server, paste_input if paste_input is not None else sys.stdin, notify)
    notify(waiting_hint(timeout, pasting))


def waiting_hint(timeout: float, pasting: bool) -> str:
    """What the person can do while igconnect waits: the dialog may refuse without coming back."""
    text = f"Waiting up to {timeout:g} s for the login; press Ctrl-C to cancel."
    if not pasting:
        text += (
            " If the dialog refuses or cannot come back here, cancel and run "
            "`igconnect login --no-browser` to paste the address the browser ends on."
        )
    return text


def _read_pasted_urls(
    server: CallbackServer, stream: TextIO, notify: Callable[[str], None]
) -> None:
    """Judge each pasted line in the background; the loopback callback may still win the race."""

    def read() -> None:
        try:
            for line in stream:
                if server.gate.decided.is_set():
                    return
                if not line.strip():
                    continue
                verdict = server.gate.judge_url(line)
                if verdict.accepted or server.gate.decided.is_set():
                    return
                notify(
                    f"That address was not accepted: {redact(verdict.reason)}. Paste the address again."
                )
        except (OSError, ValueError):
            return  # stdin closed or unreadable: only the loopback server is left

    threading.Thread(target=read, name="igconnect-paste", daemon=True).start()


# -- after the callback ---------------------------------------------------------------------------
def _complete(
    runtime: Runtime,
    provider: LoginProvider,
    callback: Callback,
    redirect_uri: str,
    pkce: Pkce | None,
    options: LoginOptions,
    target: Connection | None,
) -> LoginResult:
    try:
        short = provider.exchange_code(callback.code, redirect_uri, pkce)
        grant = provider.long_lived(short)
    except (TransientError, Throttled, InvalidPlatformApp):
        raise  # Meta's trouble, or the app's set-up: their own exit codes and hints say what to do
    except MetaApiError as exc:
        raise _exchange_refused(exc, redirect_uri) from None
    return finish_login(
        runtime, provider, grant, name=options.name, target=target, force=options.force
    )


def _exchange_refused(exc: MetaApiError, redirect_uri: str) -> LoginFailed:
    return LoginFailed(
        f"Meta refused to exchange the login code for a token: {exc.meta_message}",
        hint=exc.hint
        or "a code works once and for a few minutes: run `igconnect login` again; if Meta keeps "
        f"refusing, check the app id and secret (`igconnect app show`) and that {redirect_uri} "
        "is a registered redirect URI; if it mentions the code verifier, "
        "`igconnect config set login_pkce false`",
    )


def _failure_page(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return pages.failure_page(
            "Login stopped",
            "The login was interrupted at the terminal; nothing was stored.",
            "Run `igconnect login` again.",
        )
    if isinstance(exc, ConflictError):
        title = "Already connected" if isinstance(exc, AlreadyConnected) else "Not connected"
        return pages.failure_page(title, redact(exc.message), redact(exc.hint or ""))
    if isinstance(exc, IgconnectError):
        return pages.failure_page(
            "Login failed",
            redact(exc.message) + ". Nothing was stored.",
            redact(exc.hint or "Go back to the terminal."),
        )
    return pages.failure_page(
        "Login failed", "Something unexpected went wrong; nothing was stored.", "See the terminal."
    )

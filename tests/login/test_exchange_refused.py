"""Meta refusing the code exchange is a failed login (exit 13) with a next step, never "unexpected"
(issue 15, case 6): a code already used, a PKCE mismatch, an error body, an unreadable answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from igconnect.errors import ExitCode, LoginFailed
from igconnect.login import flow
from igconnect.login.flow import LoginOptions, run_login
from igconnect.meta.oauth import Pkce, new_pkce
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from tests import stored
from tests.login.conftest import FakeBrowser


def _with_code(code: str) -> Callable[[str], str]:
    return lambda url: re.sub(r"([?&]code=)[^&#]+", rf"\g<1>{code}", url)


def _login(browser: FakeBrowser) -> LoginFailed:
    with pytest.raises(LoginFailed) as caught:
        run_login(Runtime(), LoginOptions(name="acme"), open_url=browser)
    browser.wait()
    error = caught.value
    assert error.exit_code == ExitCode.LOGIN_FAILED
    assert "igconnect login" in (error.hint or "")
    assert "acme" not in stored.connections()
    return error


def test_a_code_already_used(sandbox_env: Callable[..., Sandbox]) -> None:
    sandbox_env()
    first = FakeBrowser(tamper=lambda url: (codes.append(url), url)[1])
    codes: list[str] = []
    run_login(Runtime(), LoginOptions(name="first"), open_url=first)
    first.wait()
    used = re.search(r"[?&]code=([^&#]+)", codes[0])
    assert used is not None
    error = _login(FakeBrowser(tamper=_with_code(used[1])))
    assert "has been used" in error.message


def test_a_code_meta_does_not_know(sandbox_env: Callable[..., Sandbox]) -> None:
    sandbox_env()
    error = _login(FakeBrowser(tamper=_with_code("not-a-code")))
    assert "refused" in error.message


def test_a_pkce_mismatch(sandbox_env: Callable[..., Sandbox], monkeypatch: Any) -> None:
    sandbox_env()
    other = new_pkce()
    monkeypatch.setattr(flow, "new_pkce", lambda: Pkce(new_pkce().verifier, other.challenge))
    error = _login(FakeBrowser())
    assert "login_pkce" in (error.hint or "")


def test_an_unreadable_answer(sandbox_env: Callable[..., Sandbox], monkeypatch: Any) -> None:
    from igconnect.meta import client as meta_client

    sandbox_env()
    real_decode = meta_client._decode

    def garbled(response: Any) -> Any:
        if response.request.url.path.endswith("/oauth/access_token"):
            response._content = b"<html>not json"
        return real_decode(response)

    monkeypatch.setattr(meta_client, "_decode", garbled)
    _login(FakeBrowser())


def test_the_cli_exits_13_with_one_line(login_process: Callable[..., Any]) -> None:
    from igconnect.sandbox.consent import follow_consent
    from tests.login.harness import read_login_url

    process = login_process().start("login", "--no-browser", "--name", "acme", "--timeout", "60")
    url, _ = read_login_url(process)
    redirect = _with_code("not-a-code")(follow_consent(url))
    _, stderr = process.communicate(redirect + "\n", timeout=60)
    assert process.returncode == ExitCode.LOGIN_FAILED, stderr
    assert "unexpected" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("Error: Meta refused")

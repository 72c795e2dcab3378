"""The loopback callback server on its own: one valid callback, everything else refused."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from igconnect.errors import ExitCode, LoginFailed
from igconnect.login.callback_server import MAX_REQUEST_LINE, CallbackServer, PortBusy

STATE = "expected-state-value-1234567890"


@pytest.fixture
def server() -> CallbackServer:
    srv = CallbackServer(0, STATE).start()
    yield srv  # type: ignore[misc]
    srv.close()


def _get(server: CallbackServer, path: str, host: str = "127.0.0.1") -> httpx.Response:
    netloc = f"[{host}]" if ":" in host else host
    return httpx.get(f"http://{netloc}:{server.port}{path}", timeout=10)


def test_redirect_uri_is_localhost_callback(server: CallbackServer) -> None:
    assert server.redirect_uri == f"http://localhost:{server.port}/callback"
    assert "127.0.0.1" in server.addresses


def test_valid_callback_is_held_until_the_final_page(server: CallbackServer) -> None:
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(_get(server, f"/callback?code=abc123&state={STATE}"))
    )
    thread.start()
    callback = server.wait(5)
    assert callback.code == "abc123" and callback.source == "browser"
    assert not answers  # still waiting for the result of the login
    server.finish("<html><main id=result>done</main></html>")
    thread.join(5)
    assert answers[0].status_code == 200
    assert "done" in answers[0].text
    assert answers[0].headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in answers[0].headers["Content-Security-Policy"]


def test_wrong_state_is_refused_and_does_not_decide(server: CallbackServer) -> None:
    answer = _get(server, "/callback?code=abc123&state=forged")
    assert answer.status_code == 400
    assert "does not belong to the login in progress" in answer.text
    assert not server.gate.decided.is_set()
    with pytest.raises(LoginFailed, match="state does not match") as info:
        server.wait(0.3)
    assert info.value.exit_code == ExitCode.LOGIN_FAILED


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (f"state={STATE}", "carries no code"),
        (f"code=&state={STATE}", "carries no code"),
        (f"code=a&code=b&state={STATE}", "repeats a parameter"),
        ("code=abc&", "could not be read"),
        ("%%%&&==", "could not be read"),
        (f"code={'x' * 3000}&state={STATE}", "malformed"),
        ("", "state does not match"),
    ],
)
def test_malformed_callbacks_are_refused(server: CallbackServer, query: str, reason: str) -> None:
    answer = _get(server, "/callback?" + query)
    assert answer.status_code == 400
    assert not server.gate.decided.is_set()
    assert reason in server.gate.rejections[-1]


def test_oversized_request_line_is_refused(server: CallbackServer) -> None:
    answer = _get(server, f"/callback?code={'x' * MAX_REQUEST_LINE}&state={STATE}")
    assert answer.status_code == 414
    assert not server.gate.decided.is_set()


def test_other_paths_answer_404(server: CallbackServer) -> None:
    for path in ("/", "/favicon.ico", f"/callbackx?code=a&state={STATE}", "/callback/x"):
        assert _get(server, path).status_code == 404
    assert not server.gate.decided.is_set()


def test_post_is_refused(server: CallbackServer) -> None:
    answer = httpx.post(f"http://127.0.0.1:{server.port}/callback?code=a&state={STATE}", timeout=5)
    assert answer.status_code == 405
    assert not server.gate.decided.is_set()


def test_second_callback_after_success_is_refused(server: CallbackServer) -> None:
    server.gate.judge_query(f"code=first&state={STATE}", "pasted")
    answer = _get(server, f"/callback?code=second&state={STATE}")
    assert answer.status_code == 410
    assert "already complete" in answer.text
    assert server.wait(1).code == "first"


def test_meta_error_with_valid_state_fails_the_login(server: CallbackServer) -> None:
    answer = _get(
        server,
        f"/callback?error=access_denied&error_reason=user_denied&error_description=x&state={STATE}",
    )
    assert "Login cancelled" in answer.text
    with pytest.raises(LoginFailed, match="cancelled"):
        server.wait(1)


def test_meta_error_with_wrong_state_is_just_refused(server: CallbackServer) -> None:
    answer = _get(server, "/callback?error=access_denied&state=forged")
    assert answer.status_code == 400
    assert not server.gate.decided.is_set()


def test_pasted_url_with_instagram_fragment(server: CallbackServer) -> None:
    verdict = server.gate.judge_url(
        f"http://localhost:{server.port}/callback?code=c0de99&state={STATE}#_\n"
    )
    assert verdict.accepted
    assert server.wait(1).code == "c0de99"


def test_listens_on_ipv6_loopback_too_when_available(server: CallbackServer) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    assert "::1" in server.addresses
    assert _get(server, "/nothing", host="::1").status_code == 404


def test_loopback_only(server: CallbackServer) -> None:
    assert set(server.addresses) <= {"127.0.0.1", "::1"}


def test_busy_port_names_the_port_and_the_fix() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(PortBusy) as info:
            CallbackServer(port, STATE).start()
    assert f"port {port}" in info.value.message
    assert "--port" in (info.value.hint or "") and "login_port" in (info.value.hint or "")
    assert info.value.exit_code == ExitCode.USAGE


def test_closed_after_use() -> None:
    srv = CallbackServer(0, STATE).start()
    port = srv.port
    srv.close()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0

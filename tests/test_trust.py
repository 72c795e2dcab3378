"""Files that steer tokens: no token goes out while config.toml or the secrets file is writable by
others, nor to a host that is not Meta's or loopback, unless the user opts in; igconnect's folders
are created 0700 and loose modes are listed (issue 15, case 9)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ExitCode, UnsafeSetupError
from igconnect.runtime import Runtime
from igconnect.trust import destination_problem, loose_modes

TOKEN = "EAAGtesttokentesttokentesttoken"


@pytest.mark.parametrize(
    "url",
    [
        "https://graph.facebook.com",
        "https://www.facebook.com",
        "https://graph.instagram.com",
        "https://www.instagram.com",
        "https://api.instagram.com",
        "https://GRAPH.facebook.com:443",
        "http://127.0.0.1:8766/graph",
        "http://127.9.9.9",
        "http://[::1]:8766",
        "http://localhost:8766/graph",
    ],
)
def test_meta_and_loopback_are_places_for_tokens(url: str) -> None:
    assert destination_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://graph.facebook.com",  # Meta, but in clear text
        "https://graph.facebook.com.evil.example",
        "https://evil.example",
        "https://graph.facebook.com@evil.example",  # userinfo: the host is evil.example
        "https://10.0.0.1",
        "https://facebook.com",
    ],
)
def test_anything_else_is_not(url: str) -> None:
    assert destination_problem(url)


def _write_config(text: str, mode: int = 0o600) -> Path:
    path = Runtime().paths.config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def _client(runtime: Runtime | None = None) -> Any:
    runtime = runtime or Runtime()
    return runtime.graph_client(runtime.endpoints.graph_url, token=TOKEN)


def test_a_config_writable_by_others_stops_every_token(monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_config('version = 1\ngraph_url = "https://graph.facebook.com"\n', 0o666)
    with pytest.raises(UnsafeSetupError) as caught:
        _client()
    assert caught.value.exit_code == ExitCode.UNSAFE
    assert f"{path} is writable by others" in caught.value.message
    assert f"chmod go-w {path}" in (caught.value.hint or "")
    path.chmod(0o600)
    path.parent.chmod(0o777)  # a folder others can write: they could replace the file
    with pytest.raises(UnsafeSetupError):
        _client()
    path.parent.chmod(0o700)
    _client().close()


def test_a_waiver_in_a_loose_file_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config("version = 1\nallow_writable_config = true\n", 0o666)
    with pytest.raises(UnsafeSetupError):
        _client()
    monkeypatch.setenv("IGCONNECT_ALLOW_WRITABLE_CONFIG", "true")
    _client().close()


def test_a_loose_secrets_file_stops_tokens_with_the_file_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    paths = Runtime().paths
    paths.data_dir.mkdir(mode=0o700)
    paths.token_file.write_text("{}")
    paths.token_file.chmod(0o622)
    with pytest.raises(UnsafeSetupError, match=r"secrets\.json is writable by others"):
        _client()
    _write_config("version = 1\nallow_writable_config = true\n")  # a sound file may waive it
    _client().close()


def test_a_foreign_endpoint_is_refused_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config('version = 1\ngraph_url = "https://graph.facebook.com.evil.example"\n')
    with pytest.raises(UnsafeSetupError) as caught:
        _client()
    assert "`graph_url` points at graph.facebook.com.evil.example" in caught.value.message
    assert "igconnect config unset graph_url" in (caught.value.hint or "")
    monkeypatch.setenv("IGCONNECT_ALLOW_OTHER_ENDPOINTS", "true")
    _client().close()


def test_igconnect_folders_are_created_0700(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    assert cli("export", "stories", "--no-fetch").exit_code == 0
    assert cli("app", "set", "--app-id", "1000000000000001", "--app-secret-stdin", input="s\n")
    paths = Runtime().paths
    for folder in (paths.config_dir, paths.data_dir, paths.state_dir, paths.log_dir):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    assert stat.S_IMODE(os.stat(paths.token_file).st_mode) == 0o600
    assert loose_modes(paths, token_store="file") == []


def test_loose_modes_lists_what_others_can_read_or_write() -> None:
    paths = Runtime().paths
    _write_config("version = 1\n", 0o600)
    paths.config_dir.chmod(0o777)
    paths.data_dir.mkdir(mode=0o755)
    paths.data_dir.chmod(0o755)
    found = {m.path: m for m in loose_modes(paths)}
    assert found[paths.config_dir].problem == "writable by others"
    assert found[paths.config_dir].steers_tokens
    assert found[paths.data_dir].problem == "readable by others"
    assert found[paths.data_dir].fix == f"chmod 700 {paths.data_dir}"
    assert not found[paths.data_dir].steers_tokens
    sticky = paths.config_dir
    sticky.chmod(0o1777)  # like /tmp: others cannot replace our file in it
    assert sticky not in {m.path for m in loose_modes(paths)}


def test_a_login_dialog_pointed_elsewhere_is_refused_before_the_browser(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from igconnect.errors import ExitCode

    monkeypatch.setenv("IGCONNECT_APP_ID", "1234567890")
    monkeypatch.setenv("IGCONNECT_APP_SECRET", "a-secret-of-the-app")
    monkeypatch.setenv("IGCONNECT_FACEBOOK_URL", "https://www.faceb00k.example")
    result = cli("login", "--no-browser", "--timeout", "5")
    assert result.exit_code == ExitCode.UNSAFE, result.output
    assert "faceb00k.example" in result.stderr

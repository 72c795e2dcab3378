from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from igconnect.errors import ConfigError, ExitCode
from igconnect.settings import SETTINGS, ConfigFile, Settings, set_value


def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "config.toml"


def test_every_setting_has_an_env_var_help_and_a_valid_default() -> None:
    for key, setting in SETTINGS.items():
        assert setting.env == "IGCONNECT_" + key.upper()
        assert setting.help
        if setting.default is not None:
            assert setting.check(setting.default, origin=key) == setting.default


def test_env_overrides_file_overrides_default(tmp_path: Path) -> None:
    doc = {"login_port": 9000}
    assert Settings({}, {}).get_with_source("login_port") == (8765, "default")
    assert Settings(doc, {}).get_with_source("login_port") == (9000, "file")
    assert Settings(doc, {"IGCONNECT_LOGIN_PORT": "9100"}).get_with_source("login_port") == (
        9100,
        "env",
    )
    with pytest.raises(ConfigError, match="IGCONNECT_LOGIN_PORT: 'abc' is not a whole number"):
        Settings(doc, {"IGCONNECT_LOGIN_PORT": "abc"}).get("login_port")


def test_edit_keeps_comments_and_order(tmp_path: Path) -> None:
    path = config_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(
        '# my notes\nversion = 1\n# the port I registered\nlogin_port = 9000\napp_id = "12345"\n'
    )
    with ConfigFile(path).edit() as doc:
        set_value(doc, "login_port", "9001")
    text = path.read_text()
    assert "# my notes" in text and "# the port I registered" in text
    assert text.index("login_port = 9001") < text.index('app_id = "12345"')


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("version = 1\nlogin_port = [\n", "line 2, column 0: unexpected end of file"),
        ('version = 1\nlogin_port = "abc"\n', "line 2: login_port: expected a number"),
        (
            "version = 1\n\nlogn_port = 5\n",
            "line 3: unknown setting 'logn_port' (did you mean 'login_port'?)",
        ),
        ("version = 9\n", "format version 9"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_corrupt_file_is_reported_with_file_and_line_and_never_overwritten(
    cli,
    tmp_path: Path,
    content: str | bytes,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    path = config_path(tmp_path)
    path.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    before = path.read_bytes()
    result = cli("config", "set", "login_port", "9002")
    assert result.exit_code == ExitCode.CONFIG
    assert str(path) in result.stderr
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert cli("config", "show").exit_code == ExitCode.CONFIG


def test_unknown_setting_lists_close_matches(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "set", "login_prot", "1")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "did you mean 'login_port'" in result.stderr


def test_bad_value_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "set", "token_store", "plaintext")
    assert result.exit_code == ExitCode.USAGE
    assert "not one of keyring, file" in result.stderr


def test_secrets_are_not_settings(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "set", "app_secret", "abc")
    assert result.exit_code == ExitCode.USAGE
    assert "igconnect app set" in result.stderr


def test_config_path_show_get_unset(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("config", "path").stdout.strip() == str(config_path(tmp_path))
    assert cli("config", "set", "graph_version", "v24.0").exit_code == 0
    assert cli("config", "get", "graph_version").stdout.strip() == "v24.0"
    shown = cli("config", "show", "--json")
    import json

    rows = {r["key"]: r for r in json.loads(shown.stdout)["settings"]}
    assert rows["graph_version"] == {
        "key": "graph_version",
        "value": "v24.0",
        "source": "file",
        "env": "IGCONNECT_GRAPH_VERSION",
    }
    assert set(rows) == set(SETTINGS)
    assert cli("config", "unset", "graph_version").exit_code == 0
    assert cli("config", "get", "graph_version").stdout.strip() == "v25.0"
    assert (
        cli(
            "config", "get", "graph_version", env={"IGCONNECT_GRAPH_VERSION": "v26.0"}
        ).stdout.strip()
        == "v26.0"
    )


def _hammer(path: str, worker: int) -> None:
    config = ConfigFile(Path(path))
    for i in range(15):
        with config.edit() as doc:
            doc["login_port"] = 9000 + worker * 100 + i
            doc["http_retries"] = worker


def test_concurrent_writers_never_corrupt_the_file(tmp_path: Path) -> None:
    path = config_path(tmp_path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(str(path), w)) for w in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    doc = ConfigFile(path).read()
    assert doc["http_retries"] in (0, 1, 2)
    assert not list(path.parent.glob("*.tmp"))


def test_a_retired_setting_in_an_older_file_is_accepted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from igconnect.settings import ConfigFile

    path = tmp_path / "config.toml"
    path.write_text("version = 1\nexport_breakdown_age_hours = 20.0\ngraph_version = 'v25.0'\n")
    assert ConfigFile(path).read()["graph_version"] == "v25.0"

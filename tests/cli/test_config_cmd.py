from __future__ import annotations

from typing import Any


def test_set_then_get(cli) -> None:
    result = cli("config", "set", "login_port", "8766")
    assert result.exit_code == 0, result.output
    result = cli("config", "get", "login_port")
    assert result.stdout.strip() == "8766"


def test_config_path_verbose_adds_the_data_and_state_dirs(cli: Any) -> None:
    """docs/cron.md and docs/configuration.md tell people to type it this way."""
    from igconnect.runtime import Runtime

    paths = Runtime().paths
    for argv in (("config", "path", "-v"), ("-v", "config", "path")):
        result = cli(*argv)
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == str(paths.config_file)
        assert f"data dir: {paths.data_dir}" in result.stderr
        assert f"state dir: {paths.state_dir}" in result.stderr
    assert "data dir" not in cli("config", "path").stderr


def test_set_get_unset_tell_their_outcome_as_json(cli: Any, monkeypatch: Any) -> None:
    import json

    first = json.loads(cli("config", "set", "login_port", "8766", "--json").stdout)
    assert first == {"key": "login_port", "value": 8766, "changed": True,
                     "env": "IGCONNECT_LOGIN_PORT", "overridden": False}  # fmt: skip
    again = json.loads(cli("config", "set", "login_port", "8766", "--json").stdout)
    assert again["changed"] is False
    got = json.loads(cli("config", "get", "login_port", "--json").stdout)
    assert got == {"key": "login_port", "value": 8766, "source": "file",
                   "env": "IGCONNECT_LOGIN_PORT"}  # fmt: skip
    monkeypatch.setenv("IGCONNECT_LOGIN_PORT", "9001")
    overridden = cli("config", "set", "login_port", "8767", "--json")
    assert json.loads(overridden.stdout)["overridden"] is True
    assert overridden.stderr.strip() == ""  # the JSON says it; no talk beside it
    assert json.loads(cli("config", "get", "login_port", "--json").stdout)["source"] == "env"
    gone = cli("config", "unset", "login_port", "--json")
    assert json.loads(gone.stdout) == {"key": "login_port", "value": None, "changed": True,
                                       "env": "IGCONNECT_LOGIN_PORT", "overridden": True}  # fmt: skip
    monkeypatch.delenv("IGCONNECT_LOGIN_PORT")
    assert json.loads(cli("config", "unset", "login_port", "--json").stdout)["changed"] is False
    human = cli("config", "set", "login_port", "8768")
    assert human.stdout == "" and "✓ login_port = 8768" in human.stderr

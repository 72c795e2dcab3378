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

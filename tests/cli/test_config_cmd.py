from __future__ import annotations


def test_set_then_get(cli) -> None:
    result = cli("config", "set", "login_port", "8766")
    assert result.exit_code == 0, result.output
    result = cli("config", "get", "login_port")
    assert result.stdout.strip() == "8766"

"""The export never sends a token where a loose config.toml or a foreign endpoint says (case 9)."""

from __future__ import annotations

from typing import Any

import pytest

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime


def test_the_export_refuses_with_exit_17_before_sending(
    setup: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: config.toml made world-writable, and an endpoint pointed at another
    host. Either stops the run before a token is sent."""
    path = Runtime().paths.config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("version = 1\n")
    path.chmod(0o666)
    result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == ExitCode.UNSAFE, result.output
    assert f"refusing to send a token: {path} is writable by others" in result.stderr
    path.chmod(0o600)
    monkeypatch.setenv("IGCONNECT_GRAPH_URL", "https://collector.evil.example")
    result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == ExitCode.UNSAFE, result.output
    assert "refusing to send a token to https://collector.evil.example" in result.stderr
    assert setup.sb.request_count("/graph") == 0
    assert not setup.out.exists()

"""Where igconnect's folders are, when HOME itself cannot hold them (issue 15, case 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ExitCode


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Use the platform folders under HOME, as a real user does (no IGCONNECT_*_DIR)."""

    def at(path: Path) -> Path:
        for name in ("IGCONNECT_CONFIG_DIR", "IGCONNECT_DATA_DIR"):
            monkeypatch.delenv(name, raising=False)
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HOME", str(path))
        return path

    return at


def test_a_missing_home_is_created(cli: Any, home: Any, tmp_path: Path) -> None:
    where = home(tmp_path / "new" / "home")
    result = cli("export", "stories", "--no-fetch")
    assert result.exit_code == 0, result.output
    assert (where / ".local" / "share" / "igconnect" / "archive.sqlite").exists()


def test_a_home_under_a_file(cli: Any, home: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("")
    home(blocker / "ada")
    for argv in (("export", "stories", "--no-fetch"), ("config", "set", "login_port", "9002")):
        result = cli(*argv)
        assert result.exit_code == ExitCode.FILESYSTEM, (argv, result.output)
        assert f"{blocker} is a file, not a folder" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_home_on_a_read_only_filesystem(cli: Any, home: Any, mounts: Any) -> None:
    home(mounts("ro", read_only=True) / "ada")
    result = cli("export", "stories", "--no-fetch")
    assert result.exit_code == ExitCode.FILESYSTEM, result.output
    assert "read-only" in result.stderr

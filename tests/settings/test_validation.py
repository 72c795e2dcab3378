"""Hand-edited settings: every table and key is checked when the file is read, the error names the
file and the line, and the file is never overwritten (issue 15, case 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ExitCode

CASES = {
    "key repeated in a table": (
        'version = 1\n[connections.acme]\nid = "c-1"\nid = "c-2"\n',
        'line 4, column 11: Key "id" already exists',
    ),
    "key repeated at the top": (
        'version = 1\napp_id = "1"\napp_id = "2"\n',
        'line 3, column 0: Key "app_id" already exists',
    ),
    "table repeated": (
        '[connections.acme]\nid = "c-1"\n[connections.acme]\nid = "c-2"\n',
        'line 4, column 0: Key "acme" already exists',
    ),
    "malformed date": (
        "version = 1\nexport_path = 2026-13-45\n",
        "line 2, column 24: Invalid date",
    ),
    "malformed date in a table": (
        "[connections.acme]\ncreated_at = 2026-02-30T25:00:00Z\n",
        "line 2, column 33: Invalid datetime",
    ),
    "non-string field": ("version = 1\napp_id = 17841400\n", "line 2: app_id: expected text, got"),
    "a table where a setting goes": (
        "version = 1\n[graph_url]\nhost = 'x'\n",
        "line 2: graph_url: expected text",
    ),
    "an unknown table": ("version = 1\n[conections.acme]\nid = 1\n", "line 2: unknown setting"),
    "a connection that is not a table": (
        "version = 1\n[connections]\nacme = 5\n",
        "line 3: 'connections.acme' must be a table, not 5",
    ),
    "a tracker that is not a table": (
        'version = 1\n[trackers]\n"@acme_shop" = "acme"\n',
        "line 3: 'trackers.@acme_shop' must be a table",
    ),
    "data tables that are not tables": ("version = 1\ntrackers = 5\n", "line 2: 'trackers' must"),
}
COMMANDS = [
    ("config", "show"),
    ("config", "set", "login_port", "9002"),
    ("export", "stories", "--no-fetch"),
    ("connections", "list"),
    ("trackers", "list"),
]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_file_is_named_with_its_line_and_left_as_it_is(cli: Any, case: str) -> None:
    from igconnect.runtime import Runtime

    content, expected = CASES[case]
    path = Runtime().paths.config_file
    path.parent.mkdir(parents=True)
    path.write_text(content)
    for argv in COMMANDS:
        result = cli(*argv)
        assert result.exit_code == ExitCode.CONFIG, (argv, result.output)
        assert f"cannot read settings file {path}: {expected}" in result.stderr, argv
        assert len(result.stderr.strip().splitlines()) == 1
        assert path.read_text() == content
    assert {p.name for p in path.parent.iterdir()} <= {"config.toml", "config.toml.lock"}


def test_a_config_dir_that_is_a_file(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("IGCONNECT_CONFIG_DIR", str(blocker))
    for argv in (("config", "show"), ("config", "set", "login_port", "9002"), ("app", "show")):
        result = cli(*argv)
        assert result.exit_code == ExitCode.FILESYSTEM, (argv, result.output)
        assert f"{blocker} is a file, not a folder" in result.stderr
    assert blocker.read_text() == ""

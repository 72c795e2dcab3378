"""`trackers export` and `trackers import`: the list as a CSV file, imported all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from igconnect.errors import ExitCode
from tests import stored
from tests.trackers.conftest import conn


def test_export_then_import_into_a_new_home_round_trips(
    cli: Any, save_connections: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    save_connections(conn("acme", ["p", "q"]), conn("acme-b", ["p", "q"]))
    for args in (["@p", "-c", "acme"], ["@q", "-c", "acme-b", "--high-volume"], ["#food"]):
        assert cli("trackers", "add", *args).exit_code == 0
    exported = cli("trackers", "export")
    assert exported.exit_code == 0
    assert exported.stdout.splitlines() == [
        "tracker,connection,volume",
        "#food,acme,normal",
        "@p,acme,normal",
        "@q,acme-b,high",
    ]
    file = tmp_path / "trackers.csv"
    assert cli("trackers", "export", str(file)).exit_code == 0
    assert file.read_text() == exported.stdout
    # Another home with the same connections: the file recreates the assignment.
    monkeypatch.setenv("IGCONNECT_DATA_DIR", str(tmp_path / "other-data"))
    save_connections(conn("acme", ["p", "q"]), conn("acme-b", ["p", "q"]))
    result = cli("trackers", "import", str(file))
    assert result.exit_code == 0, result.output
    assert "3 added, 0 updated, 0 removed, 0 unchanged" in result.stderr
    assert {k: (t.connection, t.volume) for k, t in stored.trackers().items()} == {
        "#food": ("acme", "normal"),
        "@p": ("acme", "normal"),
        "@q": ("acme-b", "high"),
    }
    again = cli("trackers", "import", str(file), "--json")
    assert json.loads(again.stdout)["unchanged"] == 3


def test_every_bad_line_is_reported_and_nothing_is_imported(
    cli: Any, save_connections: Any, tmp_path: Path
) -> None:
    save_connections(conn("acme", ["p", "q"]), conn("ig", ["z"], provider="instagram"))
    assert cli("trackers", "add", "@p").exit_code == 0
    file = tmp_path / "trackers.csv"
    file.write_text(
        "tracker,connection,volume\n"
        "@q,acme,normal\n"  # fine on its own
        "no body,,\n"  # line 3: neither a username nor #
        "@q,,\n"  # line 4: twice
        "#food,ig,\n"  # line 5: no hashtags on Instagram Login
        "@z,acme,huge\n"  # line 6: no such volume
        "@r,nowhere,\n"  # line 7: no such connection
    )
    result = cli("trackers", "import", str(file))
    assert result.exit_code == ExitCode.USAGE
    assert "5 bad line(s)" in result.stderr and "nothing was imported" in result.stderr
    for number in (3, 4, 5, 6, 7):
        assert f"line {number}: " in result.stderr
    assert list(stored.trackers()) == ["@p"]


def test_dry_run_and_sync(cli: Any, save_connections: Any, tmp_path: Path) -> None:
    save_connections(conn("acme", ["p", "q"]))
    for ref in ("@p", "@q"):
        assert cli("trackers", "add", ref).exit_code == 0
    file = tmp_path / "trackers.csv"
    file.write_text("tracker\n@p\n#food\n")
    dry = cli("trackers", "import", str(file), "--sync", "--dry-run")
    assert dry.exit_code == 0
    assert "1 added, 0 updated, 1 removed, 1 unchanged; nothing was changed" in dry.stderr
    assert sorted(stored.trackers()) == ["@p", "@q"]
    assert cli("trackers", "import", str(file), "--sync").exit_code == 0
    assert sorted(stored.trackers()) == ["#food", "@p"]


def test_a_file_without_the_header_is_refused(cli: Any, tmp_path: Path) -> None:
    file = tmp_path / "t.csv"
    file.write_text("@p,acme\n")
    result = cli("trackers", "import", str(file))
    assert result.exit_code == ExitCode.USAGE and "line 1: the header" in result.stderr
    missing = cli("trackers", "import", str(tmp_path / "none.csv"))
    assert missing.exit_code == ExitCode.USAGE and "cannot read" in missing.stderr

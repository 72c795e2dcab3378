"""The first run after an upgrade moves connections and trackers from config.toml (as igconnect
0.1 wrote it: tests/state/data/config-0.1.toml) into the state store, all or nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime
from tests import stored

OLD_CONFIG = Path(__file__).parent / "data" / "config-0.1.toml"


@pytest.fixture
def old_home() -> Path:
    config = Runtime().paths.config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes(OLD_CONFIG.read_bytes())
    return config


def _rows(table: str) -> int:
    """Rows in a table of the state store, read without igconnect (which would upgrade)."""
    path = Runtime().paths.state_file
    if not path.exists():
        return 0
    db = sqlite3.connect(path)
    try:
        known = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) if known else 0
    finally:
        db.close()


def _backups(config: Path) -> list[Path]:
    return sorted(config.parent.glob("config.toml.bak-*"))


def test_the_first_run_moves_everything_and_says_so_once(old_home: Path, cli: Any) -> None:
    result = cli("trackers", "list", "--json")
    assert result.exit_code == 0, result.output
    notices = [line for line in result.stderr.splitlines() if "Moved" in line]
    assert len(notices) == 1
    assert (
        "Moved 1 connection(s) and 4 tracker(s) from config.toml to the state store" in notices[0]
    )
    (backup,) = _backups(old_home)
    assert str(backup) in notices[0]
    assert backup.read_bytes() == OLD_CONFIG.read_bytes()
    # The settings stay, with the person's comment; the data tables are gone.
    text = old_home.read_text()
    assert "# Three per login: our clients post a lot" in text
    assert "tracker_capacity = 3" in text and 'app_id = "1000000000000001"' in text
    assert "[connections" not in text and "[trackers" not in text
    # Everything the old file said is in the store.
    listing = json.loads(result.stdout)
    assert listing["capacity"] == 3
    (ada,) = listing["connections"]
    assert [t["tracker"] for t in ada["trackers"]] == ["#food", "@acme_1", "@acme_2"]
    assert [t["tracker"] for t in listing["unassigned"]] == ["@nobody_here"]
    connection = stored.connection("ada")
    assert connection.id == "c-dea482d5ce2f4ceb"  # the token's key is unchanged
    assert connection.user_name == "Ada Agency" and connection.account_count == 2
    assert "instagram_manage_insights" in connection.scopes_granted
    assert connection.granular_scopes["pages_show_list"][-1] == "20000000000000003"
    reach = stored.reach("ada")
    assert [p.name for p in reach.pages] == ["Acme Client 1", "Acme Client 2", "Acme Client 3"]
    assert reach.pages[2].instagram_account_id is None
    assert stored.trackers()["@acme_2"].account_id == "17841400000000002"
    again = cli("trackers", "list")
    assert again.exit_code == 0 and "Moved" not in again.stderr
    assert len(_backups(old_home)) == 1


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ('volume = "normal"\nvolume_source = "default"\naccount_id', "trackers.@acme_2"),
        ('provider = "facebook"\nid = "c-dea482d5ce2f4ceb"', "connections.ada"),
    ],
)
def test_a_table_that_cannot_move_changes_nothing(
    old_home: Path, cli: Any, bad: str, where: str
) -> None:
    text = old_home.read_text()
    if where.startswith("trackers"):  # a volume that does not exist
        broken = text.replace(
            '[trackers."@acme_2"]\nconnection = "ada"\nvolume = "normal"',
            '[trackers."@acme_2"]\nconnection = "ada"\nvolume = "huge"',
        )
    else:  # a connection without its id (the token's key)
        broken = text.replace(
            'provider = "facebook"\nid = "c-dea482d5ce2f4ceb"\n', 'provider = "facebook"\n'
        )
    assert broken != text
    old_home.write_text(broken)
    result = cli("connections", "list")
    assert result.exit_code == ExitCode.CONFIG
    assert f"cannot move [{where}]" in result.stderr and "nothing was changed" in result.stderr
    assert old_home.read_text() == broken
    assert _backups(old_home) == []
    assert _rows("connections") == _rows("trackers") == 0
    assert "unknown volume 'huge'" in result.stderr or "'id' is missing" in result.stderr


def test_a_failure_while_rewriting_the_file_rolls_the_store_back(
    old_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import igconnect.fileio as fileio

    real = fileio.atomic_write_text

    def full_disk(path: Path, text: str, **kw: Any) -> None:
        if path.name == "config.toml":
            raise OSError(28, "No space left on device")
        real(path, text, **kw)

    monkeypatch.setattr(fileio, "atomic_write_text", full_disk)
    with pytest.raises(OSError):
        Runtime().document()
    assert old_home.read_bytes() == OLD_CONFIG.read_bytes()
    assert _backups(old_home) == []
    assert _rows("connections") == _rows("trackers") == 0
    monkeypatch.setattr(fileio, "atomic_write_text", real)
    assert "ada" in stored.connections()  # the next run upgrades, now that the disk has room


def test_processes_upgrading_at_once_move_it_once(old_home: Path) -> None:
    code = "from igconnect.runtime import Runtime; r = Runtime(); r.state.db; print(r.notices)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum("Moved" in out for out in outputs) == 1
    assert len(_backups(old_home)) == 1
    assert len(stored.trackers()) == 4

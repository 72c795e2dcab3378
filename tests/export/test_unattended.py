"""Unattended guarantees: a killed run, cron's environment, and `schedule install` twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import APP_SECRET, read_csv

ADA = "10000000000000001"
IGCONNECT = Path(sys.executable).with_name("igconnect")


def _env(extra: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k.startswith("IGCONNECT_")}
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), **keep, **extra}


@pytest.mark.slow
def test_a_killed_run_leaves_file_and_archive_intact(
    sandbox_factory: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    setup = sandbox_factory(accounts=4, latency_ms=250)
    setup.connect("acme", ADA)
    assert cli("export", "stories", "--out", str(setup.out)).exit_code == 0
    before = setup.out.read_bytes()
    setup.sb.advance_clock(hours=1)
    env = _env({"IGCONNECT_EXPORT_CONCURRENCY": "1"})
    proc = subprocess.Popen(
        [str(IGCONNECT), "export", "stories", "--out", str(setup.out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    from igconnect.runtime import Runtime

    archive = Runtime().paths.archive_file
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # kill it once it has archived part of the run
        db = sqlite3.connect(archive)
        runs = db.execute("SELECT count(DISTINCT run_id) FROM observations").fetchone()[0]
        db.close()
        if runs >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert setup.out.read_bytes() == before  # byte for byte
    db = sqlite3.connect(archive)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert not list(setup.out.parent.glob(".stories.csv.*"))  # at worst a temp file... none here
    again = cli("export", "stories", "--out", str(setup.out))
    assert again.exit_code == 0, again.output
    assert len(read_csv(setup.out)) >= 32


def test_export_under_a_cron_like_environment(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """env -i: no D-Bus, no TTY, PATH=/usr/bin:/bin; the settings file and the file store carry
    everything (the endpoint settings point at the sandbox)."""
    from igconnect import secretstore
    from igconnect.runtime import Runtime

    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    setup = sandbox_factory()
    token = setup.connect("acme", ADA)
    runtime = Runtime()
    runtime.secret_store.set(secretstore.APP_SECRET_KEY, APP_SECRET)
    with runtime.edit() as doc:
        for key, value in setup.sb.env().items():
            doc[key.removeprefix("IGCONNECT_").lower()] = value
        doc["token_store"] = "file"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "IGCONNECT_CONFIG_DIR": os.environ["IGCONNECT_CONFIG_DIR"],
        "IGCONNECT_DATA_DIR": os.environ["IGCONNECT_DATA_DIR"],
    }
    result = subprocess.run(
        [
            "env",
            "-i",
            *(f"{k}={v}" for k, v in env.items()),
            str(IGCONNECT),
            "export",
            "stories",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    # --quiet: only the file store's standing warning (the runtime's, by the user's choice)
    assert [line for line in result.stderr.splitlines() if "plaintext file" not in line] == []
    out = Runtime().paths.default_export_file
    text = out.read_text()
    assert len(read_csv(text)) == 24
    assert "\x1b[" not in text and token not in text and APP_SECRET not in text


def test_schedule_install_twice_adds_one_line(fake_crontab: Path, cli: Any) -> None:
    fake_crontab.write_text("MAILTO=ops@example.com\n5 4 * * * /usr/bin/backup\n")
    first = cli("schedule", "install")
    assert first.exit_code == 0, first.output
    second = cli("schedule", "install")
    assert second.exit_code == 0 and "nothing changed" in second.stderr
    lines = fake_crontab.read_text().splitlines()
    ours = [line for line in lines if "igconnect-export" in line]
    assert len(ours) == 1
    assert lines[:2] == ["MAILTO=ops@example.com", "5 4 * * * /usr/bin/backup"]
    line = ours[0]
    assert line.startswith("0 * * * * ")
    assert " export --quiet # igconnect-export" in line  # every kind that has trackers
    assert f"IGCONNECT_DATA_DIR={os.environ['IGCONNECT_DATA_DIR']}" in line
    removed = cli("schedule", "remove")
    assert removed.exit_code == 0
    assert fake_crontab.read_text().splitlines() == lines[:2]


def test_schedule_install_and_remove_tell_their_outcome_as_json(
    fake_crontab: Path, cli: Any
) -> None:
    import json

    first = json.loads(cli("schedule", "install", "--every", "30", "--json").stdout)
    assert first["changed"] is True and first["every"] == 30 and first["interval_minutes"] == 30
    assert first["crontab_line"] in fake_crontab.read_text().splitlines()
    again = json.loads(cli("schedule", "install", "--json").stdout)
    assert again["changed"] is False and again["every"] is None
    assert json.loads(cli("schedule", "remove", "--json").stdout) == {"changed": True}
    assert json.loads(cli("schedule", "remove", "--json").stdout) == {"changed": False}
    assert "igconnect-export" not in fake_crontab.read_text()


def test_schedule_show_environment_and_interval(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
    monkeypatch.setenv("IGCONNECT_SCHEDULE_INTERVAL_MINUTES", "15")
    shown = cli("schedule", "show")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[0].startswith("*/15 * * * * DBUS_SESSION_BUS_ADDRESS=")
    assert "OnCalendar=*:0/15" in shown.stdout
    assert "[Service]" in shown.stdout and "ExecStart=/" in shown.stdout
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    monkeypatch.setenv("IGCONNECT_SCHEDULE_INTERVAL_MINUTES", "45")
    bad = cli("schedule", "show")
    assert bad.exit_code == 3 and "cannot be written as a cron schedule" in bad.stderr
    monkeypatch.setenv("IGCONNECT_SCHEDULE_INTERVAL_MINUTES", "120")
    ok = cli("schedule", "show")
    assert ok.stdout.splitlines()[0].startswith("0 */2 * * * IGCONNECT_TOKEN_STORE=file ")


def test_schedule_carries_setting_overrides_but_never_the_app_secret(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rehearsing cron against the sandbox: the endpoints must reach the job; the secret must not."""
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    monkeypatch.setenv("IGCONNECT_GRAPH_URL", "http://127.0.0.1:8766/graph")
    monkeypatch.setenv("IGCONNECT_APP_ID", "1000000000000001")
    monkeypatch.setenv("IGCONNECT_APP_SECRET", "sandbox-app-secret")
    shown = cli("schedule", "show")
    assert shown.exit_code == 0, shown.output
    line = shown.stdout.splitlines()[0]
    assert "IGCONNECT_GRAPH_URL=http://127.0.0.1:8766/graph" in line
    assert "IGCONNECT_APP_ID=1000000000000001" in line
    assert "sandbox-app-secret" not in shown.stdout + shown.stderr
    assert "IGCONNECT_APP_SECRET is set here but is not passed" in shown.stderr


def test_schedule_install_every_sets_the_interval_and_the_job_exports_every_kind(
    fake_crontab: Path, sandbox_factory: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`install --every 30` writes schedule_interval_minutes (the final-read window follows it)
    and a line that, run as cron runs it, exports stories, profiles and hashtags in one go."""
    import shlex

    from igconnect import secretstore
    from igconnect.runtime import Runtime
    from igconnect.trackers.model import Tracker
    from tests import stored

    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    setup = sandbox_factory()
    setup.connect("acme", ADA)
    stored.save_tracker(Tracker(kind="hashtag", target="coffee", connection="acme"))
    stored.save_tracker(Tracker(kind="account", target="nike", connection="acme"))
    runtime = Runtime()
    runtime.secret_store.set(secretstore.APP_SECRET_KEY, APP_SECRET)
    with runtime.edit() as doc:
        for key, value in setup.sb.env().items():
            doc[key.removeprefix("IGCONNECT_").lower()] = value
    for key in setup.sb.env():  # the settings file carries them, as for a real job
        monkeypatch.delenv(key)
    monkeypatch.delenv("IGCONNECT_APP_SECRET")
    installed = cli("schedule", "install", "--every", "30")
    assert installed.exit_code == 0, installed.output
    assert cli("config", "get", "schedule_interval_minutes").stdout.strip() == "30"
    line = next(x for x in fake_crontab.read_text().splitlines() if "igconnect-export" in x)
    assert line.startswith("*/30 * * * * ")
    words = shlex.split(line.split(" # igconnect-export")[0])[5:]
    env = [w for w in words if "=" in w and not w.startswith("/")]
    argv = words[len(env) :]
    assert argv[-2:] == ["export", "--quiet"]
    result = subprocess.run(
        ["env", "-i", "HOME=/tmp", "PATH=/usr/bin:/bin", *env, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    exports = Runtime().paths.default_export_file.parent
    assert sorted(p.name for p in exports.iterdir()) == [
        "hashtags.csv",
        "profiles-posts.csv",
        "profiles.csv",
        "stories.csv",
    ]
    bad = cli("schedule", "install", "--every", "45")
    assert bad.exit_code == 3 and "cannot be written as a cron schedule" in bad.stderr
    assert cli("config", "get", "schedule_interval_minutes").stdout.strip() == "30"

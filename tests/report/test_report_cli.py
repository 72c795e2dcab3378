"""`igconnect report` as a command: options, filters, errors, branding, JSON, terminal progress."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

PERIOD = ("--since", "2026-11-22", "--until", "2026-11-23")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a4d0b30000000049454e44ae426082"
)


def _two_accounts(handmade: Any) -> None:
    handmade.story("s1", "2026-11-22T08:00:00Z", {"reach": 100, "views": 120})
    handmade.story("s2", "2026-11-22T09:00:00Z", {"reach": 80, "views": 90})
    handmade.story(
        "t1",
        "2026-11-22T10:00:00Z",
        {"reach": 40},
        account_id="2",
        username="beta_cafe",
        connection="beta",
    )


def test_report_json_summary(handmade: Any, cli: Any, tmp_path: Path) -> None:
    _two_accounts(handmade)
    out = tmp_path / "r.html"
    result = cli("report", *PERIOD, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "exit_code",
        "output",
        "since",
        "until",
        "accounts",
        "stories",
        "not_final",
        "seconds",
    ]
    assert data["output"] == str(out) and data["accounts"] == 2 and data["stories"] == 3
    assert (data["since"], data["until"]) == ("2026-11-22T00:00:00Z", "2026-11-24T00:00:00Z")
    assert data["not_final"] == 3  # expired without a final read: last_seen


@pytest.mark.parametrize(
    ("args", "sections"),
    [
        ((), ["acme_shop", "beta_cafe"]),
        (("--account", "@beta_cafe"), ["beta_cafe"]),
        (("--account", "ACME_SHOP"), ["acme_shop"]),
        (("--connection", "beta"), ["beta_cafe"]),
        (("--connection", "acme", "--connection", "beta"), ["acme_shop", "beta_cafe"]),
    ],
)
def test_filters(
    handmade: Any, cli: Any, tmp_path: Path, args: tuple[str, ...], sections: list[str]
) -> None:
    _two_accounts(handmade)
    out = tmp_path / "r.html"
    result = cli("report", *PERIOD, "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert [u for u in ("acme_shop", "beta_cafe") if f'data-username="{u}"' in text] == sections
    assert "Wrote" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--account", "@nobody"), "unknown account '@nobody'"),
        (("--connection", "acmee"), "unknown connection 'acmee'; did you mean 'acme'?"),
    ],
)
def test_unknown_names(
    handmade: Any, cli: Any, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    _two_accounts(handmade)
    result = cli("report", *PERIOD, "--out", str(tmp_path / "r.html"), *args)
    assert result.exit_code == 11
    assert message in result.stderr


def test_no_archive_yet(cli: Any, tmp_path: Path) -> None:
    result = cli("report", "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 3
    assert "no story archive yet" in result.stderr
    assert "igconnect export stories" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_an_empty_period_is_a_report_that_says_so(handmade: Any, cli: Any, tmp_path: Path) -> None:
    _two_accounts(handmade)
    out = tmp_path / "r.html"
    result = cli("report", "--since", "2025-01-01", "--until", "2025-01-31", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert 'id="no-stories"' in out.read_text()


def test_bad_dates(handmade: Any, cli: Any, tmp_path: Path) -> None:
    _two_accounts(handmade)
    out = str(tmp_path / "r.html")
    assert cli("report", "--since", "last week", "--out", out).exit_code == 2
    result = cli("report", "--since", "2026-11-23", "--until", "2026-11-01", "--out", out)
    assert result.exit_code == 2 and "is not before --until 2026-11-01" in result.stderr


def test_without_the_report_extra(
    handmade: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_accounts(handmade)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    result = cli("report", "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2
    assert "pip install 'igconnect[report]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_branding_title_and_logo(
    handmade: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_accounts(handmade)
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    assert cli("config", "set", "report_title", "Ada & Co <monthly>").exit_code == 0
    assert cli("config", "set", "report_logo", str(logo)).exit_code == 0
    out = tmp_path / "r.html"
    assert cli("report", *PERIOD, "--out", str(out)).exit_code == 0
    text = out.read_text()
    assert "<title>Ada &amp; Co &lt;monthly&gt;</title>" in text
    assert '<img src="data:image/png;base64,' in text
    logo.write_text("not an image")
    result = cli("report", *PERIOD, "--out", str(out))
    assert result.exit_code == 3 and "is not a PNG, JPEG, GIF, WebP or SVG image" in result.stderr
    monkeypatch.setenv("IGCONNECT_REPORT_LOGO", str(tmp_path / "missing.png"))
    result = cli("report", *PERIOD, "--out", str(out))
    assert result.exit_code == 3 and "cannot read the report logo" in result.stderr


def test_bad_timezone_setting(cli: Any) -> None:
    result = cli("config", "set", "report_timezone", "Europe/Atlantis")
    assert result.exit_code == 2
    assert "not an IANA time zone" in result.stderr
    assert cli("config", "set", "report_timezone", "Europe/Paris").exit_code == 0


def test_same_archive_same_file(handmade: Any, tmp_path: Path) -> None:
    from igconnect.report.build import build_report
    from igconnect.report.model import ReportOptions
    from igconnect.runtime import Runtime

    _two_accounts(handmade)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    outputs = []
    for name in ("a.html", "b.html"):
        options = ReportOptions(
            out=tmp_path / name, since=datetime(2026, 11, 1, tzinfo=UTC), clock=lambda: now
        )
        build_report(Runtime(), options)
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b'<section class="account"') == 2


def _run(args: list[str], *, tty: bool) -> tuple[int, str]:
    igconnect = Path(sys.executable).with_name("igconnect")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if not tty:
        done = subprocess.run(
            [str(igconnect), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(igconnect), *args], env=env, stdin=follower, stdout=subprocess.DEVNULL, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("tty", [True, False])
def test_progress_only_on_a_terminal(handmade: Any, tmp_path: Path, tty: bool) -> None:
    for i in range(4):
        handmade.story(
            f"s{i}", "2026-11-22T08:00:00Z", {"reach": 10}, account_id=str(i), username=f"u{i}"
        )
    code, stderr = _run(["report", *PERIOD, "--out", str(tmp_path / "r.html")], tty=tty)
    assert code == 0, stderr
    if tty:
        assert "\x1b[" in stderr  # the bar is drawn, then cleared
    else:
        assert "\x1b[" not in stderr and "writing the report" not in stderr
    assert "Wrote" in stderr and "4 account(s), 4 stories" in stderr


def test_demo_without_the_report_extra_still_finishes(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    home = tmp_path / "demo"
    result = cli("demo", "--home", str(home), "--accounts", "1", "--stories", "2")
    assert result.exit_code == 0, result.output
    assert "Report skipped" in result.stderr
    assert "pip install 'igconnect[report]'" in result.stderr
    assert (home / "stories.csv").exists() and not (home / "report.html").exists()

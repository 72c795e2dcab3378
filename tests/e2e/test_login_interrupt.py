"""Ctrl-C (a real SIGINT to a real `igconnect login` process) leaves nothing half-stored."""

# ruff: noqa: F811 (the fixtures imported from tests/login/conftest.py are used as arguments)
from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

from igconnect.errors import ExitCode
from igconnect.sandbox.consent import follow_consent
from tests.login.conftest import (  # noqa: F401 (fixtures)
    login_port,
    login_process,
    make_sandbox,
    sandbox_env,
)
from tests.login.harness import LoginProcess, read_login_url


def _nothing_stored(data_dir: Path, config_dir: Path) -> None:
    secrets = data_dir / "secrets.json"
    assert not secrets.exists() or json.loads(secrets.read_text()) == {}
    config = config_dir / "config.toml"
    assert not config.exists() or "[connections" not in config.read_text()


def test_ctrl_c_while_waiting_for_the_browser(
    login_process: Callable[..., LoginProcess], tmp_path: Path
) -> None:
    proc = login_process()
    process = proc.start("login", "--no-browser", "--name", "acme", "--timeout", "60")
    read_login_url(process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert "Traceback" not in stderr
    env = proc.env()
    _nothing_stored(Path(env["IGCONNECT_DATA_DIR"]), Path(env["IGCONNECT_CONFIG_DIR"]))


def test_ctrl_c_while_the_code_is_being_exchanged(
    login_process: Callable[..., LoginProcess], tmp_path: Path
) -> None:
    proc = login_process(latency_ms=800)  # each Meta call takes 0.8 s: time to interrupt
    process = proc.start("login", "--no-browser", "--name", "acme", "--timeout", "60")
    url, _ = read_login_url(process)
    assert process.stdin is not None
    process.stdin.write(follow_consent(url) + "\n")
    process.stdin.flush()
    time.sleep(1.2)  # the exchange (and maybe the long-lived one) is in flight
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    env = proc.env()
    _nothing_stored(Path(env["IGCONNECT_DATA_DIR"]), Path(env["IGCONNECT_CONFIG_DIR"]))

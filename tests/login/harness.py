"""Running `igconnect login` as a separate process against the sandbox, with a real (headless
Chromium) browser behind BROWSER, or with the pasted-URL path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from igconnect.sandbox import Sandbox
from tests.login.conftest import APP_SECRET, INSTAGRAM_APP_SECRET

DRIVER = Path(__file__).with_name("chromium_driver.py")
URL_RE = re.compile(r"(http://127\.0\.0\.1:\d+/(?:facebook|instagram)/\S+)")


@dataclass
class LoginProcess:
    sb: Sandbox
    tmp: Path
    port: int
    extra_env: dict[str, str]

    def env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.tmp / "home"),
            "IGCONNECT_CONFIG_DIR": os.environ["IGCONNECT_CONFIG_DIR"],
            "IGCONNECT_DATA_DIR": os.environ["IGCONNECT_DATA_DIR"],
            "IGCONNECT_APP_SECRET": APP_SECRET,
            "IGCONNECT_INSTAGRAM_APP_SECRET": INSTAGRAM_APP_SECRET,
            "IGCONNECT_LOGIN_PORT": str(self.port),
            "IGCONNECT_HTTP_RETRIES": "0",
            "NO_COLOR": "1",
            "COLUMNS": "200",
            **self.sb.env(),
        }
        env.update(self.extra_env)
        return env

    def use_chromium(self, button: str = "continue") -> Path:
        """Point BROWSER at a launcher that hands the URL to headless Chromium and returns at once."""
        out = self.tmp / f"browser-{button}-{time.monotonic_ns()}"
        script = self.tmp / f"browser-{out.name}.sh"
        script.write_text(
            "#!/bin/sh\n"
            f'"{sys.executable}" "{DRIVER}" "$1" "{out}" {button} >/dev/null 2>&1 &\n'
            "exit 0\n"
        )
        script.chmod(0o755)
        self.extra_env["BROWSER"] = str(script)
        return out

    def run(
        self, *args: str, stdin: str | None = None, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "igconnect", *args],
            env=self.env(),
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "igconnect", *args],
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def read_login_url(process: subprocess.Popen[str], timeout: float = 30) -> tuple[str, list[str]]:
    """Read stderr until the printed authorize URL appears; returns it and the lines read."""
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        match = URL_RE.search(line)
        if match:
            return match.group(1), lines
    raise AssertionError("no login URL was printed:\n" + "".join(lines))


def browser_result(out: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (out / "done").exists():
        time.sleep(0.1)
    if (out / "error.txt").exists():
        raise AssertionError("the browser failed: " + (out / "error.txt").read_text())
    assert (out / "page.txt").exists(), "the browser never finished"
    return (out / "page.txt").read_text()

"""The example in `igconnect sandbox serve --help` really runs: the shell gets the exports at once
(it does not hang), igconnect reaches the sandbox through them, and the PID it exports stops it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.main import get_command

from igconnect.cli.app import app

BIN = Path(sys.executable).parent


def _sandbox_examples() -> list[str]:
    serve = get_command(app).commands["sandbox"].commands["serve"]  # type: ignore[attr-defined]
    return [line[2:] for line in (serve.help or "").splitlines() if line.startswith("$ ")]


def test_the_help_example_runs(tmp_path: Path) -> None:
    start, stop = _sandbox_examples()
    assert start.startswith('eval "$(igconnect sandbox serve ') and start.endswith(' &)"')
    assert stop == "kill $IGCONNECT_SANDBOX_PID"
    script = "\n".join(
        [
            "set -e",
            start,
            'test -n "$IGCONNECT_GRAPH_URL" && test -n "$IGCONNECT_SANDBOX_PID"',
            "igconnect doctor --check env.meta --json > doctor.json",
            stop,
            # gone within a few seconds: the port no longer answers
            "for i in $(seq 50); do kill -0 $IGCONNECT_SANDBOX_PID 2>/dev/null || exit 0; "
            "sleep 0.1; done; exit 3",
        ]
    )
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        IGCONNECT_TOKEN_STORE="file",
    )
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Sandbox listening on http://127.0.0.1:" in done.stderr
    doc = (tmp_path / "doctor.json").read_text()
    assert '"id": "env.meta"' in doc and '"status": "ok"' in doc
    assert "Sandbox stopped." in done.stderr

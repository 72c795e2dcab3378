"""Shell completion: `igconnect completion bash` prints a script that a real bash sources and
that completes commands and options by calling igconnect back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ExitCode

BIN = Path(sys.executable).parent


def _bash(script: str, tmp_path: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGCONNECT_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path))
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("igconnect doc", 1, ["doctor"]),
        ("igconnect doctor --acc", 2, ["--account", "--accept"]),
        ("igconnect connections l", 2, ["list"]),
    ],
)
def test_bash_completes_commands_and_options(
    tmp_path: Path, words: str, cword: int, expected: list[str]
) -> None:
    script = (
        "source <(igconnect completion bash)\n"
        f"COMP_WORDS=({words}); COMP_CWORD={cword}\n"
        "_igconnect_completion igconnect  # bash passes the command as $1\n"
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    assert sorted(_bash(script, tmp_path)) == sorted(expected)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_every_shell_has_a_script(cli: Any, shell: str) -> None:
    result = cli("completion", shell)
    assert result.exit_code == 0
    assert "_IGCONNECT_COMPLETE" in result.stdout


def test_unknown_shell_is_a_usage_error(cli: Any) -> None:
    result = cli("completion", "tcsh")
    assert result.exit_code == ExitCode.USAGE
    assert "Error: no completion for the shell 'tcsh' — " in result.stderr

#!/usr/bin/env python3
"""Everyday tasks with nothing but Python 3.11+: each creates .venv on first use.

python3 dev.py demo     set up and run `igconnect demo` against the embedded sandbox
python3 dev.py test     set up and run the whole test suite
python3 dev.py lint     ruff (lint + format check) and mypy
python3 dev.py bench    the benchmarks under bench/
python3 dev.py docs     regenerate the settings table in docs/configuration.md
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("IGCONNECT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".igconnect-installed"


def ensure_venv(extras: str) -> None:
    """Create the venv and install the project with `extras`, again only when pyproject changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"igconnect needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"])
    STAMP.write_text(wanted)


def run(command: list[str]) -> None:
    code = subprocess.call(command, cwd=ROOT)
    if code != 0:
        sys.exit(code)


def main() -> None:
    task = sys.argv[1] if len(sys.argv) > 1 else "help"
    rest = sys.argv[2:]
    if task == "demo":
        ensure_venv("test,report")
        run([str(BIN / "igconnect"), "demo", *rest])
    elif task == "test":
        ensure_venv("dev")
        # pytest exits 5 when it collected nothing: that is a failure here too.
        run([str(PYTHON), "-m", "pytest", *rest])
    elif task == "lint":
        ensure_venv("dev")
        run([str(BIN / "ruff"), "check", "src", "tests", "bench", "dev.py"])
        run([str(BIN / "ruff"), "format", "--check", "src", "tests", "bench", "dev.py"])
        run([str(BIN / "mypy"), "src"])
    elif task == "bench":
        ensure_venv("dev")
        for script in sorted((ROOT / "bench").glob("[!_]*.py")):  # _name.py: shared helpers
            print(f"== {script.name}", flush=True)
            run([str(PYTHON), str(script), *rest])
    elif task == "docs":
        ensure_venv("dev")
        run(
            [
                str(PYTHON),
                "-c",
                "from igconnect.settings import write_settings_doc; write_settings_doc()",
            ]
        )
    else:
        print(__doc__)
        sys.exit(0 if task in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main()

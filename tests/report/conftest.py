"""Fixtures of the report tests: a real headless Chromium, and a report made from the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium (skipped locally when missing; a failure under IGCONNECT_REQUIRE_REAL_PARTS)."""
    import os
    import shutil

    from tests.realparts import require
    from tests.report.browser import chromium_path

    path = chromium_path()
    if not (os.path.exists(path) or shutil.which(path)):
        require("chromium")
    return path


@pytest.fixture
def sandbox_report(tmp_path: Path) -> Any:
    from tests.report.sandbox_report import make_sandbox_report

    return make_sandbox_report(tmp_path / "sandbox-home")

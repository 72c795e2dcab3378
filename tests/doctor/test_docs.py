"""docs/doctor.md lists every check id."""

from __future__ import annotations

from pathlib import Path

from igconnect.doctor.runner import CHECKS

DOC = Path(__file__).resolve().parents[2] / "docs" / "doctor.md"


def test_every_check_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for check_id in CHECKS:
        assert f"`{check_id}`" in text, check_id

"""The docs stay true: every setting and exit code is documented."""

from __future__ import annotations

from pathlib import Path

from igconnect.errors import ExitCode
from igconnect.settings import settings_table_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_configuration_doc_lists_every_setting() -> None:
    text = (DOCS / "configuration.md").read_text()
    assert settings_table_markdown() in text, (
        "run `python3 dev.py docs` to refresh docs/configuration.md"
    )


def test_exit_codes_doc_lists_every_code() -> None:
    text = (DOCS / "exit-codes.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} | `{code.name}` |" in text

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


def test_architecture_doc_names_every_module() -> None:
    """docs/architecture.md describes the code as it is: every module of the core packages and the
    package root is named (login/, doctor/, export/, sandbox/ and cli/ are described as packages)."""
    text = (DOCS / "architecture.md").read_text()
    src = Path(__file__).resolve().parents[1] / "src" / "igconnect"
    described_as_packages = {"login", "doctor", "export", "sandbox", "cli"}
    for path in sorted(src.rglob("*.py")):
        relative = path.relative_to(src)
        if (
            path.name in ("__init__.py", "__main__.py")
            or relative.parts[0] in described_as_packages
        ):
            continue
        name = relative.as_posix()
        assert f"`{name}`" in text or f"`{name.removesuffix('.py')}`" in text or name in text, name
    for package in described_as_packages:
        assert f"`{package}/`" in text, package

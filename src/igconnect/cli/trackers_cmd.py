"""Placeholder: this command group is being built (see the open issues)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing to register yet."""

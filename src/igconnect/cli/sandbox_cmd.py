"""Placeholder: the sandbox command group is being built."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run a local simulation of Meta's API and login dialogs.")

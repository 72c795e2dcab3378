"""The per-invocation context handed to every command: runtime, consoles and global flags."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import typer
from rich.console import Console

from igconnect.redact import RedactingFilter, redact
from igconnect.runtime import Runtime


@dataclass
class CliContext:
    verbose: int = 0
    debug: bool = False
    json: bool = False
    runtime: Runtime = field(default_factory=Runtime)

    @cached_property
    def out(self) -> Console:
        """Data goes to stdout; never read captions or API data as markup."""
        # Piped output is read by programs and people with wide windows: don't cut it at 80 columns.
        width = None if sys.stdout.isatty() else 200
        return Console(file=sys.stdout, markup=False, highlight=False, soft_wrap=True, width=width)

    @cached_property
    def err(self) -> Console:
        """Messages go to stderr."""
        return Console(file=sys.stderr, highlight=False, soft_wrap=True)

    @property
    def interactive(self) -> bool:
        """A person at a terminal: only then prompts, spinners and progress bars."""
        return sys.stdin.isatty() and sys.stderr.isatty()

    def wants_json(self, flag: bool = False) -> bool:
        return self.json or flag

    # -- talking to the user ---------------------------------------------------------------------
    def info(self, message: str) -> None:
        self.err.print(redact(message), markup=False)

    def detail(self, message: str) -> None:
        if self.verbose:
            self.err.print(redact(message), markup=False, style="dim")

    def success(self, message: str) -> None:
        self.err.print("✓ " + redact(message), style="green", markup=False)

    def warn(self, message: str) -> None:
        self.err.print("Warning: " + redact(message), style="yellow", markup=False)

    def flush_warnings(self) -> None:
        """Print what the runtime gathered (an upgrade done, the plaintext token store), once each."""
        for message in dict.fromkeys(self.runtime.notices):
            self.info(message)
        self.runtime.notices.clear()
        for message in dict.fromkeys(self.runtime.warnings):
            self.warn(message)
        self.runtime.warnings.clear()

    def emit_json(self, data: Any) -> None:
        # Indented for a person at a terminal; one compact line for a program (json's fast
        # encoder only runs without indentation: a 10,000-tracker listing takes 0.1 s, not 0.5).
        indent = 2 if self.out.file.isatty() else None
        text = json.dumps(data, indent=indent, default=str, ensure_ascii=False)
        # Straight to the stream: rich would lay out every line of a 10,000-tracker listing.
        self.out.file.write(redact(text) + "\n")
        self.out.file.flush()

    def setup_logging(self) -> None:
        level = logging.DEBUG if self.debug else logging.INFO if self.verbose else logging.WARNING
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("igconnect")
        root.handlers[:] = [handler]
        root.setLevel(level)
        root.propagate = False
        # httpx logs whole URLs at INFO; the OAuth exchanges carry secrets in theirs.
        for noisy in ("httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def get(ctx: typer.Context) -> CliContext:
    """The CliContext of the root callback (a fresh one when a command is invoked on its own)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj
